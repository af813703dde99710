from __future__ import annotations

import json
import subprocess

from cocrec import crypto

from ..conftest import AS_OF, Cocrec, Person, outcome, record


def test_members_list_shows_both_members(repo: Cocrec) -> None:
    result = repo("members", "list", "--format", "json")
    assert result.exit_code == 0
    assert [m["id"] for m in json.loads(result.stdout)] == ["alice", "bob"]


def test_adding_a_member_lets_them_open_every_earlier_record(repo: Cocrec, carol: Person) -> None:
    first = repo.add(record(outcome=outcome("resolved")))
    second = repo.add(record(reported_on="2026-08-01"))
    result = repo(
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-09-01",
    )
    assert result.exit_code == 0, result.output
    for rid in (first, second):
        shown = repo.as_(carol)("show", rid, "--as-of", AS_OF)
        assert shown.exit_code == 0, shown.output
        assert "Jane Doe" in shown.stdout
        # and the reference age CLI agrees
        plain = subprocess.run(
            ["age", "-d", "-i", str(carol.identity), str(repo.root / f"records/{rid}.yaml.age")],
            capture_output=True,
            check=True,
        )
        assert b"Jane Doe" in plain.stdout


def test_index_records_the_new_fingerprint_after_adding(
    repo: Cocrec, carol: Person, alice: Person, bob: Person
) -> None:
    rid = repo.add(record())
    repo("members", "add", "carol", "--name", carol.name, "--key", carol.public)
    index = (repo.root / "records/index.yaml").read_text()
    expected = crypto.fingerprint([alice.public, bob.public, carol.public])
    assert f"recipients: {expected}" in index
    assert index.count(expected) == 2  # the header and the one record
    assert rid in index


def test_invalid_key_is_refused_and_nothing_changes(repo: Cocrec) -> None:
    before = repo.files()
    result = repo("members", "add", "dave", "--name", "Dave", "--key", "age1notakey")
    assert result.exit_code == 2
    assert "not a valid" in result.stderr
    assert repo.files() == before


def test_adding_the_same_member_again_finishes_the_job_and_changes_nothing_else(
    repo: Cocrec, carol: Person, bob: Person
) -> None:
    args = (
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-01-01",
        "--yes",
    )
    repo.add(record())
    assert repo(*args).exit_code == 0
    before = repo.files()
    again = repo(
        *args
    )  # the same command run again (after a kill, say): it finishes what is left, here nothing
    assert again.exit_code == 0, again.output
    assert (
        "carol is a member with these keys already" in again.stderr
        and "re-encrypted 0 record(s)" in again.stdout
    )
    assert repo.files() == before
    other_key = repo("members", "add", "carol", "--name", carol.name, "--key", bob.public)
    assert other_key.exit_code == 2 and "already has id 'carol'" in other_key.stderr


def test_duplicate_member_id_and_duplicate_key_are_refused(
    repo: Cocrec, alice: Person, carol: Person
) -> None:
    before = repo.files()
    same_id = repo("members", "add", "alice", "--name", "Another", "--key", carol.public)
    same_key = repo("members", "add", "dave", "--name", "Dave", "--key", alice.public)
    assert (same_id.exit_code, same_key.exit_code) == (2, 2)
    assert "already has id" in same_id.stderr
    assert "already belongs" in same_key.stderr
    assert repo.files() == before
