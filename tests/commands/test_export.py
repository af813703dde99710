from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from cocrec import yaml_io
from cocrec.matcher import fold_text

from ..conftest import Cocrec, outcome, record
from .scenario import AS_OF, add_all


@pytest.fixture
def ids(repo: Cocrec) -> dict[str, str]:
    return add_all(repo)


def export(repo: Cocrec, query: str, fmt: str = "json") -> dict[str, Any]:
    result = repo("export", query, "--as-of", AS_OF, "--format", fmt)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if fmt == "json" else yaml_io.loads(result.stdout, "export")  # type: ignore[no-any-return]


REPORTER_STRINGS = ("Rita", "rita.reporter", "Reporter")


def test_gathers_every_record_of_the_person_without_the_reporter(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    data = export(repo, "FLORA@example.org")
    assert data["matched_by"] == "identifier"
    assert [r["id"] for r in data["records"]] == [
        ids["A"],
        ids["F"],
    ]  # F knows her only by username
    flagged, open_case = data["records"]
    assert flagged["your_entry"] == [
        {
            "name": "Flora Fennimore",
            "emails": ["flora@example.org"],
            "usernames": ["github:florafen"],
            "urls": ["https://example.org/~flora"],
        }
    ]
    assert (
        flagged["outcome"]["type"] == "flagged" and flagged["your_data_kept_until"] == "2027-05-01"
    )
    assert flagged["outcome"]["shareable_summary"].startswith(
        "Flora Fennimore (flora@example.org, @florafen)"
    )
    assert open_case["status"] == "open" and open_case["outcome"] is None
    text = json.dumps(data)
    for value in REPORTER_STRINGS:
        assert value not in text
    assert (
        "comments to" not in text and "again?" not in text
    )  # confidential summaries are not exported
    assert "reporter" not in {key for record in data["records"] for key in record}


def test_other_subjects_are_redacted_everywhere(repo: Cocrec, ids: dict[str, str]) -> None:
    data = export(repo, "otto@example.org", "yaml")
    [entry] = data["records"]
    assert entry["id"] == ids["E"] and entry["other_people_named"] == 1
    assert entry["outcome"]["recommendations"] == "Do not admit [redacted]; Otto Ostrowski neither."
    assert (
        entry["outcome"]["shareable_summary"]
        == "[redacted] and Otto Ostrowski (otto@example.org) were banned; reported by [redacted]."
    )
    assert entry["your_data_kept_until"].startswith("kept with no end date")
    text = json.dumps(data)
    for value in ("Paula", "Pemberton", "paula@", "paulap", *REPORTER_STRINGS):
        assert value not in text


def test_disclosures_say_when_to_whom_and_what(
    repo: Cocrec, ids: dict[str, str], tmp_path: Any
) -> None:
    attendees = tmp_path / "a.csv"
    attendees.write_text("email\nbruno@example.org\n")
    assert (
        repo(
            "screen",
            str(attendees),
            "--disclose",
            "Example Conf 2027 organisers",
            "--as-of",
            "2026-12-01",
        ).exit_code
        == 0
    )
    [entry] = export(repo, "bruno@example.org")["records"]
    assert entry["disclosures"] == [
        {"on": "2026-12-01", "to": "Example Conf 2027 organisers", "what": "shareable_summary"}
    ]
    assert entry["action_by_local_rep"] == {
        "taken": True,
        "description": "Venue staff removed him.",
    }


def test_a_name_matches_only_when_no_identifier_does_and_says_so(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    result = repo("export", "eddie eckhardt", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["matched_by"] == "name" and [r["id"] for r in data["records"]] == [ids["H"]]
    assert "matched by name only: confirm" in result.stderr


def test_a_namesake_without_a_shared_identifier_is_left_out_and_noted(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    namesake = repo.add(
        record(
            reported_on="2026-11-01",
            subjects=[{"name": "Otto Ostrowski", "emails": ["otto.o@example.org"]}],
            outcome=outcome("resolved", "2026-11-05"),
        )
    )
    result = repo("export", "otto@example.org", "--as-of", AS_OF, "--format", "json")
    assert [r["id"] for r in json.loads(result.stdout)["records"]] == [ids["E"]]
    assert namesake in result.stderr and "not included" in result.stderr


def test_nobody_found_is_an_empty_export(repo: Cocrec, ids: dict[str, str]) -> None:
    assert export(repo, "nobody@example.org")["records"] == []


def test_an_empty_query_is_a_usage_error(repo: Cocrec) -> None:
    result = repo("export", "")
    assert (
        result.exit_code == 2
        and result.stderr.strip() == "cocrec: QUERY: give the person's email, username, url or name"
    )


def test_other_people_are_redacted_in_every_form_they_are_written(repo: Cocrec) -> None:
    others = [{"name": "José Müller", "emails": ["jose.mueller@example.org"]}, {"name": "王小明"}]
    text = (
        "Jane Doe and Jose Muller argued; the Müllers' friend "
        + unicodedata.normalize("NFD", "José Müller")
        + " wrote from jose.mueller+coc@example.org. 王小明已道歉. Li said so, as Mueller did."
    )
    repo.add(
        record(
            reporter={"kind": "public", "name": "Li Wei", "contact": "li.wei@example.org"},
            subjects=[record()["subjects"][0], *others],
            outcome=outcome("flagged", shareable_summary=text, recommendations=text),
        )
    )
    data = export(repo, "jane@example.org")
    [entry] = data["records"]
    out = fold_text(json.dumps(data, ensure_ascii=False))
    assert "jane doe" in out  # the person asking keeps their own name
    for form in ("jose", "muller", "mueller", "王小明", "li wei", "li.wei", '"li', " li "):
        assert form not in out, form
    assert entry["outcome"]["shareable_summary"].startswith(
        "Jane Doe and [redacted] argued; the [redacted]' friend [redacted] wrote"
    )
