"""Who is flagged or banned now, and what a query matches (cocrec.flags), pure. Every person here is invented."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cocrec.flags import FlagIndex, name_similarity
from cocrec.model import Record
from cocrec.policy import DEFAULT_POLICY
from cocrec.retention import schedule

AS_OF = dt.date(2027, 1, 15)


def rec(
    rid: str,
    kind: str | None,
    *subjects: dict[str, Any],
    decided: str = "2026-06-01",
    **outcome: Any,
) -> Record:
    doc: dict[str, Any] = {
        "id": rid,
        "reported_on": "2026-05-01",
        "region": "europe",
        "reporter": {"kind": "public", "name": "Sam Reporter"},
        "subjects": list(subjects),
    }
    if kind:
        doc["outcome"] = {
            "type": kind,
            "decided_on": decided,
            "shareable_summary": "Sam Reporter reported Jane Doe and Max Mustermann.",
            **outcome,
        }
    return Record.from_doc(doc)


def index(*records: Record) -> FlagIndex:
    return FlagIndex(records, schedule(records, DEFAULT_POLICY, AS_OF))


JANE = {"name": "Jane Doe", "emails": ["jane@example.org"]}
MAX = {"name": "Max Mustermann", "emails": ["max@example.org"]}


def test_only_flagged_or_banned_records_flag() -> None:
    flags = index(
        rec("2026-aaaa", "resolved", JANE),
        rec("2026-bbbb", None, JANE),
        rec("2026-cccc", "flagged", MAX),
    )
    assert flags.match("jane@example.org", AS_OF) == []
    [found] = flags.match("MAX@example.org", AS_OF)
    assert (found.record_id, found.status, found.strong, found.matched_by) == (
        "2026-cccc",
        "flagged",
        True,
        "email",
    )


def test_the_summary_loses_the_reporter_and_the_other_subjects_but_keeps_the_match() -> None:
    [found] = index(rec("2026-aaaa", "flagged", JANE, MAX)).match("jane@example.org", AS_OF)
    assert found.shareable_summary == "[redacted] reported Jane Doe and [redacted]."


def test_an_expunged_subjects_step_or_a_past_due_one_flags_nobody() -> None:
    old = rec("2024-aaaa", "flagged", JANE, decided="2024-01-10")  # subjects due 2026-03-10
    flags = index(old)
    assert flags.match("jane@example.org", AS_OF) == [] and flags.past_retention_matches(
        "jane@example.org"
    ) == ["2024-aaaa"]
    earlier = dt.date(2026, 3, 1)
    assert [
        m.record_id
        for m in FlagIndex([old], schedule([old], DEFAULT_POLICY, earlier)).match(
            "jane@example.org", earlier
        )
    ] == ["2024-aaaa"]
    gone = Record.from_doc(
        {
            "id": "2025-bbbb",
            "reported_on": "2025-01-01",
            "region": "europe",
            "reporter": {"kind": "private"},
            "subjects": [{"expunged": True}],
            "outcome": {"type": "flagged", "decided_on": "2025-01-02"},
            "expunged": {"subjects": "2026-01-01"},
        }
    )
    assert index(gone).flagging == frozenset()


def test_names_are_fuzzy_and_weaker() -> None:
    assert name_similarity("Doe, Jane", "Jane Doe") == 1.0
    assert name_similarity("Jane Do", "Jane Doe") > 0.8
    assert name_similarity("John Smith", "Jane Doe") < 0.5
    [found] = index(rec("2026-aaaa", "banned", JANE, ban={"permanent": True})).match(
        "jane  DOE", AS_OF
    )
    assert (
        not found.strong
        and found.status_text == "banned permanently"
        and "weaker" in found.match_text
    )
    assert (
        index(rec("2026-aaaa", "banned", JANE, ban={"permanent": True})).match(
            "jane doe", AS_OF, names=False
        )
        == []
    )


@settings(max_examples=500, deadline=None)
@given(
    names=st.lists(
        st.text(alphabet="abcdeéjnors ,", min_size=1, max_size=14), min_size=1, max_size=12
    ),
    query=st.text(alphabet="abcdeéjnors ,", min_size=1, max_size=14),
    threshold=st.sampled_from([0.0, 0.5, 0.8, 0.9, 1.0]),
)
@example(names=["aaa"], query="aa", threshold=0.8)  # 0.8 exactly: a float bound once left it out
def test_the_name_look_up_finds_what_comparing_every_name_finds(
    names: list[str], query: str, threshold: float
) -> None:
    """The bounds (length, shared characters counted for all names at once) and the memory are speed
    only: the same names, with the same scores, as difflib on every pair (the reference)."""
    from cocrec.flags import NameMatcher, _forms

    entries = [((f"2026-{n:04d}", 0), name) for n, name in enumerate(names)]
    fast = NameMatcher(entries)
    assert fast.similar(query, threshold) == fast.similar(
        query, threshold
    )  # asked twice: from memory, the same
    expected = {}
    q = _forms(query)
    for ref, name in entries:
        f = _forms(name)
        if not f[0] or not q[0]:
            continue
        score = max(difflib.SequenceMatcher(None, a, b).ratio() for a, b in zip(f, q))
        if score >= threshold:
            expected[ref] = score
    assert fast.similar(query, threshold) == pytest.approx(expected)
