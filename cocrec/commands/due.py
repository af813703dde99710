"""cocrec due: the retention schedule: what is overdue, due, held, or falls due soon."""

from __future__ import annotations

import datetime as dt

from .. import output
from ..context import Context
from ..errors import EXIT_OK
from ..retention import RecordSchedule, StepSchedule
from ..views import notes_cell, schedule_json, step_cell

ATTENTION = ("overdue", "due", "held")


def falls_due_within(step: StepSchedule, as_of: dt.date, within: int) -> bool:
    """A pending step whose due date comes within `within` days of `as_of`."""
    return step.state == "pending" and step.due is not None and step.due <= as_of + dt.timedelta(days=within)


def needs_listing(schedule: RecordSchedule, as_of: dt.date, within: int) -> bool:
    """Overdue, due or held now, or due within `within` days; stale open cases too."""
    if schedule.steps is None:
        return schedule.stale
    return any(step.state in ATTENTION or falls_due_within(step, as_of, within) for step in schedule.steps.values())


def run(ctx: Context, as_of: dt.date, show_all: bool, within: int, fmt: str) -> int:
    store = ctx.store
    schedules = store.schedules(store.load(), as_of)
    chosen = [s for _, s in sorted(schedules.items()) if show_all or needs_listing(s, as_of, within)]
    if fmt == "json":
        ctx.out(output.to_json([schedule_json(s) for s in chosen]))
        return EXIT_OK
    if not chosen:
        ctx.out(f"Nothing due, overdue or held as of {as_of.isoformat()}, nor within {within} days.")
        return EXIT_OK
    rows = [
        (s.id, s.status, s.outcome, step_cell((s.steps or {}).get("reporter")), step_cell((s.steps or {}).get("subjects")), notes_cell(s))
        for s in chosen
    ]
    ctx.out(output.table(["id", "status", "outcome", "reporter", "subjects", "notes"], rows))
    return EXIT_OK
