"""How a record's retention is shown: the JSON shape of SPEC section 7, and its table cells."""

from __future__ import annotations

from typing import Any, Optional

from .retention import RecordSchedule, StepSchedule


def step_json(step: StepSchedule) -> dict[str, Any]:
    data: dict[str, Any] = {"due": step.due.isoformat() if step.due else None, "state": step.state}
    if step.done_on is not None:
        data["done_on"] = step.done_on.isoformat()
    return data


def schedule_json(schedule: RecordSchedule) -> dict[str, Any]:
    """One object of `cocrec due --format json` (SPEC section 7)."""
    steps = None if schedule.steps is None else {name: step_json(s) for name, s in schedule.steps.items()}
    return {
        "id": schedule.id,
        "status": schedule.status,
        "outcome": schedule.outcome,
        "steps": steps,
        "extended_by": list(schedule.extended_by),
        "held_by": list(schedule.held_by),
        "override": schedule.override,
    }


def step_cell(step: Optional[StepSchedule]) -> str:
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
