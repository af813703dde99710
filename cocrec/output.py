"""Rendering rows as a table, JSON, CSV or Markdown: the one place output formats live.

The command line takes its --format choices from here, so this module loads for `cocrec --help`:
json and csv are imported when something is rendered with them, not before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

Row = Sequence[Any]
Format = Literal["table", "json", "csv", "md", "html", "yaml"]
# Each kind of output and the formats it comes in, the default first.
LISTING: tuple[Format, ...] = ("table", "json")  # rows: list, due, check, status, members, ...
STATISTICS: tuple[Format, ...] = ("table", "json", "csv")
DOCUMENT: tuple[Format, ...] = ("yaml", "json")  # one person's data (export)
REPORT: tuple[Format, ...] = ("md", "html")  # the public transparency report


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Row]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def markdown(headers: Sequence[str], rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def csv_text(headers: Sequence[str], rows: Sequence[Row]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False)
