"""cocrec screen FILE: match an attendee or speaker list (CSV) against flagged and banned people.

The column to match is `--column NAME` (a header, or a column number from 1),
else every column that looks like emails, usernames, urls or names (by its
header, or because most of its values are emails). A file whose first row
holds an email has no header row. Each cell is matched as `cocrec lookup`
matches a query (cocrec.flags); a cell under a `github`, `gitlab`, `twitter`
or `mastodon` header also matches as that platform's username.

Only matches are printed, with what may be shared. `--disclose TO` appends to
each record matched by an identifier `{on: AS_OF, to: TO, what:
shareable_summary}` (once: a re-run adds nothing). Name-only matches are
weaker: they are printed for the committee to confirm, never recorded as
disclosed.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import output
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..flags import FlagIndex, Match, match_json, match_lines
from ..store import Loaded

PLATFORMS = ("github", "gitlab", "twitter", "mastodon", "bluesky")
IDENTIFIER_HEADER = re.compile(
    r"e-?mail|\bmail\b|user\s*name|\buser\b|login|handle|url|website|homepage|profile|"
    + "|".join(PLATFORMS),
    re.I,
)
NAME_HEADER = re.compile(
    r"^\s*(full\s*)?name\s*$|^\s*(attendee|speaker|participant|person)(\s*name)?\s*$", re.I
)
LOOKS_LIKE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DISCLOSED_WHAT = "shareable_summary"


@dataclass(frozen=True)
class Table:
    """A CSV as read: its column names (numbers when it has no header row), rows, and the line of the first row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    first_line: int


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    names: bool
    """Match the cells as names too (weaker), not only as identifiers."""
    platform: str | None = None


@dataclass(frozen=True)
class Hit:
    line: int
    column: str
    value: str
    match: Match


def read_text(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{shown}: cannot read it ({exc.strerror or 'unreadable'}); check the path"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: not UTF-8 text; save the CSV as UTF-8") from None
    if not text.strip():
        raise UsageError(
            f"{shown}: the file is empty; give a CSV with a header row and one person a row"
        )
    return text


def parse_csv(text: str, shown: str) -> Table:
    """Rows of the CSV (comma, semicolon or tab separated); a first row holding an email is data, not a header."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            tuple(cell.strip() for cell in row) for row in csv.reader(io.StringIO(text), dialect)
        ]
    except csv.Error as exc:
        raise UsageError(
            f"{shown}: not a readable CSV ({exc}); save it as CSV with a header row"
        ) from None
    rows = [row for row in rows if any(row)]
    if not rows:
        raise UsageError(
            f"{shown}: the file is empty; give a CSV with a header row and one person a row"
        )
    width = max(len(row) for row in rows)
    if any(LOOKS_LIKE_EMAIL.match(cell) for cell in rows[0]):
        return Table(tuple(str(n) for n in range(1, width + 1)), tuple(rows), 1)
    return Table(
        rows[0] + tuple(str(n) for n in range(len(rows[0]) + 1, width + 1)), tuple(rows[1:]), 2
    )


def _platform(header: str) -> str | None:
    return next((p for p in PLATFORMS if p in header.casefold()), None)


def _mostly_emails(table: Table, index: int) -> bool:
    values = [row[index] for row in table.rows if index < len(row) and row[index]]
    return bool(values) and sum(bool(LOOKS_LIKE_EMAIL.match(v)) for v in values) * 2 >= len(values)


def choose_columns(table: Table, wanted: str | None, shown: str) -> list[Column]:
    if wanted is not None:
        for index, name in enumerate(table.columns):
            if name.casefold() == wanted.strip().casefold():
                return [Column(index, name, True, _platform(name))]
        if wanted.strip().isdigit() and 1 <= int(wanted) <= len(table.columns):
            index = int(wanted) - 1
            return [Column(index, table.columns[index], True, _platform(table.columns[index]))]
        raise UsageError(
            f"{shown}: no column named {wanted!r}; pass --column with one of its header names or a column number from 1"
        )
    found = []
    for index, name in enumerate(table.columns):
        if NAME_HEADER.search(name):
            found.append(Column(index, name, True))
        elif IDENTIFIER_HEADER.search(name) or _mostly_emails(table, index):
            found.append(Column(index, name, False, _platform(name)))
    if not found:
        raise UsageError(
            f"{shown}: no column looks like emails, usernames, urls or names; pass --column NAME"
        )
    return found


def cell_queries(value: str, column: Column) -> list[str]:
    queries = [value]
    if column.platform and ":" not in value:
        queries.append(f"{column.platform}:{value.lstrip('@')}")
    return queries


def screen(table: Table, columns: list[Column], index: FlagIndex, as_of: dt.date) -> list[Hit]:
    """Every (row, flagging entry) match, the strongest per pair; rows in file order."""
    hits: dict[tuple[int, str, int], Hit] = {}
    for offset, row in enumerate(table.rows):
        line = table.first_line + offset
        for column in columns:
            value = row[column.index] if column.index < len(row) else ""
            for query in cell_queries(value, column) if value else []:
                for match in index.match(query, as_of, names=column.names):
                    key = (line, match.record_id, match.subject_index)
                    if key not in hits or (match.strong and not hits[key].match.strong):
                        hits[key] = Hit(line, column.name, value, match)
    return [hits[key] for key in sorted(hits)]


def disclosed(doc: dict[str, Any], as_of: dt.date, to: str) -> dict[str, Any] | None:
    """The document with the disclosure appended, or None when it is already there."""
    entry = {"on": as_of.isoformat(), "to": to, "what": DISCLOSED_WHAT}
    if entry in (doc.get("disclosures") or []):
        return None
    changed = copy.deepcopy(doc)
    changed["disclosures"] = [*(changed.get("disclosures") or []), entry]
    return changed


def hit_lines(hit: Hit) -> list[str]:
    return [f"line {hit.line} ({hit.column}: {hit.value})", *match_lines(hit.match)]


def report(ctx: Context, hits: list[Hit], as_of: dt.date, fmt: str) -> None:
    if fmt == "json":
        ctx.out(
            output.to_json(
                [
                    {"line": h.line, "column": h.column, "value": h.value, **match_json(h.match)}
                    for h in hits
                ]
            )
        )
    elif not hits:
        ctx.out(f"Nobody on this list is flagged or banned as of {as_of.isoformat()}.")
    else:
        ctx.out("\n\n".join("\n".join(hit_lines(h)) for h in hits))


def record_disclosures(
    ctx: Context, loaded: Mapping[str, Loaded], hits: list[Hit], as_of: dt.date, to: str
) -> list[str]:
    ids = sorted({h.match.record_id for h in hits if h.match.strong})
    docs = [
        doc for doc in (disclosed(loaded[rid].doc, as_of, to) for rid in ids) if doc is not None
    ]
    return ctx.store.save(docs, loaded) if docs else []


def run(
    ctx: Context,
    file: str,
    column: str | None,
    disclose: str | None,
    as_of: dt.date,
    fmt: str,
    yes: bool = False,
) -> int:
    ctx.yes = yes
    if disclose is not None and not disclose.strip():
        raise UsageError(
            '--disclose: say to whom the details went, like "Example Conf 2027 organisers"'
        )
    table = parse_csv(read_text(Path(file), file), file)
    columns = choose_columns(table, column, file)
    if disclose is None:
        loaded = ctx.store.load()
        ctx.store.tell_withheld(" from this screening")
        report(
            ctx,
            screen(
                table,
                columns,
                FlagIndex.as_of([item.record for item in loaded.values()], ctx.store.policy, as_of),
                as_of,
            ),
            as_of,
            fmt,
        )
        return EXIT_OK
    with ctx.writing().writer():
        loaded = ctx.store.load()
        ctx.store.tell_withheld(" from this screening")
        hits = screen(
            table,
            columns,
            FlagIndex.as_of([item.record for item in loaded.values()], ctx.store.policy, as_of),
            as_of,
        )
        written = record_disclosures(ctx, loaded, hits, as_of, disclose.strip())
    report(ctx, hits, as_of, fmt)
    weak = sorted(
        {h.match.record_id for h in hits if not h.match.strong}
        - {h.match.record_id for h in hits if h.match.strong}
    )
    ctx.err(
        f"cocrec: recorded the disclosure in {len(written)} record(s){': ' + ', '.join(written) if written else ''}"
    )
    if weak:
        ctx.err(
            f"cocrec: not recorded for name-only matches ({', '.join(weak)}): confirm them, then record by hand"
        )
    return EXIT_OK
