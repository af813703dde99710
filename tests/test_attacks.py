"""Someone with push access but no member's key attacks the repository, with the `age` CLI, git and a text
editor (issue "Trust", SPEC section 10). Each attack fails CI (`check --no-decrypt`, exit 1), and a
member's cocrec refuses it before it encrypts or answers a look-up."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cocrec import crypto, yaml_io

from .conftest import AS_OF, Cocrec, Person, make_person, outcome, record


def age_encrypt(plaintext: bytes, *keys: str) -> bytes:
    args = [arg for key in keys for arg in ("-r", key)]
    return subprocess.run(
        ["age", "-e", "-a", *args], input=plaintext, capture_output=True, check=True
    ).stdout


def git(
    repo: Cocrec, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo.root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def commit_all(repo: Cocrec, message: str = "records") -> None:
    assert git(repo, "add", "-A").returncode == 0
    done = git(repo, "commit", "-q", "--no-verify", "-m", message)
    assert done.returncode == 0, done.stderr


def ci(repo: Cocrec) -> tuple[int, list[str]]:
    """What the records workflow runs: no key anywhere."""
    result = Cocrec(repo.root, None)("check", "--no-decrypt", "--format", "json", "--as-of", AS_OF)
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data["errors"]


@pytest.fixture
def mallory(keys_dir: Path) -> Person:
    """Push access, no membership: an outsider, a former member, a bot token."""
    return make_person(keys_dir, "mallory", "Mallory Outsider")


@pytest.fixture
def committed(repo: Cocrec) -> dict[str, str]:
    ids = {
        "flagged": repo.add(record(outcome=outcome("flagged", "2026-07-01"))),
        "old": repo.add(
            record(
                reported_on="2024-01-01",
                subjects=[{"name": "Old Case", "emails": ["old@example.org"]}],
                outcome=outcome("resolved", "2024-02-01"),
            )
        ),
    }
    commit_all(repo)
    return ids


def test_a_committed_hook_never_runs_in_a_members_clone(
    repo: Cocrec, committed: dict[str, str], tmp_path: Path
) -> None:
    proof = tmp_path / "hook-ran"
    hooks = repo.root / "hooks"
    hooks.mkdir()
    for name in ("pre-commit", "commit-msg"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {proof}\n")
        (hooks / name).chmod(0o755)
    commit_all(repo, "Update hooks")
    assert repo("setup").exit_code == 0  # even an old clone's core.hooksPath=hooks is dropped
    (repo.root / "notes.txt").write_text("x\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "A note", env={"COCREC_IDENTITY": str(repo.identity)})
    assert not proof.exists()
    assert "exec cocrec hook pre-commit" in (repo.root / ".git/hooks/pre-commit").read_text()


def test_an_old_core_hooks_path_is_warned_about_and_removed_by_setup(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    git(repo, "config", "core.hooksPath", "hooks")
    checked = repo("check", "--as-of", AS_OF)
    assert (
        "warning: git config core.hooksPath: points git at hooks, not this clone's own cocrec hooks: run `cocrec setup`"
        in checked.stdout
    )
    (repo.root / ".git/hooks/commit-msg").unlink()
    assert repo("setup").exit_code == 0
    assert "hooksPath" not in repo("check", "--as-of", AS_OF).stdout
    assert (repo.root / ".git/hooks/commit-msg").is_file()


def test_a_key_added_under_a_member_is_refused_before_anything_is_encrypted_to_it(
    repo: Cocrec, committed: dict[str, str], mallory: Person
) -> None:
    members = repo.root / "members.yaml"
    doc = yaml_io.loads(members.read_bytes(), "members.yaml")
    doc["members"][0]["keys"].append(mallory.public)  # "alice's new laptop"
    members.write_text(yaml_io.dumps(doc))
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("members.yaml: changed since a member signed it") for e in errors
    )
    before = repo.files()
    for command in (["rekey"], ["rekey", "--yes"], ["index"], ["new", "--from", "-"]):
        result = repo(*command, input=yaml_io.dumps(record(reported_on="2026-06-05")))
        assert result.exit_code == 4, (command, result.output)
        assert "members.yaml: changed since a member signed it" in result.stderr
    assert repo.files() == before
    for path in (repo.root / "records").glob("*.age"):
        assert mallory.public.split()[1] not in str(crypto.header_stanzas(path.read_bytes()))


def test_a_forged_record_with_a_fitting_index_entry_is_not_presented_as_fact(
    repo: Cocrec, committed: dict[str, str], alice: Person, bob: Person
) -> None:
    forged = record(
        id="2026-fake",
        subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
        outcome=outcome("banned", "2026-07-01", ban={"permanent": True}),
    )
    path = repo.root / "records/2026-fake.yaml.age"
    path.write_bytes(age_encrypt(yaml_io.dumps(forged).encode(), alice.public, bob.public))
    index = repo.root / "records/index.yaml"
    doc = yaml_io.loads(index.read_bytes(), "index")
    entry = dict(
        doc["records"][committed["flagged"]]
    )  # a real, signed entry, with the forged file's hash
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    doc["records"]["2026-fake"] = entry
    index.write_text(
        "# Generated by cocrec. Do not edit: run `cocrec index`.\n" + yaml_io.dumps(doc)
    )
    commit_all(repo, "Add a record")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("records/2026-fake.yaml.age: its index entry's signature fails to verify")
        for e in errors
    )
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code == 1 and "No flagged or banned person matches" in looked_up.stdout
    assert "records/2026-fake.yaml.age" in looked_up.stderr and "left out" in looked_up.stderr
    csv = repo.root.parent / "attendees.csv"
    csv.write_text("name,email\nVictim Person,victim@example.org\n")
    screened = repo("screen", str(csv), "--as-of", AS_OF)
    assert screened.exit_code == 1 and "victim" not in screened.stdout.lower()
    assert repo("check", "--as-of", AS_OF).exit_code == 1
    shown = repo("show", "2026-fake", "--as-of", AS_OF)
    assert shown.exit_code == 1 and "Victim" not in shown.stdout


def test_an_overdue_record_flipped_to_held_fails_ci(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    index = repo.root / "records/index.yaml"
    old = committed["old"]
    text = index.read_text()
    start = text.index(f"  {old}:\n")
    entry = text[start : text.index("sig:", start)]
    index.write_text(text.replace(entry, entry.replace("held: false", "held: true")))
    commit_all(repo, "Pause")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith(f"records/{old}.yaml.age: its index entry's signature fails to verify")
        for e in errors
    )


def test_an_older_signed_index_put_back_is_a_rollback(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    old = committed["old"]
    assert repo("expunge", old, "--as-of", AS_OF, "--yes").exit_code == 0
    commit_all(repo, f"Expunge {old}")
    git(
        repo, "checkout", "HEAD~1", "--", "records/"
    )  # the record and its entry before the expunge: both signed
    commit_all(repo, "Restore")
    code, errors = ci(repo)
    assert code == 1, errors
    assert any(
        e.startswith(f"records/{old}.yaml.age: is an older version than commit") for e in errors
    ), errors
    refused = repo("index")
    assert refused.exit_code == 4 and "an older version than this clone has seen" in refused.stderr


def test_a_record_re_encrypted_to_all_but_one_member_plus_an_outsider_fails(
    repo: Cocrec, committed: dict[str, str], alice: Person, mallory: Person
) -> None:
    rid = committed["flagged"]
    path = repo.root / f"records/{rid}.yaml.age"
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    path.write_bytes(
        age_encrypt(plaintext, alice.public, mallory.public)
    )  # bob out, mallory in: as many stanzas
    index = repo.root / "records/index.yaml"
    index.write_text(
        index.read_text().replace(
            hashlib.sha256(
                subprocess.run(
                    ["git", "-C", str(repo.root), "show", f"HEAD:records/{rid}.yaml.age"],
                    capture_output=True,
                    check=True,
                ).stdout
            ).hexdigest(),
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
    )
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith(f"records/{rid}.yaml.age: ") for e in errors)
    assert (
        repo("rekey").exit_code == 4
    )  # nothing signs what the outsider made; a member restores it from git


def test_an_ssh_stanza_swapped_for_an_x25519_one_is_seen_without_a_key(
    repo: Cocrec, committed: dict[str, str], alice: Person, keys_dir: Path
) -> None:
    """The stanzas' types and ssh key tags are compared with the members' keys: a swap keeps the count."""
    rid = committed["flagged"]
    path = repo.root / f"records/{rid}.yaml.age"
    outsider = make_person(keys_dir, "xavier", "Xavier Outsider", kind="x25519")
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    swapped = age_encrypt(plaintext, alice.public, outsider.public)
    assert sorted(crypto.header_stanzas(swapped)) == ["X25519", "ssh-ed25519"]
    from cocrec import checks
    from cocrec.repo import Repo
    from cocrec.store import Store

    store = Store(Repo(repo.root), lambda: crypto.Identities([]))
    entry = store.read_index().entries[rid]
    facts = checks.file_facts(swapped, "x")
    assert (
        checks.encryption_state(
            store, dataclasses.replace(entry, sha256=facts[0]), facts[0], facts[1]
        )
        == "stale"
    )


def test_a_former_members_later_change_fails_verification(
    repo: Cocrec, committed: dict[str, str], bob: Person, alice: Person
) -> None:
    assert repo("members", "remove", "bob", "--on", "2026-10-01").exit_code == 0
    commit_all(repo, "Bob leaves")
    as_bob = repo.as_(bob)
    assert as_bob(
        "new", "--from", "-", input=yaml_io.dumps(record(reported_on="2026-06-05"))
    ).exit_code in (3, 4)  # his cocrec says no
    # he signs by hand anyway: an entry made with his key, as cocrec would make it
    from cocrec import index, keys, trust

    rid = committed["flagged"]
    path = repo.root / f"records/{rid}.yaml.age"
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    path.write_bytes(age_encrypt(plaintext.replace(b"flagged", b"resolved"), alice.public))
    text = (repo.root / "records/index.yaml").read_text()
    idx = index.Index.parse(text.encode(), "i")
    root = trust.parse((repo.root / "trust.yaml").read_bytes()).root
    assert root is not None
    signer = keys.private_key(bob.identity.read_text())
    assert signer is not None
    changed = dataclasses.replace(
        idx.entries[rid],
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        version=99,
        sig="",
    )
    entries = {**idx.entries, rid: trust.sign_entry(changed, root, signer)}
    (repo.root / "records/index.yaml").write_text(index.render(idx.recipients, entries))
    commit_all(repo, "Update")
    code, errors = ci(repo)
    assert code == 1
    assert any(
        e.startswith(f"records/{rid}.yaml.age: signed by a key that is no current member's")
        for e in errors
    )


def test_a_replaced_trust_root_is_refused_until_repinned(
    repo: Cocrec, committed: dict[str, str], mallory: Person, tmp_path: Path
) -> None:
    """Someone rewrites the whole membership history with themselves as the first member."""
    other = Cocrec(tmp_path / "other", mallory.identity)
    assert Cocrec(tmp_path, None)("init", str(tmp_path / "other")).exit_code == 0
    assert (
        other(
            "members", "add", "mallory", "--name", mallory.name, "--key", mallory.public
        ).exit_code
        == 0
    )
    for name in ("trust.yaml", "members.yaml", "cocrec.yaml"):
        (repo.root / name).write_bytes((tmp_path / "other" / name).read_bytes())
    refused = repo("status", "--as-of", AS_OF)
    assert refused.exit_code != 0 and "is not the one this clone pinned" in refused.stderr
    assert repo("new", "--from", "-", input=yaml_io.dumps(record())).exit_code == 4
    pinned_ci = Cocrec(repo.root, None)(
        "check", "--no-decrypt", env={"COCREC_TRUST_ROOT": "sha256:" + "0" * 64}
    )
    assert pinned_ci.exit_code == 1 and "not the one this clone pinned" in pinned_ci.stdout
    repinned = repo("setup", "--repin", "--yes")
    assert repinned.exit_code == 0 and "first member, mallory" in repinned.stderr


def test_show_of_a_record_no_member_signed_is_one_line_not_a_crash(
    repo: Cocrec, bob: Person
) -> None:
    repo.add(record())
    other = repo.add(record(summary="Another report.\n"))
    identities = crypto.load_identities([bob.identity], lambda _: "")
    path = (
        repo.root / "records" / f"{other}.yaml.age"
    )  # the same text, encrypted anew outside cocrec: no member signed it
    path.write_bytes(
        crypto.encrypt(
            crypto.decrypt(path.read_bytes(), identities, path.name), [bob.public, repo_key(repo)]
        )
    )
    result = repo("show", other)
    assert result.exit_code == 1, (
        result.output
    )  # a reading command that left out a record no member signed
    assert "internal error" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"cocrec: records/{other}.yaml.age: not shown: it is not as a member signed it (see above)"
    )


def repo_key(repo: Cocrec) -> str:
    doc = yaml_io.loads((repo.root / "members.yaml").read_bytes(), "members.yaml")
    return str(doc["members"][0]["keys"][0])
