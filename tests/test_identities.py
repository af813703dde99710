"""The keys members actually have, through whole commands: ssh-ed25519 and ssh-rsa member keys,
OpenSSH private keys as identities, several keys per member, and a passphrase-protected
identity (the `age -p` format) unlocked once per command however many records it touches.
Files go both ways between cocrec and the reference `age` tool for each key type.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from cocrec import crypto
from cocrec.commands import check, rekey
from cocrec.context import Context

from .commands.test_rekey import age_encrypt, hand_edit_members, plaintexts
from .conftest import AS_OF, Cocrec, Person, add_many, make_person, outcome, record
from .test_crypto import PASSPHRASE, age_keygen, age_on_terminal, ssh_keygen


def age_decrypt(path: Path, identity: Path) -> bytes:
    return subprocess.run(
        ["age", "-d", "-i", str(identity), str(path)], capture_output=True, check=True
    ).stdout


@pytest.fixture(params=["ed25519", "rsa", "age"])
def newcomer(request: pytest.FixtureRequest, keys_dir: Path) -> Person:
    """Carol, whose key is of each kind a member may bring (public key with its comment, as people paste it)."""
    if request.param == "age":
        public = age_keygen(keys_dir / "carol.txt")
        return Person("carol", "Carol Member", keys_dir / "carol.txt", public)
    public = ssh_keygen(keys_dir / f"id_{request.param}", request.param)
    return Person("carol", "Carol Member", keys_dir / f"id_{request.param}", public)


def test_a_newcomer_opens_every_earlier_record_and_files_go_both_ways_with_age(
    repo: Cocrec, alice: Person, bob: Person, newcomer: Person
) -> None:
    ids = [
        repo.add(record(reported_on=f"2026-0{n}-01", outcome=outcome("resolved"))) for n in (1, 2)
    ]
    before = plaintexts(repo, alice)
    added = repo(
        "members",
        "add",
        "carol",
        "--name",
        newcomer.name,
        "--key",
        newcomer.public,
        "--since",
        "2026-09-01",
    )
    assert added.exit_code == 0, added.output
    assert plaintexts(repo, newcomer) == before
    as_carol = repo.as_(newcomer)
    assert as_carol("show", ids[0], "--as-of", AS_OF).exit_code == 0
    for rid in ids:  # cocrec's files open with age and this key
        assert (
            age_decrypt(repo.root / f"records/{rid}.yaml.age", newcomer.identity)
            == before[f"{rid}.yaml.age"]
        )
    # a file written by age to the three members opens with cocrec; once a member adopts it, it counts
    made_by_age = repo.root / "records/2026-zzzz.yaml.age"
    made_by_age.write_bytes(
        age_encrypt(
            before[f"{ids[0]}.yaml.age"].replace(ids[0].encode(), b"2026-zzzz"),
            alice.public,
            bob.public,
            newcomer.public,
        )
    )
    assert (
        as_carol("show", "2026-zzzz", "--as-of", AS_OF).exit_code == 1
    )  # not presented as fact before
    assert repo("adopt", "--yes").exit_code == 0
    if newcomer.public.startswith(
        "age1"
    ):  # an age X25519 key reads but cannot sign: she is told, and another member rekeys
        refused = as_carol("rekey")
        assert (
            refused.exit_code == 4
            and "cannot sign" in refused.stderr
            and "cocrec keygen" in refused.stderr
        )
        assert repo("rekey").exit_code == 0
    else:
        assert as_carol("rekey").exit_code == 0
    assert as_carol("show", "2026-zzzz", "--as-of", AS_OF).exit_code == 0
    assert as_carol("check", "--as-of", AS_OF).exit_code == 0


def test_a_member_joining_with_an_ssh_ed25519_key_opens_all_300_earlier_records(
    repo: Cocrec, alice: Person, keys_dir: Path
) -> None:
    add_many(repo, 300)
    before = plaintexts(repo, alice)
    public = ssh_keygen(keys_dir / "id_ed25519", "ed25519")
    assert repo("members", "add", "carol", "--name", "Carol Member", "--key", public).exit_code == 0
    carol = Person("carol", "Carol Member", keys_dir / "id_ed25519", public)
    assert plaintexts(repo, carol) == before
    first = sorted(before)[0]
    assert age_decrypt(repo.root / "records" / first, carol.identity) == before[first]


def test_a_member_with_a_laptop_and_a_backup_key(
    repo: Cocrec, alice: Person, keys_dir: Path
) -> None:
    rid = repo.add(record())
    laptop = make_person(keys_dir, "carol", "Carol Member", kind="x25519")
    backup = ssh_keygen(keys_dir / "id_backup", "ed25519")
    added = repo(
        "members", "add", "carol", "--name", "Carol Member", "--key", laptop.public, "--key", backup
    )
    assert added.exit_code == 0, added.output
    assert "to 3 member(s), 4 key(s)" in added.stdout
    path = repo.root / f"records/{rid}.yaml.age"
    assert sorted(crypto.header_stanzas(path.read_bytes())) == [
        "X25519",
        "ssh-ed25519",
        "ssh-ed25519",
        "ssh-ed25519",
    ]
    text = plaintexts(repo, alice)[path.name]
    assert age_decrypt(path, laptop.identity) == text
    assert age_decrypt(path, keys_dir / "id_backup") == text
    assert repo.as_(laptop)("show", rid, "--as-of", AS_OF).exit_code == 0
    assert repo("show", rid, "--as-of", AS_OF, identity=keys_dir / "id_backup").exit_code == 0


@pytest.fixture
def dana(keys_dir: Path) -> Person:
    """A member whose identity file (an ssh-ed25519 key, so she also signs) is protected with a passphrase by the real `age -p`."""
    secret, public = crypto.generate_identity("ssh-ed25519")
    (keys_dir / "dana-plain.txt").write_text(secret)
    protected = keys_dir / "dana.age"
    age_on_terminal(
        ["age", "-p", "-a", "-o", str(protected), str(keys_dir / "dana-plain.txt")], PASSPHRASE
    )
    (keys_dir / "dana-plain.txt").unlink()
    return Person("dana", "Dana Member", protected, public)


def test_a_passphrase_is_asked_once_per_command_however_many_records(
    repo: Cocrec, dana: Person, carol: Person, alice: Person
) -> None:
    add_many(repo, 120)  # enough for the process pool: workers get the unlocked key, never ask
    assert repo("members", "add", "dana", "--name", dana.name, "--key", dana.public).exit_code == 0
    hand_edit_members(repo, add=carol)
    assert repo("adopt", "--yes").exit_code == 0
    asked: list[str] = []

    def ask(path: str) -> str:
        asked.append(path)
        return PASSPHRASE

    def as_dana() -> Context:
        return Context(
            repo_flag=str(repo.root), identity_flags=(str(dana.identity),), passphrase=ask
        )

    assert rekey.run(as_dana(), False) == 0
    assert asked == [str(dana.identity)]
    assert check.run(as_dana(), dt.date(2026, 6, 1), False, "json") in (
        0,
        1,
    )  # open cases may be stale: not the point
    assert asked == [str(dana.identity)] * 2
    assert plaintexts(repo, carol) == plaintexts(repo, alice)


def test_a_passphrase_read_from_stdin_once_serves_a_whole_rekey(
    repo: Cocrec, dana: Person, carol: Person, alice: Person
) -> None:
    add_many(repo, 120)
    assert repo("members", "add", "dana", "--name", dana.name, "--key", dana.public).exit_code == 0
    hand_edit_members(repo, add=carol)
    assert repo("adopt", "--yes").exit_code == 0
    before = plaintexts(repo, alice)
    run = subprocess.run(
        [sys.executable, "-m", "cocrec", "-C", str(repo.root), "-i", str(dana.identity), "rekey"],
        input=f"{PASSPHRASE}\n".encode(),  # one line: a second question would read nothing and fail
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert plaintexts(repo, carol) == before
