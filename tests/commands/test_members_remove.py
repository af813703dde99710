from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from cocrec import crypto, dates
from cocrec.errors import DecryptError
from cocrec.repo import Repo

from ..conftest import Cocrec, Person, add_many, record
from .test_rekey import age_encrypt, never_asked, plaintexts


def members(repo: Cocrec) -> list[dict[str, object]]:
    result = repo("members", "list", "--format", "json")
    assert result.exit_code == 0
    return list(json.loads(result.stdout))


def test_a_member_who_leaves_opens_no_current_record(
    repo: Cocrec, alice: Person, bob: Person
) -> None:
    add_many(repo, 300)
    before = plaintexts(repo, alice)
    result = repo("members", "remove", "bob", "--on", "2026-09-30")
    assert result.exit_code == 0, result.output
    assert "Removed bob; re-encrypted 300 record(s) to 1 member(s), 1 key(s)" in result.stdout
    assert "remove their access to the git remote" in result.stdout
    bob_keys = crypto.load_identities([bob.identity], never_asked)
    files = sorted((repo.root / "records").glob("*.yaml.age"))
    for path in files:
        with pytest.raises(DecryptError):
            crypto.decrypt(path.read_bytes(), bob_keys, path.name)
        assert crypto.header_stanzas(path.read_bytes()) == ["ssh-ed25519"]
    refused = subprocess.run(
        ["age", "-d", "-i", str(bob.identity), str(files[0])], capture_output=True
    )
    assert refused.returncode != 0 and refused.stdout == b""
    assert plaintexts(repo, alice) == before
    assert repo("rekey", "--check").exit_code == 0
    assert members(repo) == [
        {
            "id": "alice",
            "name": "Alice Member",
            "status": "current",
            "keys": 1,
            "since": "2024-01-01",
            "until": None,
        },
        {
            "id": "bob",
            "name": "Bob Member",
            "status": "former",
            "keys": 0,
            "since": "2024-01-01",
            "until": "2026-09-30",
        },
    ]
    assert bob.public not in (repo.root / "members.yaml").read_text()


def test_until_defaults_to_today(repo: Cocrec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "today", lambda: dt.date(2026, 10, 2))
    assert repo("members", "remove", "bob").exit_code == 0
    assert members(repo)[1]["until"] == "2026-10-02"


def test_the_last_member_cannot_be_removed(repo: Cocrec) -> None:
    repo.add(record())
    assert repo("members", "remove", "bob", "--on", "2026-09-30").exit_code == 0
    before = repo.files()
    result = repo("members", "remove", "alice", "--on", "2026-10-01")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "cocrec: members remove: 'alice' is the last member and nobody could open the records; add their successor first"
    )
    assert repo.files() == before


@pytest.mark.parametrize(
    ("member", "on", "message"),
    [
        (
            "dave",
            "2026-09-30",
            "cocrec: members remove: no current member has id 'dave'; `cocrec members list` shows the ids",
        ),
        (
            "bob",
            "2023-12-31",
            "cocrec: --on: 2023-12-31 is before bob joined (2024-01-01); give a later date",
        ),
    ],
)
def test_bad_removals_are_refused_clearly(repo: Cocrec, member: str, on: str, message: str) -> None:
    repo.add(record())
    before = repo.files()
    result = repo("members", "remove", member, "--on", on)
    assert (result.exit_code, result.stderr.strip()) == (2, message)
    assert repo.files() == before


def test_removing_a_former_member_again_finishes_the_removal_and_changes_nothing_else(
    repo: Cocrec,
) -> None:
    assert repo("members", "remove", "bob", "--on", "2026-09-30").exit_code == 0
    before = repo.files()
    again = repo(
        "members", "remove", "bob", "--on", "2026-09-30"
    )  # the same command, run again (after a kill, say)
    assert again.exit_code == 0, again.output
    assert (
        "bob is a former member already" in again.stderr
        and "re-encrypted 0 record(s)" in again.stdout
    )
    assert repo.files() == before
    other_day = repo("members", "remove", "bob", "--on", "2026-10-01")
    assert other_day.exit_code == 2
    assert (
        "'bob' is already a former member; if an earlier removal was interrupted, run `cocrec rekey` to finish it"
        in other_day.stderr
    )


def test_a_member_cannot_remove_themselves(repo: Cocrec) -> None:
    repo.add(record())
    before = repo.files()
    result = repo("members", "remove", "alice", "--on", "2026-09-30")
    assert result.exit_code == 3
    assert (
        "your identity holds none of the members' keys" in result.stderr
        and "nothing was changed" in result.stderr
    )
    assert repo.files() == before


def test_an_identity_that_cannot_open_every_record_changes_nothing(
    repo: Cocrec, alice: Person, bob: Person
) -> None:
    ids = [repo.add(record(reported_on=f"2026-0{n}-01")) for n in range(1, 4)]
    secret = repo.root / f"records/{ids[1]}.yaml.age"
    secret.write_bytes(age_encrypt(plaintexts(repo, alice)[secret.name], bob.public))
    assert repo.as_(bob)("adopt", "--yes").exit_code == 0
    before = repo.files()
    result = repo("members", "remove", "bob", "--on", "2026-09-30")
    assert result.exit_code == 3
    assert f"records/{ids[1]}.yaml.age: not encrypted to your identity" in result.stderr
    assert repo.files() == before  # members.yaml too: it is written only once every record is ready


def test_a_second_writer_is_refused(repo: Cocrec) -> None:
    repo.add(record())
    before = repo.files()
    with Repo(repo.root).lock():
        result = repo("members", "remove", "bob", "--on", "2026-09-30")
    assert result.exit_code == 4
    assert repo.files() == before


def test_a_former_member_can_come_back_and_reads_everything_again(
    repo: Cocrec, bob: Person
) -> None:
    rid = repo.add(record())
    assert repo("members", "remove", "bob", "--on", "2026-09-30").exit_code == 0
    assert repo.as_(bob)("show", rid).exit_code == 3
    assert (
        repo(
            "members",
            "add",
            "bob",
            "--name",
            bob.name,
            "--key",
            bob.public,
            "--since",
            "2027-01-01",
        ).exit_code
        == 0
    )
    assert repo.as_(bob)("show", rid, "--as-of", "2027-01-02").exit_code == 0
    assert [m["status"] for m in members(repo)] == ["current", "current"]


@pytest.mark.parametrize(
    "args",
    [["show", "RID"], ["show", "2027-zzzz"], ["list"], ["edit", "RID"], ["open", "RID"], ["check"]],
)
def test_a_removed_member_is_told_they_are_not_a_recipient_any_more(
    repo: Cocrec, bob: Person, args: list[str]
) -> None:
    """Not "ask a member to run `cocrec rekey`": nothing a member runs makes the records theirs again."""
    rid = repo.add(record())
    assert repo("members", "remove", "bob", "--on", "2026-09-30").exit_code == 0
    before = repo.files()
    result = repo.as_(bob)(*[rid if arg == "RID" else arg for arg in args])
    line = result.stderr.strip().splitlines()[-1]
    assert result.exit_code == 3, (
        line
    )  # for an id they never saw too: members.yaml says all they may know
    assert line.startswith(
        "cocrec: members.yaml: your identity holds none of the current members' keys, so it opens no record"
    )
    assert "not a recipient any more" in line and "rekey" not in line
    assert repo.files() == before


def test_a_key_with_a_line_break_is_refused(repo: Cocrec, carol: Person) -> None:
    before = repo.files()
    result = repo("members", "add", "carol", "--name", carol.name, "--key", carol.public + "\n")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "cocrec: --key #1: has spaces or a line break around it: pass the key alone, on one line"
    )
    assert repo.files() == before
