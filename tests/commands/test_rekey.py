from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from cocrec import crypto, yaml_io
from cocrec.repo import Repo

from ..conftest import AS_OF, Cocrec, Person, add_many, make_person, outcome, record


def never_asked(path: str) -> str:
    raise AssertionError(f"asked for a passphrase for {path}")


def plaintexts(repo: Cocrec, person: Person) -> dict[str, bytes]:
    """Every record decrypted with one member's identity (raises if any does not open)."""
    identities = crypto.load_identities([person.identity], never_asked)
    return {
        p.name: crypto.decrypt(p.read_bytes(), identities, p.name)
        for p in sorted((repo.root / "records").glob("*.yaml.age"))
    }


def hand_edit_members(repo: Cocrec, add: Person | None = None, drop: str | None = None) -> None:
    """What a chair might do in an editor: change members.yaml and nothing else."""
    path = repo.root / "members.yaml"
    doc = yaml_io.loads(path.read_bytes(), "members.yaml")
    if add is not None:
        doc["members"].append(
            {"id": add.id, "name": add.name, "keys": [add.public], "since": "2026-09-01"}
        )
    if drop is not None:
        doc["members"] = [m for m in doc["members"] if m["id"] != drop]
    path.write_text(yaml_io.dumps(doc))


def age_encrypt(plaintext: bytes, *keys: str) -> bytes:
    """A record file made by the reference age tool rather than cocrec."""
    args = [arg for key in keys for arg in ("-r", key)]
    return subprocess.run(
        ["age", "-e", "-a", *args], input=plaintext, capture_output=True, check=True
    ).stdout


def git(repo: Cocrec, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo.root, capture_output=True, text=True, check=True
    ).stdout


def commit_all(repo: Cocrec) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "records")


def test_hand_edited_members_fail_the_check_until_adopted_and_rekeyed(
    repo: Cocrec, alice: Person, carol: Person
) -> None:
    add_many(repo, 300)
    before = plaintexts(repo, alice)
    assert repo("rekey", "--check").exit_code == 0
    hand_edit_members(repo, add=carol)
    unsigned = repo("rekey", "--check")
    assert unsigned.exit_code == 1
    assert unsigned.stdout.startswith("members.yaml: changed since a member signed it")
    refused = repo("rekey")  # nobody signed carol in: nothing is encrypted to her key
    assert (
        refused.exit_code == 4
        and "members.yaml: changed since a member signed it" in refused.stderr
    )
    assert plaintexts(repo, alice) == before
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output
    assert "key added for carol: ssh-ed25519 SHA256:" in adopted.stdout
    stale = repo("rekey", "--check")
    assert stale.exit_code == 1
    assert stale.stdout.count("yaml.age: not encrypted to the current members") == 300
    assert (
        "300 of 300 record(s) are not encrypted to the current members: run `cocrec rekey`"
        in stale.stdout
    )
    assert "example.org" not in stale.stdout and "Person" not in stale.stdout
    done = repo("rekey")
    assert done.exit_code == 0, done.output
    assert "Re-encrypted 300 of 300 record(s) to 3 member(s), 3 key(s)" in done.stdout
    assert repo("rekey", "--check").exit_code == 0
    assert plaintexts(repo, carol) == plaintexts(repo, alice) == before
    checked = repo(
        "check", "--as-of", AS_OF
    ).stdout  # open cases are stale by then; nothing else may fail
    assert "index" not in checked and "rekey" not in checked and "300 record(s) checked" in checked
    assert not list((repo.root / "records").glob(".*"))


def test_rekey_rewrites_exactly_the_stale_records(repo: Cocrec, alice: Person, bob: Person) -> None:
    ids = [
        repo.add(record(reported_on=f"2026-0{n}-01", outcome=outcome("resolved")))
        for n in range(1, 5)
    ]
    commit_all(repo)
    before = plaintexts(repo, alice)
    changed = repo.root / f"records/{ids[1]}.yaml.age"
    changed.write_bytes(
        age_encrypt(before[changed.name], alice.public, bob.public)
    )  # same text, other bytes
    added = repo.root / "records/2026-zzzz.yaml.age"
    added.write_bytes(
        age_encrypt(
            before[changed.name].replace(ids[1].encode(), b"2026-zzzz"), alice.public, bob.public
        )
    )
    report = repo("rekey", "--check")
    assert report.exit_code == 1
    assert report.stdout.splitlines()[:2] == [
        f"records/{ids[1]}.yaml.age: changed since a member signed its index entry: restore it from git, or a member reviews it with `cocrec adopt`",
        "records/2026-zzzz.yaml.age: not in records/index.yaml, so signed by no member: if a member made it, a member reviews it with `cocrec adopt`",
    ]
    assert (
        repo("rekey").exit_code == 4
    )  # a rekey signs what it writes: it will not sign files nobody reviewed
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output
    assert (
        f"records/{ids[1]}.yaml.age (record {ids[1]})" in adopted.stdout
        and "records/2026-zzzz.yaml.age (record 2026-zzzz)" in adopted.stdout
    )
    result = repo("rekey")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 of 5 record(s)" in result.stdout
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == sorted(
        [f" M records/{ids[1]}.yaml.age", "?? records/2026-zzzz.yaml.age", " M records/index.yaml"]
    )
    after = plaintexts(repo, bob)
    assert {k: v for k, v in after.items() if k != added.name} == before
    assert repo("rekey", "--check").exit_code == 0
    assert repo("check", "--as-of", AS_OF).exit_code == 0, repo("check", "--as-of", AS_OF).output


def test_nothing_stale_changes_nothing(repo: Cocrec) -> None:
    repo.add(record())
    before = repo.files()
    result = repo("rekey")
    assert result.exit_code == 0
    assert (
        result.stdout.strip()
        == "All 1 record(s) are encrypted to the current members: nothing to re-encrypt"
    )
    assert repo.files() == before


def test_a_removed_index_is_rebuilt_from_the_last_commit_keeping_recipients(repo: Cocrec) -> None:
    rid = repo.add(record(outcome=outcome("flagged")))
    commit_all(repo)
    (repo.root / "records/index.yaml").unlink()
    checked = repo("rekey", "--check").stdout
    assert f"{rid}" not in checked and checked.startswith(
        "All 1 record(s)"
    )  # the committed entry vouches for it and its recipients
    assert (
        "records/index.yaml: missing: run `cocrec index`"
        in repo("check", "--no-decrypt", "--as-of", AS_OF).stdout
    )
    files = repo.files()
    assert repo("index").exit_code == 0
    assert {
        k: v for k, v in repo.files().items() if k != "records/index.yaml"
    } == files  # nothing re-encrypted
    assert repo("rekey", "--check").exit_code == 0
    assert repo("check", "--as-of", AS_OF).exit_code == 0


def test_an_identity_that_cannot_open_a_stale_record_changes_nothing(
    repo: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    ids = [repo.add(record(reported_on=f"2026-0{n}-01")) for n in range(1, 4)]
    secret = repo.root / f"records/{ids[2]}.yaml.age"
    secret.write_bytes(
        age_encrypt(plaintexts(repo, alice)[secret.name], bob.public)
    )  # bob alone can open it
    assert (
        repo.as_(bob)("adopt", "--yes").exit_code == 0
    )  # the index now knows this file, but not whom it is for
    hand_edit_members(repo, add=carol)
    assert repo.as_(bob)("adopt", "--yes").exit_code == 0
    before = repo.files()
    result = repo("rekey")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"cocrec: records/{ids[2]}.yaml.age: not encrypted to your identity: ask a member to run `cocrec rekey`",
        "cocrec: 1 record(s) listed above cannot be opened with your identity: nothing was changed; "
        "a member who can open them must run `cocrec rekey`",
    ]
    assert repo.files() == before
    assert repo.as_(bob)("rekey").exit_code == 0
    assert plaintexts(repo, carol) == plaintexts(repo, alice)


def test_an_identity_that_cannot_open_a_changed_record_changes_nothing(
    repo: Cocrec, alice: Person, bob: Person
) -> None:
    ids = [repo.add(record(reported_on=f"2026-0{n}-01")) for n in range(1, 4)]
    secret = repo.root / f"records/{ids[0]}.yaml.age"
    secret.write_bytes(age_encrypt(plaintexts(repo, alice)[secret.name], bob.public))
    assert repo.as_(bob)("adopt", "--yes").exit_code == 0
    before = repo.files()
    result = repo("rekey")
    assert result.exit_code == 3
    assert f"records/{ids[0]}.yaml.age: not encrypted to your identity" in result.stderr
    assert repo.files() == before


def test_a_corrupt_record_is_listed_and_nothing_changes(repo: Cocrec) -> None:
    repo.add(record())
    (repo.root / "records/2026-abcd.yaml.age").write_bytes(
        b"-----BEGIN AGE ENCRYPTED FILE-----\ngarbage\n"
    )
    assert "records/2026-abcd.yaml.age: not a valid age file" in repo("rekey", "--check").stdout
    before = repo.files()
    result = repo("rekey")
    assert result.exit_code == 3
    assert "records/2026-abcd.yaml.age: not a valid age file" in result.stderr
    assert repo.files() == before


def test_a_non_member_cannot_rekey(repo: Cocrec, carol: Person, keys_dir: Path) -> None:
    repo.add(record())
    hand_edit_members(repo, add=make_person(keys_dir, "dave", "Dave Member"))
    assert repo("adopt", "--yes").exit_code == 0
    before = repo.files()
    result = repo.as_(carol)("rekey")
    assert result.exit_code == 3
    assert "your identity holds none of the members' keys" in result.stderr
    assert repo.files() == before


def test_a_second_writer_is_refused(repo: Cocrec, carol: Person) -> None:
    repo.add(record())
    hand_edit_members(repo, add=carol)
    before = repo.files()
    with Repo(repo.root).lock():
        result = repo("rekey")
    assert result.exit_code == 4
    assert "another cocrec command is writing to this repository" in result.stderr
    assert repo.files() == before


def test_rekey_lets_git_pack_what_it_rewrote(repo: Cocrec, carol: Person, tmp_path: Path) -> None:
    repo.add(record())
    commit_all(repo)
    hand_edit_members(repo, add=carol)
    assert repo("adopt", "--yes").exit_code == 0
    trace = tmp_path / "git-trace.txt"
    assert repo("rekey", env={"GIT_TRACE": str(trace)}).exit_code == 0
    assert "gc --auto" in trace.read_text()


def test_an_index_of_thousands_of_records_over_1_mib_is_read(repo: Cocrec, carol: Person) -> None:
    from cocrec import index

    repo.add(record())
    path = repo.root / "records/index.yaml"
    idx = index.Index.parse(path.read_bytes(), "records/index.yaml")
    (entry,) = idx.entries.values()
    many = {
        f"2019-{n:04d}": replace(entry, id=f"2019-{n:04d}") for n in range(6000)
    }  # ~500 bytes each
    path.write_text(index.render(idx.recipients, {**idx.entries, **many}))
    assert path.stat().st_size > 1 << 20
    result = repo("rekey", "--check")
    assert (
        "records/index.yaml: lists 2019-5999 but there is no such record file" not in result.stdout
    )  # read, not refused
    # read and verified: the copied entries have no file and no signature of theirs, so each is a removal nobody signed
    assert (
        "records/2019-5999.yaml.age: its file is gone and its index entry's signature fails to verify"
        in result.stdout + result.stderr
    )


def test_a_key_swapped_by_hand_is_found_through_the_index(
    repo: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    ids = [repo.add(record(reported_on=f"2026-0{n}-01")) for n in (1, 2)]
    before = plaintexts(repo, alice)
    hand_edit_members(repo, add=carol, drop="bob")  # as many keys as before: only the key tags tell
    assert repo("adopt", "--yes").exit_code == 0
    assert (
        repo("rekey", "--check").stdout.count("yaml.age: not encrypted to the current members") == 2
    )
    assert "Re-encrypted 2 of 2 record(s)" in repo("rekey").stdout
    assert plaintexts(repo, carol) == before
    bob_keys = crypto.load_identities([bob.identity], never_asked)
    for rid in ids:
        path = repo.root / f"records/{rid}.yaml.age"
        assert bob.public not in path.read_text()
        try:
            crypto.decrypt(path.read_bytes(), bob_keys, rid)
        except Exception:
            continue
        raise AssertionError("bob still opens it")
