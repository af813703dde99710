"""The committee's deadlines (SPEC section 12), pure: each kind, its states, and the as-of independent next date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import deadlines
from cocrec.model import Record
from cocrec.policy import Policy

from .conftest import outcome, record

POLICY = Policy.from_doc({})
D = dt.date.fromisoformat


def rec(**changes: Any) -> Record:
    changes.setdefault("acknowledged_on", None)  # a report nobody answered yet, unless said
    return Record.from_doc(record(id="2026-k7qd", reported_on="2026-06-04", **changes))


def kinds(r: Record, policy: Policy = POLICY) -> dict[str, tuple[dt.date, str]]:
    return {s.kind: (s.due, s.state) for s in deadlines.statuses(r, policy, D("2026-06-05"))}


def test_an_open_case_must_be_acknowledged_in_a_day_and_decided_in_thirty() -> None:
    assert kinds(rec()) == {
        "acknowledge": (D("2026-06-05"), "due"),
        "decide": (D("2026-07-04"), "pending"),
    }
    states = [s.state for s in deadlines.statuses(rec(), POLICY, D("2026-06-06"))]
    assert states == ["overdue", "pending"]
    assert deadlines.next_deadline(rec(), POLICY) == D("2026-06-05")


def test_acknowledging_and_deciding_mark_them_done_on_their_dates() -> None:
    acknowledged = rec(acknowledged_on="2026-06-07")  # late, but done
    assert kinds(acknowledged)["acknowledge"] == (D("2026-06-05"), "done")
    assert deadlines.next_deadline(acknowledged, POLICY) == D("2026-07-04")
    closed = rec(acknowledged_on="2026-06-04", outcome=outcome("resolved", "2026-06-20"))
    statuses = {s.kind: s for s in deadlines.statuses(closed, POLICY, D("2026-12-01"))}
    assert statuses["decide"].state == "done" and statuses["decide"].done_on == D("2026-06-20")
    assert statuses["acknowledge"].done_on == D("2026-06-04")


def test_a_closed_case_that_never_recorded_an_acknowledgement_has_no_such_deadline() -> None:
    closed = rec(outcome=outcome("resolved", "2026-06-20"))
    assert "acknowledge" not in kinds(closed)
    assert deadlines.next_deadline(closed, POLICY) is None


def test_a_unilateral_action_is_reviewed_within_a_day_open_or_closed() -> None:
    taken = rec(
        outcome=outcome("resolved", "2026-06-20"), unilateral_action={"taken_on": "2026-06-10"}
    )
    assert {s.kind: s.state for s in deadlines.statuses(taken, POLICY, D("2026-06-12"))}[
        "review_unilateral"
    ] == "overdue"
    assert deadlines.next_deadline(taken, POLICY) == D("2026-06-11")
    reviewed = rec(
        unilateral_action={"taken_on": "2026-06-10", "reviewed_on": "2026-06-11"},
        acknowledged_on="2026-06-04",
    )
    assert deadlines.next_deadline(reviewed, POLICY) == D("2026-07-04")  # only the decision is left


def test_the_appeal_window_closes_but_is_never_the_committee_s_to_miss() -> None:
    closed = rec(outcome=outcome("flagged", "2026-06-20"))
    window = {s.kind: s for s in deadlines.statuses(closed, POLICY, D("2026-07-01"))}[
        "appeal_window"
    ]
    assert (window.due, window.state) == (D("2026-07-20"), "pending")
    assert {s.kind: s.state for s in deadlines.statuses(closed, POLICY, D("2026-08-01"))}[
        "appeal_window"
    ] == "done"
    appealed = rec(outcome=outcome("flagged", "2026-06-20"), appeal={"received_on": "2026-07-01"})
    assert {s.kind: s.done_on for s in deadlines.statuses(appealed, POLICY, D("2026-07-05"))}[
        "appeal_window"
    ] == D("2026-07-01")
    assert deadlines.next_deadline(closed, POLICY) is None


def test_null_turns_a_deadline_off_and_days_come_from_the_policy() -> None:
    policy = Policy.from_doc({"deadlines": {"acknowledge": None, "decide": 14}})
    assert kinds(rec(), policy) == {"decide": (D("2026-06-18"), "pending")}
    assert deadlines.next_deadline(rec(), policy) == D("2026-06-18")
    assert (
        deadlines.next_deadline(
            rec(), Policy.from_doc({"deadlines": {"acknowledge": None, "decide": None}})
        )
        is None
    )


def test_listing_is_for_the_committee_s_deadlines_late_due_or_soon() -> None:
    as_of = D("2026-06-20")
    statuses = {
        s.kind: s for s in deadlines.statuses(rec(acknowledged_on="2026-06-04"), POLICY, as_of)
    }
    assert not deadlines.needs_attention(statuses["acknowledge"], as_of, 30)  # done
    assert deadlines.needs_attention(statuses["decide"], as_of, 30)  # 2026-07-04 is within 30 days
    assert not deadlines.needs_attention(statuses["decide"], as_of, 10)
    window = deadlines.statuses(rec(outcome=outcome("resolved", "2026-06-20")), POLICY, as_of)
    assert not any(deadlines.needs_attention(s, as_of, 30) for s in window)


DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    reported=DAYS,
    ack=st.one_of(st.none(), st.integers(0, 5)),
    decide=st.one_of(st.none(), st.integers(0, 60)),
    action=st.one_of(st.none(), st.integers(0, 20)),
    reviewed=st.one_of(st.none(), st.integers(0, 3)),
    as_of=DAYS,
)
def test_next_deadline_is_overdue_exactly_when_a_committee_deadline_is(
    reported: dt.date,
    ack: int | None,
    decide: int | None,
    action: int | None,
    reviewed: int | None,
    as_of: dt.date,
) -> None:
    """What CI checks with the index's one date is what the full states say, whatever the as-of date."""
    changes: dict[str, Any] = {"reported_on": reported.isoformat()}
    if ack is not None:
        changes["acknowledged_on"] = (reported + dt.timedelta(days=ack)).isoformat()
    if decide is not None:
        changes["outcome"] = outcome("resolved", (reported + dt.timedelta(days=decide)).isoformat())
    if action is not None:
        taken = reported + dt.timedelta(days=action)
        changes["unilateral_action"] = {"taken_on": taken.isoformat()}
        if reviewed is not None:
            changes["unilateral_action"]["reviewed_on"] = (
                taken + dt.timedelta(days=reviewed)
            ).isoformat()
    r = Record.from_doc(record(id="2026-k7qd", **changes))
    overdue = any(s.state == "overdue" for s in deadlines.statuses(r, POLICY, as_of))
    nxt = deadlines.next_deadline(r, POLICY)
    assert overdue == (nxt is not None and nxt < as_of)
