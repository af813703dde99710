"""The committee's own deadlines on a record (SPEC section 12).

Pure: a record and a policy in, dates out.

Four kinds, each a whole number of days from the policy (`null` turns one off):

- acknowledge: from `reported_on`, while the case is open; done on `acknowledged_on`;
- decide: from `reported_on`, while the case is open; done on `outcome.decided_on`;
- review_unilateral: from `unilateral_action.taken_on`; done on `unilateral_action.reviewed_on`;
- appeal_window: from `outcome.decided_on`; done on `appeal.received_on`. It is the appellant's
  window, not the committee's task: once it has closed it is `done`, never `overdue`.

A closed case that never recorded `acknowledged_on` has no acknowledge deadline: deciding the
case answered the reporter. The states are expunge steps' (`pending`, `due`, `overdue`,
`done`); `next_deadline` is what a reader without a key needs (the index, CI): the earliest
due date the committee can still miss, the same whatever the as-of date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from .model import Record
from .policy import Policy
from .vocabulary import DeadlineKind

DeadlineState = Literal["pending", "due", "overdue", "done"]
# The kinds the committee itself can miss (and CI fails on).
COMMITTEE_KINDS: frozenset[DeadlineKind] = frozenset({"acknowledge", "decide", "review_unilateral"})


@dataclass(frozen=True)
class Deadline:
    """One deadline of one record, as-of independent."""

    kind: DeadlineKind
    due: dt.date
    done_on: dt.date | None = None

    @property
    def can_be_missed(self) -> bool:
        return self.kind in COMMITTEE_KINDS

    def state(self, as_of: dt.date) -> DeadlineState:
        if self.done_on is not None:
            return "done"
        if as_of < self.due:
            return "pending"
        if as_of == self.due:
            return "due"
        return "overdue" if self.can_be_missed else "done"


@dataclass(frozen=True)
class DeadlineStatus:
    """A deadline as of a date."""

    kind: DeadlineKind
    due: dt.date
    state: DeadlineState
    done_on: dt.date | None = None


def _after(start: dt.date, days: int | None) -> dt.date | None:
    return None if days is None else start + dt.timedelta(days=days)


def _candidates(record: Record) -> list[tuple[DeadlineKind, dt.date, dt.date | None]]:
    """(kind, start, done_on) of each deadline that applies to the record, whatever the policy."""
    found: list[tuple[DeadlineKind, dt.date, dt.date | None]] = []
    outcome = record.outcome
    if outcome is None or record.acknowledged_on is not None:
        found.append(("acknowledge", record.reported_on, record.acknowledged_on))
    found.append(("decide", record.reported_on, outcome.decided_on if outcome else None))
    action = record.unilateral_action
    if action is not None:
        found.append(("review_unilateral", action.taken_on, action.reviewed_on))
    if outcome is not None:
        found.append(
            (
                "appeal_window",
                outcome.decided_on,
                record.appeal.received_on if record.appeal else None,
            )
        )
    return found


def deadlines(record: Record, policy: Policy) -> tuple[Deadline, ...]:
    """Every deadline the policy sets on the record, in the order of the policy's kinds."""
    result = []
    for kind, start, done_on in _candidates(record):
        due = _after(start, policy.deadlines.get(kind))
        if due is not None:
            result.append(Deadline(kind, due, done_on))
    return tuple(result)


def statuses(record: Record, policy: Policy, as_of: dt.date) -> tuple[DeadlineStatus, ...]:
    """Each deadline with its state as of `as_of`."""
    return tuple(
        DeadlineStatus(d.kind, d.due, d.state(as_of), d.done_on) for d in deadlines(record, policy)
    )


def next_deadline(record: Record, policy: Policy) -> dt.date | None:
    """The earliest due date of a deadline the committee has not met, or None; as-of independent.

    The record is overdue as of T exactly when this date is before T."""
    open_dates = [d.due for d in deadlines(record, policy) if d.done_on is None and d.can_be_missed]
    return min(open_dates, default=None)


def falls_due_within(status: DeadlineStatus, as_of: dt.date, within: int) -> bool:
    return status.state == "pending" and status.due <= as_of + dt.timedelta(days=within)


def needs_attention(status: DeadlineStatus, as_of: dt.date, within: int) -> bool:
    """A committee deadline that is late, due today or due within `within` days: what `due` and
    `status` list (an appeal window is the appellant's: shown only among a record's deadlines)."""
    if status.kind not in COMMITTEE_KINDS:
        return False
    return status.state in ("overdue", "due") or falls_due_within(status, as_of, within)
