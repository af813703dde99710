"""The retention engine (SPEC section 5): the worked examples, the rules one by one, and their invariants.

Every person here is invented (example.org, x.org).
"""

from __future__ import annotations

import datetime as dt
import random as stdlib_random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec.model import Record, Subject
from cocrec.policy import DEFAULT_POLICY, Policy
from cocrec.retention import (
    RecordSchedule,
    StepSchedule,
    due_dates,
    initial_dates,
    own_dates,
    schedule,
    step_state,
)
from cocrec.vocabulary import STEPS

D = dt.date.fromisoformat
JANE = {"name": "Jane Doe", "emails": ["jane@x.org"]}
SAM = {"name": "Sam Subject", "emails": ["sam@example.org"]}
ALEX = {"name": "Alex Subject", "usernames": ["github:alex"]}


def rec(
    rid: str,
    reported_on: str,
    kind: str | None = None,
    decided_on: str | None = None,
    subjects: tuple[dict[str, Any], ...] = (),
    ban: dict[str, Any] | None = None,
    retention: dict[str, Any] | None = None,
    expunged: Mapping[str, str] | None = None,
) -> Record:
    doc: dict[str, Any] = {
        "id": rid,
        "schema_version": 1,
        "reported_on": reported_on,
        "region": "europe",
        "reporter": {"kind": "public", "name": "Sam Reporter"},
        "subjects": [dict(s) for s in subjects],
        "summary": "An invented report.\n",
    }
    if kind is not None:
        doc["outcome"] = {
            "type": kind,
            "decided_on": decided_on or reported_on,
            **({"ban": ban} if ban else {}),
        }
    if retention:
        doc["retention"] = retention
    if expunged:
        doc["expunged"] = dict(expunged)
    return Record.from_doc(doc)


def dates_of(sched: RecordSchedule) -> tuple[dt.date | None, dt.date | None]:
    assert sched.steps is not None
    return sched.steps["reporter"].due, sched.steps["subjects"].due


def states_of(sched: RecordSchedule) -> tuple[str, str]:
    assert sched.steps is not None
    return sched.steps["reporter"].state, sched.steps["subjects"].state


def one(
    record: Record, as_of: str = "2025-01-01", policy: Policy = DEFAULT_POLICY
) -> RecordSchedule:
    return schedule([record], policy, D(as_of))[record.id]


# --- SPEC section 5, worked examples A-F: own dates -------------------------------------------

A = rec("2025-aaaa", "2025-03-01", "no-violation", "2025-03-20", (SAM,))
B = rec("2025-bbbb", "2025-08-01", "unidentified", "2025-08-31")
C = rec("2025-cccc", "2025-01-10", "resolved", "2025-01-31", ({"emails": ["c@example.org"]},))
DD = rec("2024-dddd", "2024-05-01", "flagged", "2024-05-10", ({"emails": ["d@example.org"]},))
E = rec(
    "2026-eeee",
    "2026-01-05",
    "banned",
    "2026-01-30",
    ({"emails": ["e@example.org"]},),
    ban={"until": "2026-06-30"},
)
F = rec(
    "2026-ffff",
    "2026-02-01",
    "banned",
    "2026-02-10",
    ({"emails": ["f@example.org"]},),
    ban={"permanent": True},
)

OWN_EXAMPLES = [
    (A, D("2025-03-20"), D("2025-03-20")),
    (B, D("2026-02-28"), None),
    (C, D("2026-03-31"), D("2026-03-31")),
    (DD, D("2026-07-10"), D("2026-07-10")),
    (E, D("2028-08-30"), D("2028-08-30")),
    (F, None, None),
]


@pytest.mark.parametrize(("record", "reporter", "subjects"), OWN_EXAMPLES, ids="ABCDEF")
def test_worked_examples_own_dates(
    record: Record, reporter: dt.date | None, subjects: dt.date | None
) -> None:
    assert dates_of(one(record)) == (reporter, subjects)
    everything = schedule([r for r, _, _ in OWN_EXAMPLES], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(everything[record.id]) == (reporter, subjects)


def test_never_steps_are_never_in_any_state() -> None:
    assert states_of(one(F, "2099-01-01")) == ("never", "never")
    assert states_of(one(B, "2099-01-01")) == ("overdue", "never")


# --- G, H, I, K and the open record: extension chains and holds ------------------------------

G = rec(
    "2024-gggg",
    "2024-04-01",
    "resolved",
    "2024-04-15",
    ({"name": "Jane Doe", "emails": ["jane@x.org"]},),
)
H = rec(
    "2025-hhhh",
    "2025-05-01",
    "resolved",
    "2025-05-20",
    ({"name": "Jane Doe", "emails": ["Jane@X.org"], "usernames": ["github:janedoe"]},),
)
I = rec("2026-jjjj", "2026-07-01", "flagged", "2026-07-10", ({"usernames": ["GitHub:JaneDoe"]},))
K = rec("2025-kkkk", "2025-06-10", "no-violation", "2025-06-12", ({"emails": ["jane@x.org"]},))
OPEN = rec("2028-0pen", "2028-09-01", subjects=({"emails": ["jane@x.org"]},))
GHIK = [G, H, I, K]
FINAL = D("2028-09-10")


def test_worked_example_own_dates_of_g_h_i() -> None:
    assert own_dates(I, DEFAULT_POLICY) == {"reporter": FINAL, "subjects": FINAL}
    assert own_dates(H, DEFAULT_POLICY) == {
        "reporter": D("2026-07-20"),
        "subjects": D("2026-07-20"),
    }
    assert own_dates(G, DEFAULT_POLICY) == {
        "reporter": D("2025-06-15"),
        "subjects": D("2025-06-15"),
    }


def test_worked_example_chain_g_h_i() -> None:
    result = schedule(GHIK, DEFAULT_POLICY, D("2027-01-01"))
    for record in (G, H, I):
        assert dates_of(result[record.id]) == (FINAL, FINAL)
    assert result[I.id].extended_by == ()
    assert result[H.id].extended_by == (I.id,)
    # I leaves G where H already took it, so only H moved G's dates.
    assert result[G.id].extended_by == (H.id,)


def test_worked_example_k_keeps_its_date_and_extends_nothing() -> None:
    result = schedule(GHIK, DEFAULT_POLICY, D("2027-01-01"))
    assert dates_of(result[K.id]) == (D("2025-06-12"), D("2025-06-12"))
    assert result[K.id].extended_by == ()
    assert K.id not in result[G.id].extended_by + result[H.id].extended_by


def test_worked_example_g_is_linked_to_i_only_through_h() -> None:
    result = schedule([G, I], DEFAULT_POLICY, D("2027-01-01"))
    assert dates_of(result[G.id]) == (D("2025-06-15"), D("2025-06-15"))


def test_worked_example_open_record_holds_g_h_i() -> None:
    result = schedule(GHIK + [OPEN], DEFAULT_POLICY, D("2028-09-15"))
    for record in (G, H, I):
        assert states_of(result[record.id]) == ("held", "held")
        assert result[record.id].held_by == (OPEN.id,)
        assert result[record.id].held
    assert states_of(result[K.id]) == ("overdue", "overdue")
    assert result[K.id].held_by == () and not result[K.id].held
    opened = result[OPEN.id]
    assert opened.status == "open" and opened.steps is None and opened.outcome is None


def test_worked_example_without_the_open_record_g_h_i_are_overdue() -> None:
    result = schedule(GHIK, DEFAULT_POLICY, D("2028-09-15"))
    for record in (G, H, I):
        assert states_of(result[record.id]) == ("overdue", "overdue")


def test_a_hold_shows_only_once_a_step_is_due() -> None:
    result = schedule(GHIK + [OPEN], DEFAULT_POLICY, D("2028-09-05"))
    assert states_of(result[G.id]) == ("pending", "pending")
    assert result[G.id].held and result[G.id].held_by == (OPEN.id,)
    assert states_of(schedule(GHIK + [OPEN], DEFAULT_POLICY, FINAL)[G.id]) == ("held", "held")


# --- rule 4, one case at a time ----------------------------------------------------------------


def test_violation_reported_after_the_due_date_does_not_extend() -> None:
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    late = rec("2025-bbbb", "2025-03-11", "flagged", "2025-04-01", (JANE,))
    assert dates_of(schedule([early, late], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2025-03-10"),
        D("2025-03-10"),
    )


def test_violation_reported_on_the_due_date_extends() -> None:
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    late = rec("2025-bbbb", "2025-03-10", "flagged", "2025-04-01", (JANE,))
    result = schedule([early, late], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[early.id]) == (D("2027-06-01"), D("2027-06-01"))
    assert result[early.id].extended_by == (late.id,)


def test_later_records_are_taken_in_order_so_one_extension_lets_the_next_in() -> None:
    """E's own date admits N1 only; N1's extension then admits N2 (which shares another of E's subjects)."""
    e = rec("2024-eeee", "2024-04-01", "resolved", "2024-04-15", (JANE, SAM))
    n1 = rec("2025-n1aa", "2025-05-01", "resolved", "2025-05-20", (JANE,))
    n2 = rec("2026-n2aa", "2026-01-10", "flagged", "2026-02-01", (SAM,))
    result = schedule([n2, e, n1], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[e.id]) == (D("2028-04-01"), D("2028-04-01"))
    assert result[e.id].extended_by == (n1.id, n2.id)
    assert result[n1.id].extended_by == ()


def test_a_shorter_later_violation_does_not_shorten() -> None:
    flagged = rec("2024-aaaa", "2024-01-01", "flagged", "2024-01-10", (JANE,))
    resolved = rec("2024-bbbb", "2024-02-01", "resolved", "2024-02-10", (JANE,))
    result = schedule([flagged, resolved], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[flagged.id]) == (D("2026-03-10"), D("2026-03-10"))
    assert result[flagged.id].extended_by == ()


def test_same_reported_on_ties_go_by_greater_id() -> None:
    first = rec("2025-aaaa", "2025-03-01", "resolved", "2025-03-05", (JANE,))
    second = rec("2025-bbbb", "2025-03-01", "flagged", "2025-03-20", (JANE,))
    result = schedule([second, first], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[first.id]) == (D("2027-05-20"), D("2027-05-20"))
    assert dates_of(result[second.id]) == (D("2027-05-20"), D("2027-05-20"))
    assert result[first.id].extended_by == (second.id,)
    assert result[second.id].extended_by == ()


def test_an_earlier_record_never_extends_a_later_one() -> None:
    earlier = rec("2025-aaaa", "2025-01-01", "flagged", "2025-12-01", (JANE,))
    later = rec("2025-bbbb", "2025-02-01", "resolved", "2025-02-10", (JANE,))
    assert dates_of(schedule([earlier, later], DEFAULT_POLICY, D("2025-01-01"))[later.id]) == (
        D("2026-04-10"),
        D("2026-04-10"),
    )


@pytest.mark.parametrize("kind", ["no-violation", "unidentified"])
def test_no_violation_and_unidentified_extend_nothing(kind: str) -> None:
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    later = rec("2024-bbbb", "2024-06-01", kind, "2024-06-10", (JANE,))
    assert dates_of(schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2025-03-10"),
        D("2025-03-10"),
    )


def test_unidentified_records_are_not_extended() -> None:
    unidentified = rec("2024-aaaa", "2024-01-01", "unidentified", "2024-01-10", (JANE,))
    later = rec("2024-bbbb", "2024-02-01", "flagged", "2024-02-10", (JANE,))
    result = schedule([unidentified, later], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[unidentified.id]) == (D("2024-07-10"), None)
    assert result[unidentified.id].extended_by == ()


def test_a_no_violation_record_is_extended_by_a_violation_reported_by_its_due_date() -> None:
    cleared = rec("2025-aaaa", "2025-06-10", "no-violation", "2025-06-12", (JANE,))
    violation = rec("2025-bbbb", "2025-06-11", "resolved", "2025-07-01", (JANE,))
    result = schedule([cleared, violation], DEFAULT_POLICY, D("2025-07-01"))
    assert dates_of(result[cleared.id]) == (D("2026-09-01"), D("2026-09-01"))
    assert result[cleared.id].extended_by == (violation.id,)


def test_a_banned_record_is_extended_and_a_permanent_ban_extends_to_never() -> None:
    banned = rec(
        "2024-aaaa", "2024-01-01", "banned", "2024-01-10", (JANE,), ban={"until": "2024-06-30"}
    )
    forever = rec(
        "2025-bbbb", "2025-01-01", "banned", "2025-01-20", (JANE,), ban={"permanent": True}
    )
    result = schedule([banned, forever], DEFAULT_POLICY, D("2025-01-01"))
    assert dates_of(result[banned.id]) == (None, None)
    assert states_of(result[banned.id]) == ("never", "never")
    assert result[banned.id].extended_by == (forever.id,)


def test_a_never_subjects_step_admits_every_later_violation() -> None:
    policy = Policy.from_doc(
        {"retention": {"terms": {"flagged": {"reporter": 26, "subjects": "never"}}}}
    )
    flagged = rec("2020-aaaa", "2020-01-01", "flagged", "2020-01-10", (JANE,))
    much_later = rec("2030-bbbb", "2030-01-01", "flagged", "2030-02-01", (JANE,))
    result = schedule([flagged, much_later], policy, D("2025-01-01"))
    assert dates_of(result[flagged.id]) == (None, None)


def test_also_in_extends_without_a_shared_identifier() -> None:
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", ({"name": "Someone"},))
    later = rec(
        "2024-bbbb",
        "2024-06-01",
        "flagged",
        "2024-06-10",
        ({"name": "Someone else", "also_in": ["2024-aaaa"]},),
    )
    assert dates_of(schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2026-08-10"),
        D("2026-08-10"),
    )


def test_names_alone_never_extend() -> None:
    early = rec(
        "2024-aaaa",
        "2024-01-01",
        "resolved",
        "2024-01-10",
        ({"name": "Jane Doe", "emails": ["jane@example.org"]},),
    )
    later = rec(
        "2024-bbbb",
        "2024-06-01",
        "flagged",
        "2024-06-10",
        ({"name": "Jane Doe", "emails": ["other@example.org"]},),
    )
    assert dates_of(schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2025-03-10"),
        D("2025-03-10"),
    )


def test_expunged_subjects_link_to_nobody() -> None:
    early = rec(
        "2024-aaaa",
        "2024-01-01",
        "resolved",
        "2024-01-10",
        ({"expunged": True},),
        expunged={"subjects": "2025-03-10"},
    )
    later = rec("2024-bbbb", "2024-06-01", "flagged", "2024-06-10", (JANE,))
    assert dates_of(schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2025-03-10"),
        D("2025-03-10"),
    )


def test_extensions_can_be_switched_off() -> None:
    policy = Policy.from_doc({"retention": {"repeat_violation_extends": False}})
    result = schedule(GHIK, policy, D("2027-01-01"))
    assert dates_of(result[G.id]) == (D("2025-06-15"), D("2025-06-15"))
    assert result[G.id].extended_by == ()


# --- rule 5: overrides ---------------------------------------------------------------------------


def test_override_replaces_the_named_step_and_blocks_its_extension() -> None:
    early = rec(
        "2024-aaaa",
        "2024-01-01",
        "resolved",
        "2024-01-10",
        (JANE,),
        retention={"override": {"reporter": "2024-02-01", "reason": "reporter asked"}},
    )
    later = rec("2024-bbbb", "2024-06-01", "flagged", "2024-06-10", (JANE,))
    result = schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]
    assert result.override
    assert dates_of(result) == (D("2024-02-01"), D("2026-08-10"))
    assert result.extended_by == (later.id,)
    assert result.override_blocked_by == (later.id,)


def test_override_can_lengthen_and_then_nothing_to_warn_about() -> None:
    overrides = {
        "override": {"reporter": "2030-01-01", "subjects": "2030-01-01", "reason": "litigation"}
    }
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,), retention=overrides)
    later = rec("2024-bbbb", "2024-06-01", "flagged", "2024-06-10", (JANE,))
    result = schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]
    assert dates_of(result) == (D("2030-01-01"), D("2030-01-01"))
    assert result.extended_by == () and result.override_blocked_by == ()


def test_an_overridden_subjects_date_is_what_later_reports_are_measured_against() -> None:
    overrides = {"override": {"subjects": "2026-01-01", "reason": "pending inquiry"}}
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,), retention=overrides)
    later = rec("2025-bbbb", "2025-12-01", "flagged", "2025-12-10", (JANE,))
    result = schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]
    assert dates_of(result) == (D("2028-02-10"), D("2026-01-01"))
    assert result.override_blocked_by == (later.id,)


def test_an_overridden_date_extends_earlier_records() -> None:
    early = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    later = rec(
        "2024-bbbb",
        "2024-06-01",
        "flagged",
        "2024-06-10",
        (JANE,),
        retention={"override": {"subjects": "2024-12-31", "reason": "r"}},
    )
    assert dates_of(schedule([early, later], DEFAULT_POLICY, D("2025-01-01"))[early.id]) == (
        D("2025-03-10"),
        D("2025-03-10"),
    )


def test_initial_dates_apply_the_override() -> None:
    record = rec(
        "2024-aaaa",
        "2024-01-01",
        "resolved",
        "2024-01-10",
        retention={"override": {"subjects": "2024-12-31", "reason": "r"}},
    )
    assert initial_dates(record, DEFAULT_POLICY) == {
        "reporter": D("2025-03-10"),
        "subjects": D("2024-12-31"),
    }


def test_no_override_means_override_false() -> None:
    assert not one(C).override


# --- rule 6: holds -----------------------------------------------------------------------------

HOLD = {"hold": {"reason": "appeal pending", "since": "2025-02-01", "review_on": "2025-06-01"}}


def test_own_hold_holds_due_and_overdue_steps() -> None:
    held = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", retention=HOLD)
    assert states_of(one(held, "2025-03-10")) == ("held", "held")
    assert states_of(one(held, "2025-04-01")) == ("held", "held")
    result = one(held, "2025-03-09")
    assert states_of(result) == ("pending", "pending")
    assert result.held and result.held_by == (held.id,)


def test_hold_review() -> None:
    held = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", retention=HOLD)
    assert not one(held, "2025-06-01").hold_needs_review
    assert one(held, "2025-06-02").hold_needs_review
    no_review = rec(
        "2024-aaaa",
        "2024-01-01",
        "resolved",
        "2024-01-10",
        retention={"hold": {"reason": "r", "since": "2025-02-01"}},
    )
    assert not one(no_review, "2099-01-01").hold_needs_review


def test_own_hold_and_open_holder_are_both_listed() -> None:
    held = rec("2024-zzzz", "2024-01-01", "resolved", "2024-01-10", (JANE,), retention=HOLD)
    opened = rec("2025-0pen", "2025-03-01", subjects=(JANE,))
    assert schedule([held, opened], DEFAULT_POLICY, D("2025-04-01"))[held.id].held_by == (
        held.id,
        opened.id,
    )


def test_open_record_reported_after_the_subjects_due_date_holds_nothing() -> None:
    closed = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    opened = rec("2025-0pen", "2025-03-11", subjects=(JANE,))
    result = schedule([closed, opened], DEFAULT_POLICY, D("2025-04-01"))[closed.id]
    assert states_of(result) == ("overdue", "overdue") and not result.held


def test_open_record_reported_earlier_holds_too() -> None:
    opened = rec("2023-0pen", "2023-06-01", subjects=(JANE,))
    closed = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    assert states_of(schedule([closed, opened], DEFAULT_POLICY, D("2025-04-01"))[closed.id]) == (
        "held",
        "held",
    )


def test_unrelated_open_record_holds_nothing() -> None:
    opened = rec("2025-0pen", "2025-01-01", subjects=(SAM,))
    closed = rec("2024-aaaa", "2024-01-01", "resolved", "2024-01-10", (JANE,))
    assert states_of(schedule([closed, opened], DEFAULT_POLICY, D("2025-04-01"))[closed.id]) == (
        "overdue",
        "overdue",
    )


def test_own_hold_on_an_open_record_is_reported() -> None:
    opened = rec("2025-0pen", "2025-01-01", subjects=(JANE,), retention=HOLD)
    result = one(opened, "2025-07-01")
    assert result.steps is None and result.held_by == (opened.id,) and result.hold_needs_review


# --- rule 7: states, done steps, stale open cases ------------------------------------------------


@pytest.mark.parametrize(
    ("due", "done_on", "held", "as_of", "state"),
    [
        (D("2025-01-10"), D("2025-01-12"), False, D("2025-01-01"), "done"),
        (None, D("2025-01-12"), False, D("2025-01-01"), "done"),
        (None, None, True, D("2025-01-01"), "never"),
        (D("2025-01-10"), None, True, D("2025-01-09"), "pending"),
        (D("2025-01-10"), None, False, D("2025-01-09"), "pending"),
        (D("2025-01-10"), None, False, D("2025-01-10"), "due"),
        (D("2025-01-10"), None, False, D("2025-01-11"), "overdue"),
        (D("2025-01-10"), None, True, D("2025-01-10"), "held"),
        (D("2025-01-10"), None, True, D("2025-01-11"), "held"),
    ],
)
def test_step_state(
    due: dt.date | None, done_on: dt.date | None, held: bool, as_of: dt.date, state: str
) -> None:
    assert step_state(due, done_on, held, as_of) == state


def test_done_steps() -> None:
    record = rec(
        "2024-aaaa", "2024-01-01", "unidentified", "2024-01-10", expunged={"reporter": "2024-07-11"}
    )
    result = one(record, "2030-01-01")
    assert result.steps is not None
    assert result.steps["reporter"] == StepSchedule(D("2024-07-10"), "done", D("2024-07-11"))
    assert result.steps["subjects"] == StepSchedule(None, "never", None)


def test_stale_open_cases() -> None:
    opened = rec("2025-0pen", "2025-01-01", subjects=(JANE,))
    assert not one(opened, "2025-04-01").stale  # 90 days
    assert one(opened, "2025-04-02").stale  # 91 days
    assert not one(C, "2030-01-01").stale
    strict = Policy.from_doc({"retention": {"stale_open_case_days": 10}})
    assert one(opened, "2025-01-12", strict).stale


def test_open_record_schedule() -> None:
    result = one(rec("2025-0pen", "2025-01-01", subjects=(JANE,)))
    assert result == RecordSchedule("2025-0pen", "open", None, None)


def test_as_of_far_in_the_past_is_fine() -> None:
    """The index is built as of date.min: states are all pending, `held` still says whether a hold applies."""
    result = schedule(GHIK + [OPEN], DEFAULT_POLICY, dt.date.min)
    assert states_of(result[G.id]) == ("pending", "pending") and result[G.id].held
    assert not result[OPEN.id].stale


# --- policy variations ---------------------------------------------------------------------------


def test_policy_starts_on_reported_on() -> None:
    policy = Policy.from_doc({"retention": {"starts": "reported_on"}})
    assert dates_of(one(C, policy=policy)) == (D("2026-03-10"), D("2026-03-10"))
    assert dates_of(one(B, policy=policy)) == (D("2026-02-01"), None)
    # A ban still counts from its end.
    assert dates_of(one(E, policy=policy)) == (D("2028-08-30"), D("2028-08-30"))


def test_custom_policy_terms() -> None:
    policy = Policy.from_doc(
        {
            "retention": {
                "terms": {
                    "resolved": {"reporter": 3, "subjects": "never"},
                    "banned": {"after_ban": 12},
                }
            }
        }
    )
    assert dates_of(one(C, policy=policy)) == (D("2025-04-30"), None)
    assert dates_of(one(E, policy=policy)) == (D("2027-06-30"), D("2027-06-30"))
    assert dates_of(one(DD, policy=policy)) == (D("2026-07-10"), D("2026-07-10"))


def test_due_dates_agree_with_schedule() -> None:
    records = GHIK + [OPEN, A, B, F]
    finals = due_dates(records, DEFAULT_POLICY)
    result = schedule(records, DEFAULT_POLICY, D("2027-01-01"))
    assert OPEN.id not in finals
    for rid, dates in finals.items():
        assert dates_of(result[rid]) == (dates["reporter"], dates["subjects"])


# --- invariants (hypothesis) ---------------------------------------------------------------------

EMAILS = ["jane@x.org", "sam@example.org", "alex@example.org"]
USERNAMES = ["github:janedoe", "gitlab:sam"]
KINDS = ["no-violation", "unidentified", "resolved", "flagged", "banned"]
BASE = D("2023-01-01")


def _day(offset: int) -> str:
    return (BASE + dt.timedelta(days=offset)).isoformat()


IDS = [f"2025-a{n:03d}" for n in range(7)]
subject_docs = st.fixed_dictionaries(
    {
        "emails": st.lists(st.sampled_from(EMAILS), max_size=1),
        "usernames": st.lists(st.sampled_from(USERNAMES), max_size=1),
        "also_in": st.lists(st.sampled_from(IDS), max_size=1),
    }
)


@st.composite
def record_docs(draw: st.DrawFn, rid: str) -> Record:
    reported = draw(st.integers(0, 1500))
    kind = draw(st.sampled_from([None] + KINDS))
    decided = reported + draw(st.integers(0, 90))
    ban = (
        {"permanent": True}
        if draw(st.booleans())
        else {"until": _day(decided + draw(st.integers(0, 700)))}
    )
    retention: dict[str, Any] = {}
    if draw(st.integers(0, 4)) == 0:
        step = draw(st.sampled_from(["reporter", "subjects"]))
        retention["override"] = {step: _day(draw(st.integers(0, 2500))), "reason": "exceptional"}
    if draw(st.integers(0, 4)) == 0:
        retention["hold"] = {
            "reason": "appeal",
            "since": _day(decided),
            "review_on": _day(decided + 100),
        }
    steps_done: list[str] = draw(st.lists(st.sampled_from(list(STEPS)), max_size=2, unique=True))
    expunged = {s: _day(draw(st.integers(0, 3000))) for s in steps_done}
    return rec(
        rid,
        _day(reported),
        kind,
        _day(decided),
        tuple(draw(st.lists(subject_docs, max_size=2))),
        ban=ban if kind == "banned" else None,
        retention=retention or None,
        expunged=expunged if kind else None,
    )


@st.composite
def record_sets(draw: st.DrawFn) -> list[Record]:
    count = draw(st.integers(1, 7))
    return [draw(record_docs(rid)) for rid in IDS[:count]]


as_of_dates = st.integers(0, 3000).map(lambda n: BASE + dt.timedelta(days=n))
PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(record_sets())
def test_an_extension_never_shortens_a_date(records: list[Record]) -> None:
    finals = due_dates(records, DEFAULT_POLICY)
    for record in records:
        if record.outcome is None:
            continue
        own = initial_dates(record, DEFAULT_POLICY)
        for step in STEPS:
            final, start = finals[record.id][step], own[step]
            assert final is None or (start is not None and final >= start)


@PROPERTY
@given(record_sets(), record_docs("2099-zzzz"), as_of_dates)
def test_an_unrelated_record_changes_no_other_schedule(
    records: list[Record], extra: Record, as_of: dt.date
) -> None:
    # Same shape as any generated record, but nobody else's identifiers (a shared name is fine: names never link).
    stranger = replace(
        extra,
        subjects=tuple(
            Subject(name="Jane Doe", emails=("stranger@unrelated.example.org",))
            for _ in extra.subjects
        ),
    )
    before = schedule(records, DEFAULT_POLICY, as_of)
    after = schedule(records + [stranger], DEFAULT_POLICY, as_of)
    assert {rid: after[rid] for rid in before} == before


@PROPERTY
@given(record_sets(), st.randoms(use_true_random=False), as_of_dates)
def test_input_order_does_not_matter(
    records: list[Record], random: stdlib_random.Random, as_of: dt.date
) -> None:
    shuffled = list(records)
    random.shuffle(shuffled)
    assert schedule(shuffled, DEFAULT_POLICY, as_of) == schedule(records, DEFAULT_POLICY, as_of)


@PROPERTY
@given(record_sets(), as_of_dates)
def test_a_done_step_stays_done(records: list[Record], as_of: dt.date) -> None:
    result = schedule(records, DEFAULT_POLICY, as_of)
    for record in records:
        steps = result[record.id].steps
        for step, done_on in record.expunged.items():
            assert steps is not None
            assert steps[step].state == "done" and steps[step].done_on == done_on


@PROPERTY
@given(record_sets(), as_of_dates)
def test_holds_and_dates_do_not_depend_on_as_of(records: list[Record], as_of: dt.date) -> None:
    now, never = (
        schedule(records, DEFAULT_POLICY, as_of),
        schedule(records, DEFAULT_POLICY, dt.date.min),
    )
    for rid, sched in now.items():
        assert (sched.held, sched.held_by, sched.extended_by) == (
            never[rid].held,
            never[rid].held_by,
            never[rid].extended_by,
        )
        assert _dues(sched) == _dues(never[rid])


def _dues(sched: RecordSchedule) -> dict[str, dt.date | None] | None:
    return None if sched.steps is None else {step: s.due for step, s in sched.steps.items()}
