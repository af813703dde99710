from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from cocrec import crypto, yaml_io
from cocrec.matcher import fold_text

from ..conftest import Cocrec, Person, outcome, record

AS_OF = "2027-09-01"


def person(first: str, last: str) -> dict[str, Any]:
    handle = f"{first}{last}".lower()
    return {
        "name": f"{first} {last}",
        "emails": [f"{handle}@example.org"],
        "usernames": [f"github:{handle}"],
        "urls": [f"https://example.org/~{handle}"],
    }


def reporter(first: str, last: str) -> dict[str, str]:
    return {
        "kind": "public",
        "name": f"{first} {last}",
        "contact": f"{first.lower()}.{last.lower()}@example.org",
    }


def values(doc: dict[str, Any]) -> list[str]:
    """Every identifying value of a record, and every name word: what an expunge must remove."""
    found = [doc["reporter"].get("name", ""), doc["reporter"].get("contact", "")]
    for subject in doc.get("subjects", []):
        found += [
            subject.get("name", ""),
            *subject.get("emails", []),
            *subject.get("usernames", []),
            *subject.get("urls", []),
        ]
    words = [w for v in found for w in v.split() if len(w) >= 3 and "@" not in v and "/" not in v]
    return [v for v in found + words if v]


def case(
    event_names: str, subject: dict[str, Any], rep: dict[str, str], **changes: Any
) -> dict[str, Any]:
    """A record whose kept text names its people, so that redaction shows."""
    doc = record(
        **{
            "reporter": rep,
            "subjects": [subject],
            "event": f"Example Conf, where {event_names} met",
            **changes,
        }
    )
    doc["summary"] = (
        f"{subject['name']} ({subject['emails'][0]}) was reported by {rep.get('name', 'a private reporter')}.\n"
    )
    doc["action_by_committee"] = {
        "taken": True,
        "description": f"Emailed {subject['emails'][0]}; {subject['usernames'][0]} replied.",
    }
    return doc


def corpus(repo: Cocrec) -> dict[str, str]:
    """Records of every type; as of 2027-09-01 some steps are overdue, some pending, held or never."""
    jane, rex, mia = person("Jane", "Doe"), person("Rex", "Ample"), person("Mia", "Sample")
    otto, lea, ivo = person("Otto", "Nomen"), person("Lea", "Fictive"), person("Ivo", "Madeup")
    una, kai, zoe = (
        person("Una", "Invent"),
        person("Kai", "Testperson"),
        person("Zoe", "Placeholder"),
    )
    nv_out = outcome(
        "no-violation", "2026-07-01", shareable_summary="Jane Doe did nothing wrong.\n"
    )
    docs = {
        "no-violation": case(
            "Jane Doe and Sam",
            jane,
            reporter("Sam", "Herald"),
            reported_on="2026-06-20",
            outcome=nv_out,
        ),
        "unidentified": case(
            "nobody",
            rex,
            reporter("Pia", "Witness"),
            reported_on="2026-06-20",
            subjects=None,
            outcome=outcome("unidentified", "2026-07-01"),
        ),
        "resolved": case(
            "Mia",
            mia,
            reporter("Tom", "Caller"),
            reported_on="2026-05-20",
            outcome=outcome("resolved", "2026-06-01"),
            disclosures=[
                {
                    "on": "2026-07-01",
                    "to": "Example Conf organisers",
                    "what": "shareable_summary about mia@example.org",
                }
            ],
        ),
        "flagged": case(
            "Otto",
            otto,
            reporter("Ada", "Teller"),
            reported_on="2026-06-20",
            outcome=outcome("flagged", "2026-07-01"),
        ),
        "banned": case(
            "Lea",
            lea,
            reporter("Bea", "Teller"),
            reported_on="2026-06-20",
            outcome=outcome("banned", "2026-07-01", ban={"until": "2027-01-01"}),
        ),
        "permanent": case(
            "Ivo",
            ivo,
            reporter("Cy", "Teller"),
            reported_on="2026-06-20",
            outcome=outcome("banned", "2026-07-01", ban={"permanent": True}),
        ),
        "held": case(
            "Una",
            una,
            reporter("Di", "Teller"),
            reported_on="2026-01-01",
            outcome=outcome("resolved", "2026-01-10"),
            retention={
                "hold": {
                    "reason": "appeal pending",
                    "since": "2027-01-01",
                    "review_on": "2027-12-01",
                }
            },
        ),
        "private": case(
            "Kai",
            kai,
            {"kind": "private"},
            reported_on="2026-04-20",
            handled_by="alice",
            outcome=outcome("resolved", "2026-05-01"),
        ),
        "override": case(
            "Zoe",
            zoe,
            reporter("Eve", "Teller"),
            reported_on="2027-01-01",
            outcome=outcome("flagged", "2027-01-05"),
            retention={
                "override": {
                    "subjects": "2027-06-01",
                    "reason": "the subject asked for erasure",
                    "decided_on": "2027-05-20",
                }
            },
        ),
        "open": case(
            "Gus", person("Gus", "Opencase"), reporter("Fay", "Teller"), reported_on="2027-08-20"
        ),
    }
    docs["unidentified"]["summary"] = "An unknown person was reported by Pia Witness.\n"
    docs["unidentified"]["action_by_committee"] = {"taken": False}
    return {name: repo.add(doc) for name, doc in docs.items()}


EXPECTED = {
    ("no-violation", "reporter"), ("no-violation", "subjects"), ("unidentified", "reporter"), ("resolved", "reporter"),
    ("resolved", "subjects"), ("private", "reporter"), ("private", "subjects"), ("override", "subjects"),
}  # fmt: skip
UNTOUCHED = ("flagged", "banned", "permanent", "held", "open")


def decrypt(repo: Cocrec, me: Person, rid: str) -> dict[str, Any]:
    identities = crypto.load_identities([me.identity], lambda _: "")
    plaintext = crypto.decrypt(
        (repo.root / f"records/{rid}.yaml.age").read_bytes(), identities, rid
    )
    doc: dict[str, Any] = yaml_io.loads(plaintext, rid)
    return doc


def expunge_json(repo: Cocrec, *args: str) -> dict[str, Any]:
    result = repo("expunge", "--yes", "--as-of", AS_OF, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def populated(
    repo: Cocrec, alice: Person
) -> tuple[Cocrec, dict[str, str], dict[str, dict[str, Any]]]:
    ids = corpus(repo)
    return repo, ids, {name: decrypt(repo, alice, rid) for name, rid in ids.items()}


def test_expunge_removes_exactly_the_due_steps_and_keeps_what_statistics_need(
    populated: Any, alice: Person
) -> None:
    repo, ids, before = populated
    files = repo.files()
    data = expunge_json(repo)
    names = {rid: name for name, rid in ids.items()}
    assert {(names[s["id"]], s["step"]) for s in data["steps"]} == EXPECTED
    after = {name: decrypt(repo, alice, rid) for name, rid in ids.items()}
    for name in UNTOUCHED:
        path = f"records/{ids[name]}.yaml.age"
        assert repo.files()[path] == files[path], f"{name} changed"
    for name, step in EXPECTED:
        assert after[name]["expunged"][step] == AS_OF
        old, new = before[name], after[name]
        for key in ("reported_on", "region", "categories", "outcome"):
            assert (
                new.get(key, {}).get("type") == old[key]["type"]
                if key == "outcome"
                else new.get(key) == old.get(key)
            )
        assert len(new.get("subjects", [])) == len(old.get("subjects", []))
    # The reporter step alone keeps the subjects; the subjects step leaves {expunged: true} each.
    assert after["unidentified"]["reporter"] == {"kind": "public"}
    assert (
        after["override"]["subjects"] == [{"expunged": True}]
        and after["override"]["reporter"]["name"] == "Eve Teller"
    )
    assert "summary" not in after["resolved"] and "to" not in after["resolved"]["disclosures"][0]
    assert after["no-violation"]["event"] == "Example Conf, where [redacted] and [redacted] met"


def test_no_removed_value_is_left_anywhere_in_an_expunged_file(
    populated: Any, alice: Person
) -> None:
    repo, ids, before = populated
    expunge_json(repo)
    for name in ("no-violation", "resolved", "private"):
        plaintext = yaml_io.dumps(decrypt(repo, alice, ids[name])).lower()
        for value in values(before[name]):
            assert value.lower() not in plaintext, f"{name} still holds a removed value"
    reporter_only = yaml_io.dumps(decrypt(repo, alice, ids["unidentified"]))
    assert (
        "Pia" not in reporter_only
        and "Witness" not in reporter_only
        and "pia.witness@" not in reporter_only
    )


def test_due_shows_done_steps_and_check_passes_and_a_second_run_is_a_no_op(populated: Any) -> None:
    repo, ids, _ = populated
    expunge_json(repo)
    rows = {
        r["id"]: r
        for r in json.loads(repo("due", "--all", "--as-of", AS_OF, "--format", "json").stdout)
    }
    assert rows[ids["resolved"]]["steps"]["subjects"] == {
        "due": "2027-08-01",
        "state": "done",
        "done_on": AS_OF,
    }
    assert rows[ids["override"]]["steps"]["subjects"]["state"] == "done"
    assert rows[ids["override"]]["steps"]["reporter"]["state"] == "pending"
    assert rows[ids["held"]]["steps"]["subjects"]["state"] == "held"
    check = repo("check", "--as-of", AS_OF, "--format", "json")
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["errors"] == []
    files = repo.files()
    again = repo("expunge", "--yes", "--as-of", AS_OF)
    assert again.exit_code == 0 and "Nothing to expunge" in again.stdout
    assert repo.files() == files


def test_dry_run_shows_ids_steps_and_paths_but_no_value_and_changes_nothing(populated: Any) -> None:
    repo, ids, before = populated
    files = repo.files()
    result = repo("expunge", "--dry-run", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert repo.files() == files
    assert (
        ids["resolved"] in result.stdout
        and "reporter.name" in result.stdout
        and "subjects[0]" in result.stdout
    )
    assert "disclosures[0].to" in result.stdout and "dry run: nothing changed" in result.stdout
    for doc in before.values():
        for value in values(doc):
            assert value not in result.output


def test_given_ids_are_checked_first_and_refused_with_one_line(populated: Any) -> None:
    repo, ids, _ = populated
    files = repo.files()
    for name, words in (
        ("flagged", "not due yet"),
        ("held", "held by"),
        ("open", "open case"),
        ("permanent", "never due"),
    ):
        result = repo("expunge", ids["resolved"], ids[name], "--yes", "--as-of", AS_OF)
        assert result.exit_code == 2, result.output
        assert (
            ids[name] in result.stderr
            and words in result.stderr
            and len(result.stderr.strip().splitlines()) == 1
        )
    unknown = repo("expunge", "2026-zzzz", "--yes", "--as-of", AS_OF)
    assert unknown.exit_code == 2 and "2026-zzzz" in unknown.stderr
    assert repo.files() == files


def test_given_ids_expunge_only_those_and_the_override_makes_a_step_due(populated: Any) -> None:
    repo, ids, _ = populated
    data = expunge_json(repo, ids["override"])
    assert [(s["id"], s["step"]) for s in data["steps"]] == [(ids["override"], "subjects")]
    again = expunge_json(repo, ids["override"])
    assert again["steps"] == []


def test_a_value_held_by_both_steps_is_refused_before_anything_is_written(repo: Cocrec) -> None:
    # The reporter's contact is also the subject's email: removing it for one step would leave it for the other.
    rep = {"kind": "public", "name": "Sam Reporter", "contact": "jane@example.org"}
    rid = repo.add(
        record(
            reporter=rep,
            reported_on="2026-03-01",
            outcome=outcome("flagged", "2026-03-10"),
            retention={
                "override": {
                    "reporter": "2026-04-01",
                    "reason": "erasure request",
                    "decided_on": "2026-03-20",
                }
            },
        )
    )
    files = repo.files()
    result = repo("expunge", "--yes", "--as-of", "2026-05-01")
    assert result.exit_code == 1
    assert (
        rid in result.stderr
        and "subjects[0].emails[0]" in result.stderr
        and "jane@example.org" not in result.output
    )
    assert repo.files() == files


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def test_commit_names_ids_and_steps_only_and_passes_the_hooks(
    populated: Any, alice: Person
) -> None:
    repo, ids, before = populated
    git(repo.root, "add", "-A")
    git(repo.root, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Add the records")
    result = repo("expunge", "--commit", "--yes", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    message = git(repo.root, "log", "-1", "--format=%B")
    assert message.startswith("Expunge personal data from 5 record(s)")
    assert re.search(rf"^{ids['resolved']} \([a-z]+ [a-z]+\): reporter, subjects$", message, re.M)
    assert re.search(
        rf"^{ids['override']} \([a-z]+ [a-z]+\): subjects$", message, re.M
    )  # code names name nobody
    # Code names are random words from the shipped list: a short name ("Bea") may be part of one.
    without_code_names = re.sub(r"\([a-z]+ [a-z]+\)", "()", message)
    for doc in before.values():
        for value in values(doc):
            assert value.lower() not in without_code_names.lower()
    assert git(repo.root, "status", "--porcelain") == ""


def test_commit_refuses_uncommitted_changes_in_records(populated: Any) -> None:
    repo, _, _ = populated
    files = repo.files()
    result = repo("expunge", "--commit", "--yes", "--as-of", AS_OF)
    assert result.exit_code == 4
    assert "uncommitted changes" in result.stderr
    assert repo.files() == files


def test_check_warns_about_kept_text_that_names_the_records_people(repo: Cocrec) -> None:
    doc = record(outcome=outcome("flagged", shareable_summary="Jane was asked to leave.\n"))
    doc["action_by_committee"] = {
        "taken": True,
        "description": "Talked to Sam Reporter, then to github:janedoe.",
    }
    rid = repo.add(doc)
    result = repo("check", "--as-of", "2026-08-01", "--format", "json")
    warnings = json.loads(result.stdout)["warnings"]
    assert result.exit_code == 0
    assert (
        f"records/{rid}.yaml.age: outcome.shareable_summary: names a subject of this record"
        in warnings[0] + warnings[1]
    )
    assert any(
        "action_by_committee.description: names the reporter and a subject" in w for w in warnings
    )
    assert not any(
        "summary: " in w and "outcome." not in w for w in warnings
    )  # the confidential summary goes anyway
    assert "Jane" not in result.stdout and "janedoe" not in result.stdout


def test_a_record_that_alone_tied_two_identifiers_frees_the_one_it_extended_in_the_same_run(
    repo: Cocrec,
) -> None:
    # Y is extended to Z's date only because X says that a@ and b@ are one person. X has no violation, so it
    # goes at once; without it Y is past its own date. One run does both, and a second finds nothing.
    y = repo.add(
        record(
            reported_on="2025-01-01",
            subjects=[{"name": "Yan Kowalczyk", "emails": ["a@example.org"]}],
            outcome=outcome("resolved", "2025-01-10"),
        )
    )
    x = repo.add(
        record(
            reported_on="2025-02-01",
            subjects=[{"name": "Yan Kowalczyk", "emails": ["a@example.org", "b@example.org"]}],
            outcome=outcome("no-violation", "2025-02-05"),
        )
    )
    z = repo.add(
        record(
            reported_on="2026-01-01",
            subjects=[{"name": "Yan Kowalczyk", "emails": ["b@example.org"]}],
            outcome=outcome("flagged", "2026-01-10"),
        )
    )
    rows = {
        r["id"]: r
        for r in json.loads(
            repo("due", "--all", "--as-of", "2026-06-01", "--format", "json").stdout
        )
    }
    assert rows[y]["steps"]["subjects"]["state"] == "pending" and rows[y]["extended_by"] == [z]
    result = repo("expunge", "--yes", "--as-of", "2026-06-01", "--format", "json")
    assert {(s["id"], s["step"]) for s in json.loads(result.stdout)["steps"]} == {
        (x, "reporter"),
        (x, "subjects"),
        (y, "reporter"),
        (y, "subjects"),
    }
    assert repo("check", "--as-of", "2026-06-01").exit_code == 0
    assert "Nothing to expunge" in repo("expunge", "--as-of", "2026-06-01").stdout


def test_the_hooks_that_expunge_commit_runs_are_real_and_get_the_members_key(
    populated: Any, alice: Person
) -> None:
    # `expunge --commit` hands its identity to the hooks (COCREC_IDENTITY): with it, they do refuse a name.
    repo, _, _ = populated
    git(repo.root, "add", "-A")
    env = {**os.environ, "COCREC_IDENTITY": str(alice.identity)}
    refused = subprocess.run(
        ["git", "-C", str(repo.root), "commit", "-q", "-m", "Case of Jane Doe"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert refused.returncode != 0 and "Jane" not in refused.stderr


def test_a_record_that_cannot_be_decrypted_stops_everything_with_one_line(
    repo: Cocrec, carol: Person
) -> None:
    repo.add(record(reported_on="2025-01-10", outcome=outcome("no-violation", "2025-01-20")))
    (repo.root / "records/2026-zzzz.yaml.age").write_bytes(
        crypto.encrypt(b"id: 2026-zzzz\n", [carol.public])
    )
    files = repo.files()
    result = repo("expunge", "--yes", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "2026-zzzz" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert repo.files() == files


def test_expunge_leaves_no_form_of_a_real_name_in_the_kept_text(
    repo: Cocrec, alice: Person
) -> None:
    kept = (
        "Jose Muller's talk; " + unicodedata.normalize("NFD", "José Müller") + " and the Müllers; "
        "mail jose.mueller+coc@example.org; 王小明已道歉; Li said so; Mueller too."
    )
    doc = record(
        reporter={"kind": "public", "name": "Li Wei", "contact": "li.wei@example.org"},
        subjects=[
            {"name": "José Müller", "emails": ["jose.mueller@example.org"]},
            {"name": "王小明"},
        ],
        reported_on="2026-01-05",
        outcome=outcome("resolved", "2026-01-10", shareable_summary=kept + "\n"),
        action_by_committee={"taken": True, "description": kept},
    )
    rid = repo.add(doc)
    assert {(s["id"], s["step"]) for s in expunge_json(repo)["steps"]} == {
        (rid, "reporter"),
        (rid, "subjects"),
    }
    after = decrypt(repo, alice, rid)
    for text in (
        after["outcome"]["shareable_summary"],
        after["action_by_committee"]["description"],
    ):
        folded = fold_text(text)
        for form in ("jose", "muller", "mueller", "王小明", "li wei", " li ", "example.org"):
            assert form not in folded, form
        assert "talk" in folded and "said so" in folded
    assert expunge_json(repo)["steps"] == []  # and a second run finds nothing
