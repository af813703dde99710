"""Signed changes as members live them: the trust root, `adopt`, no silent recipients, merges, purges,
and signatures anyone can check with the stock `ssh-keygen -Y verify` (SPEC section 10)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cocrec import yaml_io

from .conftest import AS_OF, Cocrec, Person, make_person, outcome, record


def git(root: Path, *args: str, identity: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COCREC_IDENTITY": str(identity) if identity else "/nonexistent",
        "COCREC_ALLOW_UNCHECKED_COMMIT": "1",
    }
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)


def test_every_signature_cocrec_makes_verifies_with_ssh_keygen(
    repo: Cocrec, tmp_path: Path
) -> None:
    rid = repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    out = tmp_path / "sigs"
    exported = repo("trust", "export", str(out))
    assert exported.exit_code == 0, exported.output
    names = ["members-0", "members-1", "policy", f"record-{rid}"]
    for name in names:
        who = "alice"
        with open(out / f"{name}.msg", "rb") as message:
            done = subprocess.run(
                [
                    "ssh-keygen",
                    "-Y",
                    "verify",
                    "-f",
                    str(out / "allowed_signers"),
                    "-n",
                    "cocrec",
                    "-I",
                    who,
                    "-s",
                    str(out / f"{name}.msg.sig"),
                ],
                stdin=message,
                capture_output=True,
                text=True,
            )
        assert done.returncode == 0, (name, done.stderr)
        assert 'Good "cocrec" signature for alice' in done.stdout
    tampered = out / f"record-{rid}.msg"
    tampered.write_bytes(tampered.read_bytes().replace(b'"held":false', b'"held":true'))
    with open(tampered, "rb") as message:
        bad = subprocess.run(
            [
                "ssh-keygen",
                "-Y",
                "verify",
                "-f",
                str(out / "allowed_signers"),
                "-n",
                "cocrec",
                "-I",
                "alice",
                "-s",
                str(out / f"record-{rid}.msg.sig"),
            ],
            stdin=message,
            capture_output=True,
        )
    assert bad.returncode != 0


def test_the_first_member_signs_for_themselves_and_later_ones_are_signed_in_by_a_member(
    tmp_path: Path, alice: Person, bob: Person
) -> None:
    root = tmp_path / "committee"
    assert Cocrec(tmp_path, None)("init", str(root)).exit_code == 0
    as_bob = Cocrec(root, bob.identity)
    refused = as_bob("members", "add", "alice", "--name", alice.name, "--key", alice.public)
    assert refused.exit_code == 4 and "the first member signs for themselves" in refused.stderr
    assert not (root / "trust.yaml").exists()
    as_alice = Cocrec(root, alice.identity)
    first = as_alice("members", "add", "alice", "--name", alice.name, "--key", alice.public)
    assert (
        first.exit_code == 0
        and "pinned this clone's trust root: the repository's first member, alice" in first.stderr
    )
    assert as_alice("members", "add", "bob", "--name", bob.name, "--key", bob.public).exit_code == 0
    shown = as_alice("trust", "show").stdout
    assert "membership entries: 2" in shown and "bob: ssh-ed25519 SHA256:" in shown


def test_a_reader_with_only_an_age_key_is_told_how_to_get_a_signing_key(
    repo: Cocrec, keys_dir: Path
) -> None:
    dora = make_person(keys_dir, "dora", "Dora Reader", kind="x25519")
    assert repo("members", "add", "dora", "--name", dora.name, "--key", dora.public).exit_code == 0
    rid = repo.add(record())
    as_dora = repo.as_(dora)
    assert as_dora("show", rid, "--as-of", AS_OF).exit_code == 0  # she reads
    refused = as_dora("new", "--from", "-", input=yaml_io.dumps(record(reported_on="2026-06-05")))
    assert refused.exit_code == 4
    assert (
        "dora: your keys are all age X25519 keys, which decrypt but cannot sign" in refused.stderr
    )
    assert "cocrec keygen" in refused.stderr and "cocrec adopt" in refused.stderr


def test_keys_this_clone_has_not_accepted_are_listed_and_need_consent(
    repo: Cocrec, alice: Person, keys_dir: Path, tmp_path: Path
) -> None:
    rid = repo.add(record())
    git(repo.root, "add", "-A")
    assert git(repo.root, "commit", "-qm", "Start", "--no-verify").returncode == 0
    # bob, on his own clone, adds dan (consent: the key is on his command line), and pushes
    clone = tmp_path / "bobs-clone"
    assert subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)]).returncode == 0
    bobs = Cocrec(clone, keys_dir / "bob.txt")
    assert bobs("setup").exit_code == 0
    dan = make_person(keys_dir, "dan", "Dan Member")
    assert bobs("members", "add", "dan", "--name", dan.name, "--key", dan.public).exit_code == 0
    git(clone, "add", "-A")
    assert git(clone, "commit", "-qm", "Dan joins", "--no-verify").returncode == 0
    assert git(repo.root, "pull", "-q", "--no-rebase", str(clone), "HEAD").returncode == 0
    # alice's clone has never seen dan's key: her next write lists it and asks first
    before = repo.files()
    asked = repo("new", "--from", "-", input=yaml_io.dumps(record(reported_on="2026-06-05")))
    assert asked.exit_code == 2
    assert "key added for dan: ssh-ed25519 SHA256:" in asked.stderr and "--yes" in asked.stderr
    assert repo.files() == before
    assert (
        repo(
            "new", "--from", "-", "--yes", input=yaml_io.dumps(record(reported_on="2026-06-05"))
        ).exit_code
        == 0
    )
    assert (
        repo("new", "--from", "-", input=yaml_io.dumps(record(reported_on="2026-06-06"))).exit_code
        == 0
    )  # accepted now: no question
    assert rid


def test_adopt_shows_a_hand_edited_members_file_with_fingerprints_and_signs_it(
    repo: Cocrec, keys_dir: Path
) -> None:
    repo.add(record())
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "Start", "--no-verify")
    eve = make_person(keys_dir, "eve", "Eve Member")
    members = repo.root / "members.yaml"
    doc = yaml_io.loads(members.read_bytes(), "members.yaml")
    doc["members"].append(
        {"id": "eve", "name": eve.name, "keys": [eve.public], "since": "2026-11-01"}
    )
    members.write_text(yaml_io.dumps(doc))
    asked = repo("adopt")  # no terminal: it lists, then needs --yes
    assert asked.exit_code == 2 and "nothing was signed" in asked.stderr
    assert "key added for eve: ssh-ed25519 SHA256:" in asked.stdout and "+- id: eve" in asked.stdout
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0 and "Signed as alice: members.yaml" in adopted.stdout
    assert (
        repo("check", "--no-decrypt", "--as-of", "2026-07-01").exit_code == 1
    )  # signed, but the records are not for eve yet
    assert repo("rekey").exit_code == 0
    final = Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", "2026-07-01")
    assert final.exit_code == 0, final.output
    assert (
        repo("adopt").stdout.strip() == "Nothing to adopt: everything is signed by current members"
    )


def test_a_change_of_members_is_signed_by_a_member_of_the_set_before_it(
    repo: Cocrec, keys_dir: Path
) -> None:
    """A newcomer cannot adopt their own addition: only someone already a member can."""
    fay = make_person(keys_dir, "fay", "Fay Newcomer")
    members = repo.root / "members.yaml"
    doc = yaml_io.loads(members.read_bytes(), "members.yaml")
    doc["members"].append({"id": "fay", "name": fay.name, "keys": [fay.public]})
    members.write_text(yaml_io.dumps(doc))
    refused = repo.as_(fay)("adopt", "--yes")
    assert refused.exit_code == 4 and "signed by a member of the set before it" in refused.stderr


def branch_with(
    root: Path, person: Person, name: str, doc: dict[str, object], base: str = "main"
) -> str:
    assert git(root, "checkout", "-q", "-b", name, base).returncode == 0
    result = Cocrec(root, person.identity)("new", "--from", "-", input=yaml_io.dumps(doc))
    assert result.exit_code == 0, result.output
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", f"Add {result.stdout.strip()}", "--no-verify").returncode == 0
    return result.stdout.strip()


@pytest.fixture
def main_branch(repo: Cocrec) -> Cocrec:
    git(repo.root, "add", "-A")
    assert git(repo.root, "commit", "-qm", "Start", "--no-verify").returncode == 0
    git(repo.root, "branch", "-M", "main")
    return repo


def test_a_merge_of_two_branches_that_added_records_passes_ci_with_no_further_command(
    main_branch: Cocrec, alice: Person, bob: Person
) -> None:
    repo = main_branch
    one = branch_with(repo.root, alice, "one", record(outcome=outcome("resolved")))
    two = branch_with(
        repo.root,
        bob,
        "two",
        record(
            reported_on="2026-08-01",
            subjects=[{"name": "Alex Example", "emails": ["alex@example.org"]}],
        ),
    )
    merged = git(repo.root, "merge", "-q", "--no-edit", "one", identity=alice.identity)
    assert merged.returncode == 0, merged.stderr
    checked = Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", "2026-08-02")
    assert checked.exit_code == 0, checked.output
    assert {one, two} <= set(
        yaml_io.loads((repo.root / "records/index.yaml").read_bytes(), "i")["records"]
    )


def test_a_merge_made_as_a_git_host_would_make_it_needs_at_most_cocrec_index(
    main_branch: Cocrec, alice: Person, bob: Person, tmp_path: Path
) -> None:
    """A web merge is a plain text merge: no cocrec merge driver, no hooks."""
    repo = main_branch
    branch_with(repo.root, alice, "one", record(id="2026-0aaa", outcome=outcome("resolved")))
    branch_with(
        repo.root,
        bob,
        "two",
        record(
            id="2026-zzzz",
            reported_on="2026-08-01",
            subjects=[{"name": "Alex Example", "emails": ["alex@example.org"]}],
        ),
    )
    host = tmp_path / "host"
    assert (
        subprocess.run(
            ["git", "clone", "-q", "--no-checkout", str(repo.root), str(host)]
        ).returncode
        == 0
    )
    git(host, "checkout", "-q", "two")
    merged = git(host, "-c", "core.hooksPath=/dev/null", "merge", "-q", "--no-edit", "origin/one")
    if (
        merged.returncode != 0
    ):  # the text merge conflicted in the index: the host's editor keeps both sides
        text = (host / "records/index.yaml").read_text()
        assert "<<<<<<<" in text
        git(
            host, "checkout", "--theirs", "records/index.yaml"
        )  # a resolution that drops one side's entry
        git(host, "add", "-A")
        assert git(host, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "Merge").returncode == 0
    git(repo.root, "checkout", "-q", "main")
    assert git(repo.root, "pull", "-q", "--no-rebase", str(host), "two").returncode == 0
    checked = Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", "2026-08-02")
    if checked.exit_code != 0:
        assert "cocrec index" in checked.stdout, checked.stdout
        assert repo("index").exit_code == 0  # the one documented command
    assert Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", "2026-08-02").exit_code == 0


def test_history_purge_keeps_the_repository_verifiable(repo: Cocrec) -> None:
    rid = repo.add(record(reported_on="2024-01-01", outcome=outcome("resolved", "2024-02-01")))
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "Start", "--no-verify")
    assert repo("expunge", rid, "--as-of", AS_OF, "--yes").exit_code == 0
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", f"Expunge {rid}", "--no-verify")
    purged = repo("history", "purge", "--yes")
    assert purged.exit_code == 0, purged.output
    assert Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", AS_OF).exit_code == 0
    assert repo("check", "--as-of", AS_OF).exit_code == 0


def test_a_new_members_first_clone_pins_the_root_and_works(
    repo: Cocrec, tmp_path: Path, keys_dir: Path
) -> None:
    gus = make_person(keys_dir, "gus", "Gus Member")
    assert repo("members", "add", "gus", "--name", gus.name, "--key", gus.public).exit_code == 0
    rid = repo.add(record())
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "Start", "--no-verify")
    clone = tmp_path / "gus-clone"
    assert subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)]).returncode == 0
    as_gus = Cocrec(clone, gus.identity)
    shown = as_gus("show", rid, "--as-of", AS_OF)
    assert shown.exit_code == 0 and "pinned this clone's trust root" in shown.stderr
    assert (
        as_gus(
            "new", "--from", "-", input=yaml_io.dumps(record(reported_on="2026-06-05"))
        ).exit_code
        == 0
    )
    assert as_gus("check", "--as-of", AS_OF).exit_code in (0, 1)
    assert "pinned" not in as_gus("list").stderr  # once
