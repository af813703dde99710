from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ..conftest import AS_OF, BASE_RECORD, Cocrec, Person, outcome, record

# As of 2027-01-15 (AS_OF), default policy: resolved = 14 months, flagged = 26 months.
SUBJECT_NAMES = [
    "Gil Halvorsen",
    "Olga Okafor",
    "Tom Tanaka",
    "Hana Hirano",
    "Rita Rossi",
    "Uma Umarova",
    "Nina Novak",
]
REPORTER = {"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org"}


def person(name: str) -> list[dict[str, Any]]:
    first = name.split()[0].lower()
    return [
        {
            "name": name,
            "emails": [f"{first}@example.org"],
            "usernames": [f"github:{first}x"],
            "urls": [f"https://example.org/~{first}"],
        }
    ]


def hold(review_on: str) -> dict[str, Any]:
    return {"hold": {"reason": "appeal pending", "since": "2026-11-01", "review_on": review_on}}


@pytest.fixture
def busy(repo: Cocrec) -> dict[str, str]:
    """One record for every section of the dashboard."""
    ids = {
        # closed, due 2026-08-01, held by the stale open case below (same person)
        "held_by_open": repo.add(
            record(
                reported_on="2025-05-01",
                subjects=person("Gil Halvorsen"),
                outcome=outcome("resolved", "2025-06-01"),
            )
        ),
        "stale_open": repo.add(record(reported_on="2026-07-01", subjects=person("Gil Halvorsen"))),
        "overdue": repo.add(
            record(
                reported_on="2025-05-01",
                subjects=person("Olga Okafor"),
                outcome=outcome("resolved", "2025-06-01"),
            )
        ),
        "due_today": repo.add(
            record(
                reported_on="2025-11-01",
                subjects=person("Tom Tanaka"),
                outcome=outcome("resolved", "2025-11-15"),
            )
        ),
        # due 2026-12-01, its own hold reviewed on 2027-03-01 (not yet)
        "held_by_hold": repo.add(
            record(
                reported_on="2025-09-01",
                subjects=person("Hana Hirano"),
                outcome=outcome("resolved", "2025-10-01"),
                retention=hold("2027-03-01"),
            )
        ),
        # due 2028-09-01, but its hold was to be reviewed on 2027-01-01
        "review": repo.add(
            record(
                reported_on="2026-06-01",
                subjects=person("Rita Rossi"),
                outcome=outcome("flagged", "2026-07-01"),
                retention=hold("2027-01-01"),
            )
        ),
        "upcoming": repo.add(
            record(
                reported_on="2025-11-20",
                subjects=person("Uma Umarova"),
                outcome=outcome("resolved", "2025-12-01"),
            )
        ),
        "fresh_open": repo.add(record(reported_on="2026-12-20", subjects=person("Nina Novak"))),
    }
    return ids


def status(repo: Cocrec, *args: str) -> tuple[int, str]:
    result = repo("status", "--as-of", AS_OF, *args)
    return result.exit_code, result.output


def status_json(repo: Cocrec) -> dict[str, Any]:
    """The dashboard as JSON, each record's `code_name` checked (right after its id) and then set aside."""
    code, text = status(repo, "--format", "json")
    assert code == 0, text
    data: dict[str, Any] = json.loads(text)
    for value in data.values():
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                assert list(item)[:2] == ["id", "code_name"], item
                assert re.fullmatch(r"[a-z]+ [a-z]+", item.pop("code_name"))
    return data


def personal_values() -> list[str]:
    """Every value the dashboard must never show: reporter, subjects, summary."""
    values = [REPORTER["name"], REPORTER["contact"], BASE_RECORD["summary"].strip()]
    for name in SUBJECT_NAMES + ["Jane Doe"]:
        subject = person(name)[0]
        values += [name, *name.split(), *subject["emails"], *subject["usernames"], *subject["urls"]]
    return values


def assert_no_personal_data(text: str) -> None:
    leaked = [
        value
        for value in personal_values()
        if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE)
    ]
    assert not leaked, leaked


def test_every_section_appears_with_ids_and_the_command_to_run(
    repo: Cocrec, busy: dict[str, str]
) -> None:
    code, text = status(repo)
    assert code == 0, text
    sections = {
        "Expunge overdue (2 steps)": [busy["overdue"], "2026-08-01", "cocrec expunge"],
        "Expunge due today (2 steps)": [busy["due_today"], "2027-01-15"],
        "Holds due for review (1 record)": [busy["review"], "2027-01-01", "cocrec edit ID"],
        "Open cases (2 cases, 1 stale)": [busy["stale_open"], busy["fresh_open"], "stale"],
        "Held expunge steps (4 steps)": [
            busy["held_by_open"],
            busy["held_by_hold"],
            "its retention.hold",
        ],
        "Falling due in the next 30 days (2 steps)": [
            busy["upcoming"],
            "2027-02-01",
            "17 days",
            "cocrec due",
        ],
    }
    for heading, expected in sections.items():
        assert heading in text, text
        block = text.split(heading, 1)[1].split("\n\n", 1)[0]
        for item in expected:
            assert item in block, (heading, item, block)
    assert "All clear" not in text
    assert "Not encrypted" not in text and "workspace/" not in text
    # the overdue record held by an open case is held, not overdue
    overdue_block = text.split("Expunge overdue", 1)[1].split("\n\n", 1)[0]
    assert busy["held_by_open"] not in overdue_block
    assert_no_personal_data(text)


def test_json_has_every_key_and_the_items_of_each_section(
    repo: Cocrec, busy: dict[str, str]
) -> None:
    data = status_json(repo)
    assert set(data) == {
        "as_of",
        "within_days",
        "records",
        "members",
        "all_clear",
        "open_cases",
        "overdue",
        "due",
        "held",
        "upcoming",
        "not_encrypted_to_members",
        "workspace_files",
        "holds_to_review",
        "deadlines",
        "leftover_private_dirs",
    }
    assert (
        data["as_of"],
        data["within_days"],
        data["records"],
        data["members"],
        data["all_clear"],
    ) == (AS_OF, 30, 8, 2, False)
    assert data["open_cases"] == [
        {"id": busy["stale_open"], "reported_on": "2026-07-01", "days_open": 198, "stale": True},
        {"id": busy["fresh_open"], "reported_on": "2026-12-20", "days_open": 26, "stale": False},
    ]
    assert data["overdue"] == [
        {"id": busy["overdue"], "step": s, "due": "2026-08-01"} for s in ("reporter", "subjects")
    ]
    assert data["due"] == [
        {"id": busy["due_today"], "step": s, "due": "2027-01-15"} for s in ("reporter", "subjects")
    ]
    held = {(h["id"], h["step"]): h["held_by"] for h in data["held"]}
    assert held == {
        (busy["held_by_open"], "reporter"): [busy["stale_open"]],
        (busy["held_by_open"], "subjects"): [busy["stale_open"]],
        (busy["held_by_hold"], "reporter"): [busy["held_by_hold"]],
        (busy["held_by_hold"], "subjects"): [busy["held_by_hold"]],
    }
    assert data["upcoming"] == [
        {"id": busy["upcoming"], "step": s, "due": "2027-02-01"} for s in ("reporter", "subjects")
    ]
    assert data["holds_to_review"] == [{"id": busy["review"], "review_on": "2027-01-01"}]
    assert data["not_encrypted_to_members"] == [] and data["workspace_files"] == 0
    assert_no_personal_data(json.dumps(data))


def test_steps_beyond_thirty_days_are_not_listed(repo: Cocrec) -> None:
    later = repo.add(
        record(reported_on="2025-12-01", outcome=outcome("resolved", "2025-12-20"))
    )  # due 2027-02-20: 36 days
    data = status_json(repo)
    assert data["upcoming"] == [] and data["all_clear"] is True
    assert later not in status(repo)[1]


def test_hand_edited_members_file_lists_every_record_as_not_encrypted_to_the_members(
    repo: Cocrec, carol: Person
) -> None:
    first = repo.add(record(outcome=outcome("flagged")))
    second = repo.add(
        record(
            reported_on="2026-08-01",
            subjects=person("Uma Umarova"),
            outcome=outcome("flagged", "2026-08-10"),
        )
    )
    members = repo.root / "members.yaml"
    members.write_text(
        members.read_text().replace(
            "\nformer:",
            f"\n- id: carol\n  name: {carol.name}\n  keys:\n  - {carol.public}\nformer:",
            1,
        )
    )
    unsigned = repo("status", "--as-of", AS_OF)
    assert (
        unsigned.exit_code == 1
        and "members.yaml: changed since a member signed it" in unsigned.stderr
    )
    assert repo("adopt", "--yes").exit_code == 0
    data = status_json(repo)
    assert data["not_encrypted_to_members"] == [
        {"id": rid, "reason": "stale_recipients"} for rid in sorted([first, second])
    ]
    assert data["members"] == 3 and data["all_clear"] is False
    code, text = status(repo)
    assert "Not encrypted to the current members (2 records)" in text
    assert "encrypted to another member set" in text and "cocrec rekey" in text
    assert_no_personal_data(text)


def test_a_record_file_changed_behind_the_index_is_listed(repo: Cocrec) -> None:
    first = repo.add(record(outcome=outcome("flagged")))
    repo.add(record(reported_on="2026-08-01", outcome=outcome("flagged", "2026-08-10")))
    # the same plaintext, but a ciphertext no signed entry vouches for: left out, named, exit 1
    (repo.root / f"records/{first}.yaml.age").write_bytes(
        (repo.root / f"records/{first}.yaml.age").read_bytes() + b"\n"
    )
    result = repo("status", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1
    assert (
        f"cocrec: records/{first}.yaml.age: changed since a member signed its index entry"
        in result.stderr
    )
    data = json.loads(result.stdout)
    assert data["records"] == 1 and data["not_encrypted_to_members"] == []


def test_plaintext_in_workspace_is_counted_never_shown(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("flagged")))
    workspace = repo.root / "workspace"
    workspace.mkdir()
    (workspace / "jane-doe-notes.yaml").write_text("name: Jane Doe\nemail: jane@example.org\n")
    (workspace / "more.txt").write_text("Sam Reporter\n")
    data = status_json(repo)
    assert data["workspace_files"] == 2 and data["all_clear"] is False
    code, text = status(repo)
    assert code == 0
    assert "Plaintext left in workspace/ (2 files)" in text and "cocrec seal" in text
    assert "jane-doe-notes" not in text
    assert_no_personal_data(text)


def test_all_clear_is_one_line(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("banned", "2026-07-01", ban={"permanent": True})))
    code, text = status(repo)
    assert code == 0
    assert (
        text.strip()
        == f"All clear as of {AS_OF}: 1 record(s), 2 member(s), nothing needs attention."
    )
    assert status_json(repo)["all_clear"] is True


def test_an_empty_repository_is_all_clear(repo: Cocrec) -> None:
    assert status(repo)[1].startswith(f"All clear as of {AS_OF}: 0 record(s)")


def test_status_reports_problems_but_exits_zero(repo: Cocrec) -> None:
    repo.add(record(reported_on="2024-01-01", outcome=outcome("no-violation", "2024-01-10")))
    code, text = status(repo)
    assert code == 0 and "Expunge overdue" in text
    assert repo("check", "--as-of", AS_OF).exit_code == 1  # check is the gate


def test_a_non_member_cannot_see_the_dashboard(repo: Cocrec, carol: Person) -> None:
    repo.add(record(outcome=outcome("flagged")))
    result = repo.as_(carol)("status", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "your identity holds none of the current members' keys" in result.stderr
    assert result.stdout == ""


def test_missed_and_coming_deadlines_have_their_sections(repo: Cocrec) -> None:
    missed = repo.add(
        record(reported_on="2027-01-10", acknowledged_on=None, subjects=person("Gil Halvorsen"))
    )  # not acknowledged by 2027-01-11
    soon = repo.add(
        record(
            reported_on="2027-01-14", acknowledged_on="2027-01-14", subjects=person("Olga Okafor")
        )
    )
    data = status_json(repo)
    assert data["deadlines"] == [
        {"id": missed, "kind": "acknowledge", "due": "2027-01-11", "state": "overdue"},
        {"id": missed, "kind": "decide", "due": "2027-02-09", "state": "pending"},
        {"id": soon, "kind": "decide", "due": "2027-02-13", "state": "pending"},
    ]
    assert data["all_clear"] is False
    code, text = status(repo)
    block = text.split("Deadlines missed (1 deadline)", 1)[1].split("\n\n", 1)[0]
    assert (
        missed in block
        and "acknowledge" in block
        and "4 days" in block
        and "cocrec edit ID" in block
    )
    coming = text.split("Deadlines in the next 30 days (2 deadlines)", 1)[1]
    assert soon in coming and "29 days" in coming
    assert_no_personal_data(text)
