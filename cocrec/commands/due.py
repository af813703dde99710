"""cocrec due [ID...]: the retention schedule and the committee's deadlines.

What is late, due or held, or falls due soon; given ids or code names, everything of those records.
Each record is shown with its code name (JSON `code_name`, null for a record that has none yet)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from .. import deadlines, output
from ..context import Context
from ..errors import EXIT_OK
from ..model import Record
from ..policy import Policy
from ..retention import needs_listing
from ..views import (
    deadlines_cell,
    deadlines_json,
    notes_cell,
    schedule_json,
    step_cell,
    with_code_name,
)

Statuses = Mapping[str, Sequence[deadlines.DeadlineStatus]]


def deadline_statuses(
    records: Mapping[str, Record], policy: Policy, as_of: dt.date
) -> dict[str, tuple[deadlines.DeadlineStatus, ...]]:
    return {rid: deadlines.statuses(record, policy, as_of) for rid, record in records.items()}


def late_or_soon(
    statuses: Sequence[deadlines.DeadlineStatus], as_of: dt.date, within: int
) -> list[deadlines.DeadlineStatus]:
    return [s for s in statuses if deadlines.needs_attention(s, as_of, within)]


def run(
    ctx: Context,
    as_of: dt.date,
    show_all: bool,
    within: int,
    fmt: str,
    record_ids: Sequence[str] = (),
) -> int:
    store = ctx.store
    wanted = set(store.resolve_all(record_ids))
    if wanted:
        store.require(wanted)
        show_all = True
    loaded = store.load()
    names = store.code_names()
    schedules = store.schedules(loaded, as_of)
    statuses = deadline_statuses(
        {rid: item.record for rid, item in loaded.items()}, store.policy, as_of
    )
    chosen = [
        s for rid, s in sorted(schedules.items())
        if (not wanted or rid in wanted)
        and (show_all or needs_listing(s, as_of, within) or late_or_soon(statuses[s.id], as_of, within))
    ]  # fmt: skip
    if fmt == "json":
        ctx.out(
            output.to_json(
                [
                    {
                        **with_code_name(schedule_json(s), names.get(s.id)),
                        "deadlines": deadlines_json(statuses[s.id]),
                    }
                    for s in chosen
                ]
            )
        )
        return EXIT_OK
    if not chosen:
        ctx.out(
            f"Nothing due, overdue or held as of {as_of.isoformat()}, nor within {within} days."
        )
        return EXIT_OK
    rows = [
        (s.id, names.get(s.id) or "", s.status, s.outcome, step_cell((s.steps or {}).get("reporter")),
         step_cell((s.steps or {}).get("subjects")),
         deadlines_cell(statuses[s.id] if show_all else late_or_soon(statuses[s.id], as_of, within)),
         notes_cell(s))
        for s in chosen
    ]  # fmt: skip
    ctx.out(
        output.table(
            ["id", "code name", "status", "outcome", "reporter", "subjects", "deadlines", "notes"],
            rows,
        )
    )
    return EXIT_OK
