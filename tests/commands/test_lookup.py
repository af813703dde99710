from __future__ import annotations

import json
from typing import Any

import pytest

from ..conftest import Cocrec, outcome, record
from .scenario import AS_OF, add_all


def lookup(repo: Cocrec, query: str, as_of: str = AS_OF) -> list[dict[str, Any]]:
    result = repo("lookup", query, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def ids(repo: Cocrec) -> dict[str, str]:
    return add_all(repo)


QUERIES = [
    "flora@example.org",
    "FLORA@Example.ORG",
    "  flora@example.org ",
    "github:florafen",
    "GitHub:FloraFen",
    "https://example.org/~flora",
    "HTTPS://EXAMPLE.ORG/~flora/",
]


def test_any_identifier_in_any_case_finds_the_flag(repo: Cocrec, ids: dict[str, str]) -> None:
    for query in QUERIES:
        [match] = lookup(repo, query)
        assert (
            match["id"] == ids["A"]
            and match["status"] == "flagged"
            and match["until"] is None
            and match["strong"] is True
        ), query
        assert match["recommendations"] == "May attend talks, not the party."
        # the shareable summary, the reporter redacted; never the confidential summary
        assert match["shareable_summary"].endswith(
            "made repeated unwanted comments; [redacted] reported it."
        )


def test_text_output_shows_what_may_be_shared_and_never_the_reporter(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    result = repo("lookup", "flora@example.org", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{ids['A']}  flagged  (matched by email)"
    assert "recommendations: May attend talks, not the party." in result.stdout
    assert "Rita" not in result.output and "rita.reporter" not in result.output
    assert "comments to" not in result.output  # the confidential summary


def test_bans_say_until_when(repo: Cocrec, ids: dict[str, str]) -> None:
    [bruno] = lookup(repo, "mastodon:BrunoB")
    assert (bruno["id"], bruno["status"], bruno["until"], bruno["ban_ended"]) == (
        ids["B"],
        "banned",
        "2027-09-01",
        False,
    )
    [paula] = lookup(repo, "paula@example.org")
    assert (paula["status"], paula["until"]) == ("banned", "permanent")
    [eddie] = lookup(repo, "eddie@example.org")
    assert (eddie["until"], eddie["ban_ended"]) == ("2026-12-01", True)
    assert (
        "banned until 2026-12-01 (ended)"
        in repo("lookup", "eddie@example.org", "--as-of", AS_OF).stdout
    )
    assert lookup(repo, "eddie@example.org", "2026-11-01")[0]["ban_ended"] is False


def test_other_people_of_the_record_are_redacted(repo: Cocrec, ids: dict[str, str]) -> None:
    [otto] = lookup(repo, "otto@example.org")
    assert otto["id"] == ids["E"]
    assert otto["recommendations"] == "Do not admit [redacted]; Otto Ostrowski neither."
    assert "Paula" not in json.dumps(otto) and "Rita" not in json.dumps(otto)


def test_nobody_else_is_reported(repo: Cocrec, ids: dict[str, str]) -> None:
    assert lookup(repo, "rosa@example.org") == []  # resolved only
    assert lookup(repo, "nora@example.org") == []  # no violation only
    assert lookup(repo, "Rosa Quartermain") == []
    assert lookup(repo, "someone.else@example.org") == []
    text = repo("lookup", "rosa@example.org", "--as-of", AS_OF).stdout
    assert text.strip() == f"No flagged or banned person matches as of {AS_OF}."


def test_an_identifier_joined_in_a_resolved_record_finds_the_flag(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    """A resolved record lists a second email next to Flora's username: that email is Flora too."""
    resolved = repo.add(
        record(
            reported_on="2026-11-01",
            subjects=[{"emails": ["flora.alt@example.org"], "usernames": ["github:florafen"]}],
            outcome=outcome("resolved", "2026-11-05"),
        )
    )
    assert [m["id"] for m in lookup(repo, "Flora.Alt@example.org")] == [ids["A"]]
    assert resolved not in repo("lookup", "flora.alt@example.org", "--as-of", AS_OF).stdout


def test_also_in_carries_the_match_to_a_record_with_a_name_only_subject(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    linked = repo.add(
        record(
            reported_on="2026-11-01",
            subjects=[{"name": "F. Fennimore", "also_in": [ids["A"]]}],
            outcome=outcome("flagged", "2026-11-05"),
        )
    )
    found = {m["id"]: m["matched_by"] for m in lookup(repo, "flora@example.org")}
    assert found == {ids["A"]: "email", linked: "also_in"}


def test_a_name_is_a_weaker_match(repo: Cocrec, ids: dict[str, str]) -> None:
    [match] = lookup(repo, "Flora Fenimore")  # misspelt
    assert (
        match["id"] == ids["A"]
        and match["strong"] is False
        and match["matched_by"] == "name"
        and 0.8 <= match["similarity"] < 1
    )
    text = repo("lookup", "fennimore, flora", "--as-of", AS_OF).stdout
    assert "matched by name, weaker" in text and "confirm before acting" in text
    assert lookup(repo, "Florence Nightingale") == []


def test_past_retention_is_not_shown_but_noted(repo: Cocrec, ids: dict[str, str]) -> None:
    result = repo("lookup", "olga@example.org", "--as-of", AS_OF, "--format", "json")
    assert json.loads(result.stdout) == []
    assert (
        ids["I"] in result.stderr
        and "past their retention" in result.stderr
        and "Olga" not in result.stderr
    )
    assert lookup(repo, "olga@example.org", "2026-07-01")[0]["id"] == ids["I"]


def test_an_empty_query_is_a_usage_error(repo: Cocrec) -> None:
    result = repo("lookup", "  ")
    assert result.exit_code == 2
    assert result.stderr.strip() == "cocrec: QUERY: give a name, email, username or url to look up"
