from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ..conftest import Cocrec, Person, record


def test_new_from_stdin_prints_an_id_and_writes_armored_ciphertext(repo: Cocrec) -> None:
    rid = repo.add(record())
    assert re.fullmatch(r"2026-[0-9a-hjkmnp-tv-z]{4}", rid)
    data = (repo.root / f"records/{rid}.yaml.age").read_bytes()
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert b"Jane" not in data


def test_other_member_opens_the_file_with_plain_age(repo: Cocrec, bob: Person) -> None:
    rid = repo.add(record())
    plain = subprocess.run(
        ["age", "-d", "-i", str(bob.identity), str(repo.root / f"records/{rid}.yaml.age")],
        capture_output=True,
        check=True,
    )
    assert b"sam@example.org" in plain.stdout


def test_a_given_valid_unused_id_is_kept_and_a_taken_one_is_replaced(repo: Cocrec) -> None:
    assert repo.add(record(id="2026-k7qd")) == "2026-k7qd"
    other = repo.add(record(id="2026-k7qd", summary="Another incident, another report.\n"))
    assert other != "2026-k7qd" and other.startswith("2026-")


def test_index_holds_no_personal_data(repo: Cocrec) -> None:
    repo.add(record())
    index = (repo.root / "records/index.yaml").read_text()
    for value in (
        "Jane",
        "jane@example.org",
        "janedoe",
        "Sam",
        "sam@example.org",
        "example.org/~jane",
        "Example Conf",
    ):
        assert value not in index


def test_invalid_record_gets_one_line_without_the_value_and_changes_nothing(repo: Cocrec) -> None:
    before = repo.files()
    doc = record(reporter={"kind": "private", "name": "Secret Reporterson"}, handled_by="alice")
    result = repo(
        "new", "--from", "-", input=__import__("cocrec.yaml_io", fromlist=["dumps"]).dumps(doc)
    )
    assert result.exit_code == 1
    assert "reporter" in result.stderr
    assert "Secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert repo.files() == before


def test_malformed_yaml_and_aliases_are_refused(repo: Cocrec) -> None:
    before = repo.files()
    bad = repo("new", "--from", "-", input="id: [unclosed\nsummary: Jane Doe did it\n")
    alias = repo("new", "--from", "-", input="a: &x Jane\nb: *x\n")
    assert (bad.exit_code, alias.exit_code) == (1, 1)
    assert "malformed YAML" in bad.stderr and "Jane" not in bad.stderr
    assert "anchors and aliases" in alias.stderr
    assert repo.files() == before


def test_missing_file_is_a_usage_error(repo: Cocrec) -> None:
    result = repo("new", "--from", str(repo.root / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_no_identity_exits_3_with_what_to_do(repo: Cocrec) -> None:
    result = Cocrec(repo.root, None)("due")
    repo.add(record())
    result = Cocrec(repo.root, None)("due")
    assert result.exit_code == 3
    assert "identity" in result.stderr


# -- every problem, named by the input file -----------------------------------------------------


def test_every_problem_of_the_file_is_listed_naming_it_not_a_record_file(
    repo: Cocrec, tmp_path: Path
) -> None:
    from cocrec import yaml_io

    path = tmp_path / "report.yaml"
    doc = record(
        region="atlantis",
        channel="carrier-pigeon",
        subjects=[{"name": "Jane Doe", "also_in": ["2025-x3m9"]}],
    )
    path.write_text(yaml_io.dumps(doc))
    before = repo.files()
    result = repo("new", "--from", str(path))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:-1] == [
        f"error: {path}: region: not one of the regions in cocrec.yaml: use one of europe, north-america, africa, asia, oceania, latin-america, online, other, or add it there",
        f"error: {path}: channel: not one of the channels in cocrec.yaml: use one of email, event-staff, online-moderators, other, or add it there",
        f"error: {path}: subjects[0].also_in[0]: no record has this id: fix the id or remove it",
    ]
    assert (
        lines[-1]
        == f"cocrec: nothing was written: fix the 3 problems listed above, then run `cocrec new --from {path}` again"
    )
    assert "records/" not in result.stderr and "Jane" not in result.stderr
    assert repo.files() == before


def test_a_link_to_an_unknown_record_names_the_input_file(repo: Cocrec, tmp_path: Path) -> None:
    from cocrec import yaml_io

    path = tmp_path / "report.yaml"
    path.write_text(
        yaml_io.dumps(record(subjects=[{"name": "Jane Doe", "also_in": ["2025-x3m9"]}]))
    )
    result = repo("new", "--from", str(path))
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"cocrec: {path}: subjects[0].also_in[0]: no record has this id: fix the id or remove it"
    )


def test_a_plaintext_file_is_to_be_deleted_afterwards(repo: Cocrec, tmp_path: Path) -> None:
    from cocrec import yaml_io

    path = tmp_path / "report.yaml"
    path.write_text(yaml_io.dumps(record()))
    result = repo("new", "--from", str(path))
    assert result.exit_code == 0
    named, deleted = result.stderr.strip().splitlines()
    assert named.startswith(f"cocrec: {result.stdout.strip()}'s code name is \"")
    assert (
        deleted
        == f"cocrec: {path} holds the record in plaintext, outside the encrypted store: delete it now (`rm {path}`)"
    )
    assert (
        "delete"
        not in repo("new", "--from", "-", input=yaml_io.dumps(record(summary="Other.\n"))).stderr
    )


def test_an_age_encrypted_file_is_read_without_plaintext_on_disk(
    repo: Cocrec, alice: Person, tmp_path: Path
) -> None:
    """How one side of an id collision between branches is added back: `git show :3:PATH > FILE`, then this."""
    rid = repo.add(record(id="2026-k7qd"))
    aside = tmp_path / "2026-k7qd.other.yaml.age"
    aside.write_bytes((repo.root / f"records/{rid}.yaml.age").read_bytes())
    other = repo("new", "--from", str(aside), "--yes")
    assert other.exit_code == 0, other.output
    assert other.stdout.strip() != rid and "plaintext" not in other.stderr
    assert len(list((repo.root / "records").glob("*.yaml.age"))) == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "reported_on: 01/12/2026\nregion: europe\nreporter: {kind: private}\nhandled_by: alice\nsummary: x\n",
            "<stdin>: reported_on: must be a date, written YYYY-MM-DD like 2026-06-04",
        ),
        (
            "reported_on: 2026-06-04\nregion: europe\nreporter: {kind: private}\nhandled_by: alice\nsummary: x\noutcome: {type: banned, decided_on: 2026-07-01, ban: {until: 9999-12-31}, recommendations: x}\naction_by_committee: {taken: false}\naction_by_local_rep: {taken: false}\nsubjects: [{name: Jane Doe}]\n",
            "<stdin>: outcome.ban.until: dates run from 1900 to 2199: a ban without an end is written ban: {permanent: true}",
        ),
        (
            "reported_on: 0001-01-01\nregion: europe\nreporter: {kind: private}\nhandled_by: alice\nsummary: x\n",
            "<stdin>: reported_on: dates run from 1900 to 2199: fix the year",
        ),
        (
            "reported_on: 2026-06-04\nregion: europe\nreporter: {kind: private}\nhandled_by: alice\nsummary: Jane Doe did it\nsummary: x\n",
            "<stdin>: line 6: the same field as on line 5: YAML would keep only the last one; keep one and merge the text into it",
        ),
        (
            "base: &b {kind: private}\nreported_on: 2026-06-04\n",
            "<stdin>: line 1: YAML anchors and aliases are not allowed; write the value out",
        ),
        (
            "reported_on: 2026-06-04\nreporter:\n  <<: {kind: private}\n",
            "<stdin>: line 3: YAML merge keys (<<) are not allowed; write the fields out",
        ),
        (
            "reported_on: 2026-06-04\nnotes: " + "[" * 500 + "]" * 500 + "\n",
            "<stdin>: line 2: nested more than 32 levels deep; cocrec files are a few levels deep: remove the extra brackets or indentation",
        ),
        (
            'reported_on: 2026-06-04\nregion: europe\nreporter: {kind: private}\nhandled_by: alice\nsummary: x\nsubjects: [{name: Jane Doe, usernames: ["github:janedoe\\n"]}]\n',
            "<stdin>: subjects[0].usernames[0]: must be a username without spaces (like github:janedoe)",
        ),
    ],
    ids=[
        "date-in-another-format",
        "ban-until-9999",
        "year-1",
        "duplicate-key",
        "anchor",
        "merge-key",
        "500-levels",
        "username-with-newline",
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(repo: Cocrec, text: str, line: str) -> None:
    before = repo.files()
    result = repo("new", "--from", "-", input=text)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"cocrec: {line}"
    assert repo.files() == before


def test_a_report_dated_after_the_as_of_date_is_refused(repo: Cocrec) -> None:
    from cocrec import yaml_io

    result = repo("new", "--from", "-", "--as-of", "2026-06-01", input=yaml_io.dumps(record()))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "cocrec: <stdin>: reported_on: is after 2026-06-01 (today, or --as-of): a report is dated when it was received; fix the date"
    )
    assert (
        repo("new", "--from", "-", "--as-of", "2026-06-04", input=yaml_io.dumps(record())).exit_code
        == 0
    )
