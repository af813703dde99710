"""cocrec stats: counts for the committee, by year or half-year received, region, outcome,
consequence or category."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from .. import output, stats
from ..context import Context
from ..errors import EXIT_OK
from ..model import Record


def headers(by: stats.By, ladder: Sequence[str]) -> list[str]:
    return [by, *stats.COUNTS, *ladder, *stats.MEDIANS]


def cells(row: stats.Row, ladder: Sequence[str]) -> list[Any]:
    return [
        row.key,
        *(row.counts[n] for n in stats.COUNTS),
        *(row.consequences[n] for n in ladder),
        *(row.medians[n] for n in stats.MEDIANS),
    ]


def table_rows(
    rows: list[stats.Row], by: stats.By, records: Sequence[Record], ladder: Sequence[str]
) -> list[list[Any]]:
    """The rows, and a total line where rows partition the records (not by category: a record
    may have several)."""
    body = [cells(row, ladder) for row in rows]
    if by != "category" and len(rows) > 1:
        body.append(cells(stats.row_of("total", records, ladder), ladder))
    return body


def run(ctx: Context, by: str, as_of: dt.date, fmt: str) -> int:
    """Every record counts, expunged ones included; `as_of` changes nothing (the counts are of
    what is recorded)."""
    dimension = cast(stats.By, by)
    ladder = tuple(ctx.store.policy.consequences)
    records = [item.record for item in ctx.store.load().values()]
    ctx.store.tell_withheld(" from these statistics")
    rows = stats.count(records, dimension, ladder)
    if fmt == "json":
        ctx.out(output.to_json(stats.to_json(rows, dimension)))
    elif fmt == "csv":
        ctx.out(output.csv_text(headers(dimension, ladder), [cells(row, ladder) for row in rows]))
    elif not rows:
        ctx.out("No records yet.")
    else:
        ctx.out(
            output.table(headers(dimension, ladder), table_rows(rows, dimension, records, ladder))
        )
    return EXIT_OK
