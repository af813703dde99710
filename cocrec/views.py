"""How a record's retention and deadlines are shown: the JSON shapes of SPEC sections 7 and 12, and table cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .deadlines import DeadlineStatus
from .retention import RecordSchedule, StepSchedule


def step_json(step: StepSchedule) -> dict[str, Any]:
    data: dict[str, Any] = {"due": step.due.isoformat() if step.due else None, "state": step.state}
    if step.done_on is not None:
        data["done_on"] = step.done_on.isoformat()
    return data


def schedule_json(schedule: RecordSchedule) -> dict[str, Any]:
    """One object of `cocrec due --format json` (SPEC section 7)."""
    steps = (
        None
        if schedule.steps is None
        else {name: step_json(s) for name, s in schedule.steps.items()}
    )
    return {
        "id": schedule.id,
        "status": schedule.status,
        "outcome": schedule.outcome,
        "steps": steps,
        "extended_by": list(schedule.extended_by),
        "held_by": list(schedule.held_by),
        "override": schedule.override,
    }


def with_code_name(data: Mapping[str, Any], code_name: str | None) -> dict[str, Any]:
    """A record's JSON object with its `code_name` (SPEC section 11) right after its `id`."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == "id":
            out["code_name"] = code_name
    return out


def step_cell(step: StepSchedule | None) -> str:
    if step is None:
        return "-"
    if step.state == "done" and step.done_on is not None:
        return f"done {step.done_on.isoformat()}"
    if step.due is None:
        return "never"
    return f"{step.due.isoformat()} {step.state}"


def notes_cell(schedule: RecordSchedule) -> str:
    notes = []
    if schedule.stale:
        notes.append("stale open case")
    if schedule.extended_by:
        notes.append("extended by " + ", ".join(schedule.extended_by))
    if schedule.held_by:
        notes.append("held by " + ", ".join(schedule.held_by))
    if schedule.override:
        notes.append("override")
    return "; ".join(notes)


def deadlines_json(statuses: Sequence[DeadlineStatus]) -> list[dict[str, Any]]:
    """The `deadlines` of a record in `cocrec due --format json` (SPEC section 12); a done one adds `done_on`."""
    result = []
    for status in statuses:
        data: dict[str, Any] = {
            "kind": status.kind,
            "due": status.due.isoformat(),
            "state": status.state,
        }
        if status.done_on is not None:
            data["done_on"] = status.done_on.isoformat()
        result.append(data)
    return result


def deadlines_cell(statuses: Sequence[DeadlineStatus]) -> str:
    """`decide 2026-07-04 overdue`; done ones as `acknowledge done 2026-06-05`."""
    cells = []
    for status in statuses:
        if status.state == "done" and status.done_on is not None:
            cells.append(f"{status.kind} done {status.done_on.isoformat()}")
        else:
            cells.append(f"{status.kind} {status.due.isoformat()} {status.state}")
    return "; ".join(cells)
