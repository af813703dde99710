"""Red team for SPEC section 10: someone with push access and no current member's key (a former member
who kept their old key, an org admin, a bot token) against every file cocrec reads from the repository.

Each test asserts the safe behaviour: the attack is refused or reported with a clear line. test_attacks.py
holds the attacks of the issue itself; these are the ones found around them. A test marked xfail is a
finding not fixed here (its reason says what a fix would be)."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from cocrec import index, keys, trust, yaml_io

from .conftest import AS_OF, Cocrec, Person, make_person, outcome, record
from .test_attacks import age_encrypt, ci, commit_all, git, mallory  # noqa: F401  (mallory: a fixture)


def show(repo: Cocrec, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo.root), "show", f"{rev}:{path}"], capture_output=True, check=True).stdout


def current_index(repo: Cocrec) -> index.Index:
    return index.Index.parse((repo.root / "records/index.yaml").read_bytes(), "index")


def write_index(repo: Cocrec, recipients: str, entries: dict[str, index.Entry]) -> None:
    (repo.root / "records/index.yaml").write_text(index.render(recipients, entries))


def signing_key(person: Person) -> keys.SigningKey:
    key = keys.private_key(person.identity.read_text())
    assert key is not None
    return key


def forged_ban(repo: Cocrec, like: index.Entry, root: str, signer: Person, *recipients: str) -> str:
    """A ban of an invented victim, encrypted with the `age` CLI, its entry signed by `signer`."""
    doc = record(id="2026-fake", subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
                 outcome=outcome("banned", "2026-07-01", ban={"permanent": True}))
    path = repo.root / "records/2026-fake.yaml.age"
    path.write_bytes(age_encrypt(yaml_io.dumps(doc).encode(), *recipients))
    entries = dict(current_index(repo).entries)
    entry = replace(like, id="2026-fake", sha256=hashlib.sha256(path.read_bytes()).hexdigest(), version=1, sig="")
    entries["2026-fake"] = trust.sign_entry(entry, root, signing_key(signer))
    write_index(repo, current_index(repo).recipients, entries)
    return "2026-fake"


@pytest.fixture
def committed(repo: Cocrec) -> dict[str, str]:
    ids = {
        "flagged": repo.add(record(outcome=outcome("flagged", "2026-07-01"))),
        "open": repo.add(record(reported_on="2027-01-10", subjects=[{"name": "Open Case", "emails": ["open@example.org"]}])),
    }
    commit_all(repo)
    return ids


@pytest.fixture
def bob_left(repo: Cocrec, committed: dict[str, str]) -> dict[str, str]:
    """bob was removed (every record re-encrypted without him), and alice's clone has seen that."""
    assert repo("members", "remove", "bob", "--on", "2026-10-01").exit_code == 0
    commit_all(repo, "Bob leaves")
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert checked.exit_code == 0, checked.output
    return committed


# -- the membership log --------------------------------------------------------------------------------


def fork_back_in(repo: Cocrec, bob: Person) -> None:
    """bob, removed, forks the membership log where he was still a member and signs himself back in: his
    entry replaces the one that removed him, so the log is as long as before. He puts back the records as
    they were before he left (encrypted to him too), each entry re-signed by him with a newer version."""
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    root = tf.root
    assert root is not None
    kept = tf.log[:-1]
    last = kept[-1]
    old_members = show(repo, "HEAD~1", "members.yaml")
    entry = trust.LogEntry(seq=len(kept), by="bob", keys=last.keys, members_sha256=index.sha256(old_members),
                           prev=last.digest(root if last.seq else None))
    forked = trust.TrustFile((*kept, trust.sign_log(entry, root, signing_key(bob))), tf.policy)
    (repo.root / "trust.yaml").write_bytes(forked.render())
    (repo.root / "members.yaml").write_bytes(old_members)
    before = index.Index.parse(show(repo, "HEAD~1", "records/index.yaml"), "old index")
    now = current_index(repo)
    entries = {}
    for rid, old in before.entries.items():
        (repo.root / f"records/{rid}.yaml.age").write_bytes(show(repo, "HEAD~1", f"records/{rid}.yaml.age"))
        entries[rid] = trust.sign_entry(replace(old, version=now.entries[rid].version + 1, sig=""), root, signing_key(bob))
    write_index(repo, before.recipients, entries)


def test_a_removed_member_cannot_fork_the_membership_log_to_sign_themselves_back_in(repo: Cocrec, bob_left: dict[str, str], alice: Person, bob: Person) -> None:
    fork_back_in(repo, bob)
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None
    forged_ban(repo, current_index(repo).entries[bob_left["flagged"]], tf.root, bob, alice.public, bob.public)
    commit_all(repo, "Update")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith("trust.yaml: its membership history is not the one commit") for e in errors), errors
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert checked.exit_code == 1 and "trust.yaml: its membership history is not the one this clone has seen" in checked.stdout
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code != 0 and "Victim" not in looked_up.stdout
    before = repo.files()
    assert repo("rekey", "--yes").exit_code == 4 and repo.files() == before


def test_a_fork_is_caught_in_ci_without_a_pinned_root(repo: Cocrec, bob_left: dict[str, str], bob: Person) -> None:
    """CI has no clone memory and COCREC_TRUST_ROOT may be unset: the parent commit's log must be a prefix."""
    fork_back_in(repo, bob)
    commit_all(repo, "Update")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith("trust.yaml: its membership history is not the one commit") for e in errors), errors


def test_a_removed_member_appending_to_the_log_is_refused(repo: Cocrec, bob_left: dict[str, str], bob: Person, mallory: Person) -> None:  # noqa: F811
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    members = yaml_io.loads((repo.root / "members.yaml").read_bytes(), "members.yaml")
    members["members"].append({"id": "mallory", "name": mallory.name, "keys": [mallory.public], "since": "2026-11-01"})
    data = yaml_io.dumps(members).encode()
    (repo.root / "members.yaml").write_bytes(data)
    keys_after = {**tf.log[-1].keys, "mallory": (trust.normalize(mallory.public),)}
    (repo.root / "trust.yaml").write_bytes(trust.appended(tf, "bob", keys_after, index.sha256(data), signing_key(bob)).render())
    commit_all(repo, "Add a member")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith("trust.yaml: members[") and "not signed by a member's of the set before it" in e for e in errors), errors
    assert repo("rekey", "--yes").exit_code == 4


def test_a_former_members_policy_seal_does_not_count(repo: Cocrec, bob_left: dict[str, str], bob: Person) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(policy.read_text().replace("years_after_decision: 2", "years_after_decision: 20") + "\n# loosened\n")
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None and tf.policy is not None
    seal = trust.sign_policy(trust.PolicySeal(index.sha256(policy.read_bytes()), tf.policy.version + 1, "bob"), tf.root, signing_key(bob))
    (repo.root / "trust.yaml").write_bytes(replace(tf, policy=seal).render())
    commit_all(repo, "Policy")
    code, errors = ci(repo)
    assert code == 1 and "cocrec.yaml: its signature is not a current member's: if the change is the committee's, a member reviews and signs it with `cocrec adopt`" in errors
    due = repo("due", "--all", "--as-of", AS_OF)
    assert due.exit_code != 0 and "cocrec.yaml" in due.stderr
