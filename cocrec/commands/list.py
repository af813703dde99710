"""cocrec list: one row a record, filtered by status, outcome, year or subject.

Each row shows the record's code name. A record this member cannot open (not encrypted to them)
still has a row, from its signed index entry alone: id, code name, status, and the report date of
an open case; what only the record says is left empty (null in JSON), and such a row matches no
--outcome or --subject filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import output
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..index import Entry
from ..people import PeopleIndex
from ..store import Loaded

HEADERS = ["id", "code_name", "reported_on", "status", "outcome", "region", "event", "subjects"]
Row = tuple[Any, ...]


def matches_subject(item: Loaded, query: str, people: PeopleIndex) -> bool:
    """An identifier match (any case) or a name containing the query."""
    hits = {rid for rid, _ in people.find(query)}
    if item.id in hits:
        return True
    folded = query.casefold()
    return any(s.name and folded in s.name.casefold() for s in item.record.subjects)


def index_only_rows(
    entries: Mapping[str, Entry],
    opened: Mapping[str, Loaded],
    files: Mapping[str, object],
    status: str | None,
    year: int | None,
    filtered: bool,
) -> list[Row]:
    """Rows for the record files this member could not open, from their signed index entries."""
    rows = []
    for rid, entry in sorted(entries.items()):
        if rid in opened or rid not in files or entry.removed or filtered:
            continue
        if (status and entry.status != status) or (year and not rid.startswith(f"{year:04d}-")):
            continue
        rows.append((rid, entry.code_name, entry.reported_on, entry.status, None, None, None, None))
    return rows


def run(
    ctx: Context,
    as_of: dt.date,
    status: str | None,
    outcome: str | None,
    year: int | None,
    subject: str | None,
    fmt: str,
) -> int:
    if subject is not None and not subject.strip():
        raise UsageError("--subject: give a name, email, username or url to look for")
    store = ctx.store
    loaded = store.load()
    store.tell_withheld(
        " (listed from the index only: ids, code names, status and open cases' report dates)"
    )
    names = store.code_names()
    people = PeopleIndex.build([item.record for item in loaded.values()])
    rows: list[Row] = []
    for rid, item in sorted(loaded.items()):
        rec = item.record
        state = "open" if rec.is_open else "closed"
        kind = rec.outcome.type if rec.outcome else None
        if (
            (status and state != status)
            or (outcome and kind != outcome)
            or (year and rec.year != year)
        ):
            continue
        if subject is not None and not matches_subject(item, subject.strip(), people):
            continue
        rows.append(
            (
                rid,
                names.get(rid),
                rec.reported_on.isoformat(),
                state,
                kind,
                rec.region,
                rec.event,
                len(rec.subjects),
            )
        )
    filtered = outcome is not None or subject is not None
    doubted = {
        rid for rid in ctx.repo.record_files() if ctx.repo.record_source(rid) in store.left_out
    }
    files = {rid: path for rid, path in ctx.repo.record_files().items() if rid not in doubted}
    rows += index_only_rows(store.verification.signed, loaded, files, status, year, filtered)
    rows.sort(key=lambda row: str(row[0]))
    if fmt == "json":
        ctx.out(output.to_json([dict(zip(HEADERS, row)) for row in rows]))
    elif not rows:
        ctx.out("No records match.")
    else:
        ctx.out(output.table(HEADERS, rows))
    return EXIT_OK
