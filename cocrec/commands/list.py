"""cocrec list: one row a record, filtered by status, outcome, year or subject."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from .. import output
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..people import PeopleIndex
from ..store import Loaded

HEADERS = ["id", "reported_on", "status", "outcome", "region", "event", "subjects"]


def matches_subject(item: Loaded, query: str, people: PeopleIndex) -> bool:
    """An identifier match (any case) or a name containing the query."""
    hits = {rid for rid, _ in people.find(query)}
    if item.id in hits:
        return True
    folded = query.casefold()
    return any(s.name and folded in s.name.casefold() for s in item.record.subjects)


def withheld_rows(ctx: Context, status: Optional[str]) -> list[tuple[object, ...]]:
    """The records this member cannot open, from the signed index only: id, report date (an open
    record's; the index keeps no other) and status, so that a new member can declare conflicts."""
    entries = ctx.store.previous_index().entries
    rows: list[tuple[object, ...]] = []
    for rid in ctx.store.withheld:
        entry = entries[rid]
        if status is None or entry.status == status:
            rows.append((rid, entry.reported_on, entry.status, None, None, None, None))
    return rows


def run(
    ctx: Context,
    as_of: dt.date,
    status: Optional[str],
    outcome: Optional[str],
    year: Optional[int],
    subject: Optional[str],
    fmt: str,
) -> int:
    if subject is not None and not subject.strip():
        raise UsageError("--subject: give a name, email, username or url to look for")
    loaded = ctx.store.load()
    ctx.store.tell_withheld(" (listed from the index only: ids, status and open cases' report dates)")
    people = PeopleIndex.build([item.record for item in loaded.values()])
    rows: list[tuple[object, ...]] = []
    for rid, item in sorted(loaded.items()):
        rec = item.record
        state = "open" if rec.is_open else "closed"
        kind = rec.outcome.type if rec.outcome else None
        if (status and state != status) or (outcome and kind != outcome) or (year and rec.year != year):
            continue
        if subject is not None and not matches_subject(item, subject.strip(), people):
            continue
        rows.append((rid, rec.reported_on.isoformat(), state, kind, rec.region, rec.event, len(rec.subjects)))
    if outcome is None and year is None and subject is None:
        rows = sorted(rows + withheld_rows(ctx, status), key=lambda row: str(row[0]))
    if fmt == "json":
        ctx.out(output.to_json([dict(zip(HEADERS, row)) for row in rows]))
    elif not rows:
        ctx.out("No records match.")
    else:
        ctx.out(output.table(HEADERS, rows))
    return EXIT_OK
