from __future__ import annotations

import re
import subprocess

from ..conftest import Cocrec, Person, record


def test_new_from_stdin_prints_an_id_and_writes_armored_ciphertext(repo: Cocrec) -> None:
    rid = repo.add(record())
    assert re.fullmatch(r"2026-[0-9a-hjkmnp-tv-z]{4}", rid)
    data = (repo.root / f"records/{rid}.yaml.age").read_bytes()
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert b"Jane" not in data


def test_other_member_opens_the_file_with_plain_age(repo: Cocrec, bob: Person) -> None:
    rid = repo.add(record())
    plain = subprocess.run(["age", "-d", "-i", str(bob.identity), str(repo.root / f"records/{rid}.yaml.age")], capture_output=True, check=True)
    assert b"sam@example.org" in plain.stdout


def test_a_given_valid_unused_id_is_kept_and_a_taken_one_is_replaced(repo: Cocrec) -> None:
    assert repo.add(record(id="2026-k7qd")) == "2026-k7qd"
    other = repo.add(record(id="2026-k7qd", summary="Another incident, another report.\n"))
    assert other != "2026-k7qd" and other.startswith("2026-")


def test_index_holds_no_personal_data(repo: Cocrec) -> None:
    repo.add(record())
    index = (repo.root / "records/index.yaml").read_text()
    for value in ("Jane", "jane@example.org", "janedoe", "Sam", "sam@example.org", "example.org/~jane", "Example Conf"):
        assert value not in index


def test_invalid_record_gets_one_line_without_the_value_and_changes_nothing(repo: Cocrec) -> None:
    before = repo.files()
    doc = record(reporter={"kind": "private", "name": "Secret Reporterson"}, handled_by="alice")
    result = repo("new", "--from", "-", input=__import__("cocrec.yaml_io", fromlist=["dumps"]).dumps(doc))
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
