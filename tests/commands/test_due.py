from __future__ import annotations

import json
from typing import Any

from ..conftest import Cocrec, outcome, record


def subject(**ids: Any) -> list[dict[str, Any]]:
    return [{"name": "Jane Doe", **ids}]


def chain(repo: Cocrec) -> dict[str, str]:
    """SPEC section 5's G, H, I: one person across three records, extended to 2028-09-10."""
    return {
        "G": repo.add(
            record(
                reported_on="2024-04-01",
                subjects=subject(emails=["jane@x.org"]),
                outcome=outcome("resolved", "2024-04-15"),
            )
        ),
        "H": repo.add(
            record(
                reported_on="2025-05-01",
                subjects=subject(emails=["Jane@X.org"], usernames=["github:janedoe"]),
                outcome=outcome("resolved", "2025-05-20"),
            )
        ),
        "I": repo.add(
            record(
                reported_on="2026-07-01",
                subjects=subject(usernames=["GitHub:JaneDoe"]),
                outcome=outcome("flagged", "2026-07-10"),
            )
        ),
    }


def test_due_all_json_has_the_spec_shape_and_the_chain_dates(repo: Cocrec) -> None:
    ids = chain(repo)
    result = repo("due", "--all", "--as-of", "2027-01-01", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(ids.values())
    g = rows[ids["G"]]
    assert list(g)[:2] == ["id", "code_name"]
    assert set(g) == {
        "id",
        "code_name",
        "status",
        "outcome",
        "steps",
        "extended_by",
        "held_by",
        "override",
        "deadlines",
    }
    assert g["steps"] == {
        "reporter": {"due": "2028-09-10", "state": "pending"},
        "subjects": {"due": "2028-09-10", "state": "pending"},
    }
    assert g["extended_by"] and g["held_by"] == [] and g["override"] is False
    assert rows[ids["I"]]["steps"]["reporter"]["due"] == "2028-09-10"


def test_open_record_holds_the_chain_after_its_due_date(repo: Cocrec) -> None:
    ids = chain(repo)
    opened = repo.add(
        record(
            reported_on="2028-09-01", acknowledged_on=None, subjects=subject(emails=["jane@x.org"])
        )
    )
    rows = {
        r["id"]: r
        for r in json.loads(
            repo("due", "--all", "--as-of", "2028-09-15", "--format", "json").stdout
        )
    }
    assert rows[opened] == {
        "id": opened,
        "code_name": rows[opened]["code_name"],
        "status": "open",
        "outcome": None,
        "steps": None,
        "extended_by": [],
        "held_by": [],
        "override": False,
        "deadlines": [
            {"kind": "acknowledge", "due": "2028-09-02", "state": "overdue"},
            {"kind": "decide", "due": "2028-10-01", "state": "pending"},
        ],
    }
    for key in ("G", "H", "I"):
        assert {s["state"] for s in rows[ids[key]]["steps"].values()} == {"held"}
        assert opened in rows[ids[key]]["held_by"]


def test_due_without_all_lists_only_what_needs_attention(repo: Cocrec) -> None:
    overdue = repo.add(
        record(reported_on="2025-01-10", outcome=outcome("no-violation", "2025-01-20"))
    )
    later = repo.add(
        record(
            reported_on="2026-06-01",
            subjects=[{"name": "Someone Else", "emails": ["else@example.org"]}],
            outcome=outcome("flagged", "2026-06-10"),
        )
    )
    result = repo("due", "--as-of", "2026-07-01")
    assert result.exit_code == 0
    assert overdue in result.stdout and "overdue" in result.stdout
    assert later not in result.stdout
    assert repo("due", "--as-of", "2028-07-20", "--within", "30").stdout.count(later) == 1


def test_bad_as_of_is_a_usage_error(repo: Cocrec) -> None:
    result = repo("due", "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_due_json_lists_each_record_s_deadlines_and_late_ones_need_attention(repo: Cocrec) -> None:
    late = repo.add(
        record(reported_on="2026-06-01", acknowledged_on=None)
    )  # open, never acknowledged: late since 2026-06-02
    on_time = repo.add(
        record(
            reported_on="2026-06-20",
            acknowledged_on="2026-06-20",
            subjects=subject(emails=["other@example.org"]),
        )
    )
    reviewed = repo.add(
        record(
            reported_on="2026-05-01",
            acknowledged_on="2026-05-01",
            subjects=subject(emails=["third@example.org"]),
            unilateral_action={"taken_on": "2026-05-02"},
            outcome=outcome("resolved", "2026-05-20"),
        )
    )
    rows = {
        row["id"]: row
        for row in json.loads(
            repo("due", "--all", "--as-of", "2026-06-25", "--format", "json").stdout
        )
    }
    assert rows[late]["deadlines"] == [
        {"kind": "acknowledge", "due": "2026-06-02", "state": "overdue"},
        {"kind": "decide", "due": "2026-07-01", "state": "pending"},
    ]
    assert rows[on_time]["deadlines"] == [
        {"kind": "acknowledge", "due": "2026-06-21", "state": "done", "done_on": "2026-06-20"},
        {"kind": "decide", "due": "2026-07-20", "state": "pending"},
    ]
    assert rows[reviewed]["deadlines"] == [
        {"kind": "acknowledge", "due": "2026-05-02", "state": "done", "done_on": "2026-05-01"},
        {"kind": "decide", "due": "2026-05-31", "state": "done", "done_on": "2026-05-20"},
        {"kind": "review_unilateral", "due": "2026-05-03", "state": "overdue"},
        {"kind": "appeal_window", "due": "2026-06-19", "state": "done"},
    ]
    # without --all: what is late (and what falls due within --within days)
    listed = {
        row["id"]
        for row in json.loads(
            repo("due", "--as-of", "2026-06-25", "--within", "3", "--format", "json").stdout
        )
    }
    assert listed == {late, reviewed}
    table = repo("due", "--as-of", "2026-06-25").stdout
    assert (
        "acknowledge 2026-06-02 overdue" in table
        and "review_unilateral 2026-05-03 overdue" in table
    )


def test_a_policy_without_deadlines_lists_none(repo: Cocrec) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text()
        .replace("  acknowledge: 1 ", "  acknowledge: null ")
        .replace("  decide: 30 ", "  decide: null ")
    )
    assert (
        repo("adopt", "--yes").exit_code == 0
    )  # a policy edited by hand counts once a member signs it
    opened = repo.add(record(reported_on="2026-06-01"))
    rows = {
        row["id"]: row
        for row in json.loads(
            repo("due", "--all", "--as-of", "2026-12-25", "--format", "json").stdout
        )
    }
    assert rows[opened]["deadlines"] == []
