"""cocrec show ID: one record with its code name and computed retention; --shareable only what organisers
may see. ID is a record id or a code name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import codenames, output, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError
from ..model import Record
from ..retention import RecordSchedule
from ..views import schedule_json, step_cell


def shareable(record: Record) -> dict[str, Any]:
    """What may go to event organisers: outcome, advice and the summary written to be shared. No names."""
    data: dict[str, Any] = {"id": record.id}
    if record.event:
        data["event"] = record.event
    if record.outcome is None:
        data["outcome"] = "open"
        return data
    outcome = record.outcome
    data["outcome"] = outcome.type
    data["decided_on"] = outcome.decided_on.isoformat()
    if outcome.type == "banned":
        data["ban"] = (
            "permanent"
            if outcome.ban_permanent
            else f"until {outcome.ban_until.isoformat() if outcome.ban_until else '?'}"
        )
    for key in ("recommendations", "shareable_summary"):
        if getattr(outcome, key):
            data[key] = getattr(outcome, key)
    return data


def retention_lines(schedule: RecordSchedule, as_of: dt.date) -> list[str]:
    lines = [f"# retention as of {as_of.isoformat()}:"]
    if schedule.steps is None:
        lines.append(
            "#   open case: no expunge steps until an outcome is decided"
            + (" (stale)" if schedule.stale else "")
        )
        return lines
    for name, step in schedule.steps.items():
        lines.append(f"#   {name}: {step_cell(step)}")
    for label, ids in (("extended by", schedule.extended_by), ("held by", schedule.held_by)):
        if ids:
            lines.append(f"#   {label}: {', '.join(ids)}")
    return lines


def run(ctx: Context, record_id: str, as_of: dt.date, only_shareable: bool, fmt: str) -> int:
    store = ctx.store
    record_id = store.resolve(record_id)
    store.require([record_id])
    loaded = store.load()
    if (
        record_id not in loaded
    ):  # left out, and why said above: not as a member signed it, an older version put back
        raise CocrecError(
            f"{ctx.repo.record_source(record_id)}: not shown: it is not as a member signed it (see above)"
        )
    item = loaded[record_id]
    if only_shareable:
        data = shareable(item.record)
        ctx.out(output.to_json(data) if fmt == "json" else yaml_io.dumps(data).rstrip())
        return EXIT_OK
    schedule = store.schedules(loaded, as_of)[record_id]
    code_name = store.signed_code_name(record_id)
    if fmt == "json":
        ctx.out(
            output.to_json(
                {"record": item.doc, "code_name": code_name, "retention": schedule_json(schedule)}
            )
        )
        return EXIT_OK
    ctx.out(item.plaintext.decode("utf-8").rstrip())
    ctx.out(f"# code name: {codenames.shown(code_name)}")
    ctx.out("\n".join(retention_lines(schedule, as_of)))
    return EXIT_OK
