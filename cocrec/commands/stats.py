"""cocrec stats: counts for the committee, by year received, region, outcome or category."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from .. import output, stats
from ..context import Context
from ..errors import EXIT_OK


def headers(by: stats.By) -> list[str]:
    return [by, *stats.COUNTS]


def table_rows(rows: list[stats.Row], by: stats.By) -> list[list[Any]]:
    """The rows, and a total line where rows partition the records (not by category: a record may have several)."""
    body: list[list[Any]] = [[row.key, *(row.counts[n] for n in stats.COUNTS)] for row in rows]
    if by != "category" and len(rows) > 1:
        sums = stats.total(rows)
        body.append(["total", *(sums[n] for n in stats.COUNTS)])
    return body


def run(ctx: Context, by: str, as_of: dt.date, fmt: str) -> int:
    """Every record counts, expunged ones included; `as_of` changes nothing (the counts are of what is recorded)."""
    dimension = cast(stats.By, by)
    records = [item.record for item in ctx.store.load().values()]
    rows = stats.count(records, dimension)
    if fmt == "json":
        ctx.out(output.to_json(stats.to_json(rows, dimension)))
    elif fmt == "csv":
        ctx.out(output.csv_text(headers(dimension), [[row.key, *(row.counts[n] for n in stats.COUNTS)] for row in rows]))
    elif not rows:
        ctx.out("No records yet.")
    else:
        ctx.out(output.table(headers(dimension), table_rows(rows, dimension)))
    return EXIT_OK
