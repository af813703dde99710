"""When each record's expunge steps fall due (SPEC section 5). Pure: no I/O, no clock.

Three passes over all records at once, because a record's dates depend on
the others: own dates from the policy terms (an override replaces the step
it names), then repeat violations extending earlier records from the latest
back to the earliest, then holds and each step's state as of a date.
A due date of None means "never".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .dates import add_months
from .model import Outcome, Record
from .people import PeopleIndex
from .policy import Policy
from .vocabulary import STEPS, OutcomeType, RecordStatus, StepName

StepState = Literal["done", "never", "held", "pending", "due", "overdue"]
Due = dt.date | None
Dates = dict[StepName, Due]

EXTENDING: frozenset[OutcomeType] = frozenset({"resolved", "flagged", "banned"})


@dataclass(frozen=True)
class StepSchedule:
    due: Due
    state: StepState
    done_on: dt.date | None = None


@dataclass(frozen=True)
class RecordSchedule:
    """One record's retention as of a date.

    extended_by: later records whose extension actually moved a date of this one (sorted ids).
    held_by: the open records holding this one (rule 6), plus this record's own id when it has a
      `retention.hold` (sorted ids). Like `held`, it does not depend on the as-of date: only the
      states do (a held step shows as `held` once it is due).
    override_blocked_by: later violations that would have extended an overridden step (check warns).
    """

    id: str
    status: RecordStatus
    outcome: OutcomeType | None
    steps: Mapping[StepName, StepSchedule] | None
    extended_by: tuple[str, ...] = ()
    held_by: tuple[str, ...] = ()
    override: bool = False
    held: bool = False
    stale: bool = False
    hold_needs_review: bool = False
    override_blocked_by: tuple[str, ...] = ()


def later(first: Due, second: Due) -> bool:
    """True when `first` falls strictly after `second`; never falls after any date."""
    if first is None:
        return second is not None
    return second is not None and first > second


def on_or_before(day: dt.date, due: Due) -> bool:
    return due is None or day <= due


def start_of(record: Record, outcome: Outcome, policy: Policy) -> dt.date:
    return outcome.decided_on if policy.starts == "decided_on" else record.reported_on


def _after(start: dt.date | None, months: int | None) -> Due:
    return None if start is None or months is None else add_months(start, months)


def own_dates(record: Record, policy: Policy) -> Dates:
    """A closed record's dates from the policy terms alone (rule 2)."""
    outcome = record.outcome
    assert outcome is not None, "open records have no steps"
    if outcome.type == "banned":
        # A ban without `until` is permanent or invalid; either way it is kept.
        until = None if outcome.ban_permanent else outcome.ban_until
        return {step: _after(until, policy.after_ban) for step in STEPS}
    start = start_of(record, outcome, policy)
    terms = policy.terms[outcome.type]
    return {step: _after(start, terms[step]) for step in STEPS}


def overridden_steps(record: Record) -> frozenset[StepName]:
    override = record.override
    if override is None:
        return _NO_STEPS
    return frozenset(s for s in STEPS if override.date_for(s) is not None)


_NO_STEPS: frozenset[StepName] = frozenset()


def initial_dates(record: Record, policy: Policy) -> Dates:
    """Own dates with the override's dates in place (rule 5)."""
    dates = own_dates(record, policy)
    override = record.override
    for step in STEPS:
        day = override.date_for(step) if override is not None else None
        if day is not None:
            dates[step] = day
    return dates


def _order(record: Record) -> tuple[dt.date, str]:
    return (record.reported_on, record.id)


@dataclass
class _Extension:
    """The working state of rule 4: every closed record's dates, and who moved or would have moved them."""

    dates: dict[str, Dates]
    extended_by: dict[str, set[str]] = field(default_factory=dict)
    blocked_by: dict[str, set[str]] = field(default_factory=dict)

    def apply(self, earlier: Record, violation: Record) -> None:
        """`violation` extends both of `earlier`'s steps to its subjects date, save overridden ones."""
        target = self.dates[violation.id]["subjects"]
        dates = self.dates[earlier.id]
        blocked = overridden_steps(earlier)
        for step in STEPS:
            if not later(target, dates[step]):
                continue
            if step in blocked:
                self.blocked_by.setdefault(earlier.id, set()).add(violation.id)
            else:
                dates[step] = target
                self.extended_by.setdefault(earlier.id, set()).add(violation.id)


def _participants(records: Sequence[Record]) -> list[Record]:
    """Closed, non-unidentified records, earliest first (later: greater reported_on, ties by greater id)."""
    chosen = [r for r in records if r.outcome is not None and r.outcome.type != "unidentified"]
    return sorted(chosen, key=_order)


def _extend_from_later(earlier: Record, later_records: Sequence[Record], ext: _Extension) -> None:
    for candidate in later_records:
        assert candidate.outcome is not None
        if candidate.outcome.type not in EXTENDING:
            continue
        # "As it stands": an extension by one later record can let a still later one in.
        if on_or_before(candidate.reported_on, ext.dates[earlier.id]["subjects"]):
            ext.apply(earlier, candidate)


def _extend(records: Sequence[Record], policy: Policy, people: PeopleIndex) -> _Extension:
    ext = _Extension({r.id: initial_dates(r, policy) for r in records if r.outcome is not None})
    if not policy.repeat_violation_extends:
        return ext
    ordered = _participants(records)
    position = {r.id: n for n, r in enumerate(ordered)}
    # Latest first, so that each later record's dates are final before it extends earlier ones.
    for n in reversed(range(len(ordered))):
        earlier = ordered[n]
        linked = (
            position[rid] for rid in people.records_sharing_subject(earlier.id) if rid in position
        )
        _extend_from_later(earlier, [ordered[p] for p in sorted(p for p in linked if p > n)], ext)
    return ext


def due_dates(records: Sequence[Record], policy: Policy) -> dict[str, dict[StepName, Due]]:
    """Every closed record's final due dates (None = never), overrides and extensions applied; as-of independent."""
    return _extend(records, policy, PeopleIndex.build(records)).dates


def step_state(due: Due, done_on: dt.date | None, held: bool, as_of: dt.date) -> StepState:
    """Rule 7: the state of one step as of `as_of`."""
    if done_on is not None:
        return "done"
    if due is None:
        return "never"
    if as_of < due:
        return "pending"
    if held:
        return "held"
    return "due" if as_of == due else "overdue"


def _open_holders(
    record: Record, subjects_due: Due, people: PeopleIndex, by_id: Mapping[str, Record]
) -> set[str]:
    """Open records sharing a subject with `record`, reported on or before its subjects date (rule 6)."""
    return {
        rid
        for rid in people.records_sharing_subject(record.id)
        if by_id[rid].is_open and on_or_before(by_id[rid].reported_on, subjects_due)
    }


def _hold_needs_review(record: Record, as_of: dt.date) -> bool:
    hold = record.hold
    return hold is not None and hold.review_on is not None and hold.review_on < as_of


def _own_hold(record: Record) -> set[str]:
    return {record.id} if record.hold is not None else set()


def _open_schedule(record: Record, policy: Policy, as_of: dt.date) -> RecordSchedule:
    holders = tuple(sorted(_own_hold(record)))
    return RecordSchedule(
        id=record.id,
        status="open",
        outcome=None,
        steps=None,
        held_by=holders,
        override=bool(overridden_steps(record)),
        held=bool(holders),
        stale=(as_of - record.reported_on).days > policy.stale_open_case_days,
        hold_needs_review=_hold_needs_review(record, as_of),
    )


def _steps(
    record: Record, dates: Dates, held: bool, as_of: dt.date
) -> dict[StepName, StepSchedule]:
    steps: dict[StepName, StepSchedule] = {}
    for step in STEPS:
        done_on = record.expunged.get(step)
        steps[step] = StepSchedule(
            dates[step], step_state(dates[step], done_on, held, as_of), done_on
        )
    return steps


def _closed_schedule(
    record: Record, ext: _Extension, holders: tuple[str, ...], as_of: dt.date
) -> RecordSchedule:
    assert record.outcome is not None
    return RecordSchedule(
        id=record.id,
        status="closed",
        outcome=record.outcome.type,
        steps=_steps(record, ext.dates[record.id], bool(holders), as_of),
        extended_by=tuple(sorted(ext.extended_by.get(record.id, ()))),
        held_by=holders,
        override=bool(overridden_steps(record)),
        held=bool(holders),
        hold_needs_review=_hold_needs_review(record, as_of),
        override_blocked_by=tuple(sorted(ext.blocked_by.get(record.id, ()))),
    )


def schedule(
    records: Sequence[Record], policy: Policy, as_of: dt.date, people: PeopleIndex | None = None
) -> dict[str, RecordSchedule]:
    """Every record's retention schedule as of `as_of` (SPEC section 5), keyed by record id.

    `people` is these records' PeopleIndex, for a caller that needs it too."""
    if people is None:
        people = PeopleIndex.build(records)
    ext = _extend(records, policy, people)
    by_id = {r.id: r for r in records}
    result: dict[str, RecordSchedule] = {}
    for record in records:
        if record.outcome is None:
            result[record.id] = _open_schedule(record, policy, as_of)
            continue
        subjects_due = ext.dates[record.id]["subjects"]
        holders = tuple(
            sorted(_open_holders(record, subjects_due, people, by_id) | _own_hold(record))
        )
        result[record.id] = _closed_schedule(record, ext, holders, as_of)
    return result


# -- what needs the committee's attention (`due`, `status`) --------------------------------------

ATTENTION: tuple[StepState, ...] = ("overdue", "due", "held")


def step_due_within(step: StepSchedule, as_of: dt.date, within: int) -> bool:
    """A pending step whose due date comes within `within` days of `as_of`."""
    return (
        step.state == "pending"
        and step.due is not None
        and step.due <= as_of + dt.timedelta(days=within)
    )


def needs_listing(schedule: RecordSchedule, as_of: dt.date, within: int) -> bool:
    """Overdue, due or held now, or due within `within` days; stale open cases too."""
    if schedule.steps is None:
        return schedule.stale
    return any(
        step.state in ATTENTION or step_due_within(step, as_of, within)
        for step in schedule.steps.values()
    )
