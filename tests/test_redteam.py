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
from .test_attacks import age_encrypt, commit_all, git, mallory  # noqa: F401  (mallory: a fixture)


def ci(repo: Cocrec) -> tuple[int, list[str]]:
    """What the records workflow runs: a fresh checkout with the whole history (fetch-depth 0), no clone
    memory, no key, COCREC_TRUST_ROOT unset."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as where:
        checkout = Path(where) / "ci"
        done = subprocess.run(
            ["git", "clone", "-q", f"file://{repo.root}", str(checkout)],
            capture_output=True,
            check=False,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        result = Cocrec(checkout, None)(
            "check", "--no-decrypt", "--format", "json", "--as-of", AS_OF
        )
        if not result.stdout.strip():
            return result.exit_code, [
                line.removeprefix("cocrec: ") for line in result.stderr.splitlines()
            ]
        return result.exit_code, list(json.loads(result.stdout)["errors"])


def show(repo: Cocrec, rev: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo.root), "show", f"{rev}:{path}"], capture_output=True, check=True
    ).stdout


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
    doc = record(
        id="2026-fake",
        subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
        outcome=outcome("banned", "2026-07-01", ban={"permanent": True}),
    )
    path = repo.root / "records/2026-fake.yaml.age"
    path.write_bytes(age_encrypt(yaml_io.dumps(doc).encode(), *recipients))
    entries = dict(current_index(repo).entries)
    entry = replace(
        like,
        id="2026-fake",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        version=1,
        sig="",
    )
    entries["2026-fake"] = trust.sign_entry(entry, root, signing_key(signer))
    write_index(repo, current_index(repo).recipients, entries)
    return "2026-fake"


@pytest.fixture
def committed(repo: Cocrec) -> dict[str, str]:
    ids = {
        "flagged": repo.add(record(outcome=outcome("flagged", "2026-07-01"))),
        "open": repo.add(
            record(
                reported_on="2027-01-10",
                subjects=[{"name": "Open Case", "emails": ["open@example.org"]}],
            )
        ),
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
    entry = trust.LogEntry(
        seq=len(kept),
        by="bob",
        keys=last.keys,
        members_sha256=index.sha256(old_members),
        prev=last.digest(root if last.seq else None),
    )
    forked = trust.TrustFile((*kept, trust.sign_log(entry, root, signing_key(bob))), tf.policy)
    (repo.root / "trust.yaml").write_bytes(forked.render())
    (repo.root / "members.yaml").write_bytes(old_members)
    before = index.Index.parse(show(repo, "HEAD~1", "records/index.yaml"), "old index")
    now = current_index(repo)
    entries = {}
    for rid, old in before.entries.items():
        (repo.root / f"records/{rid}.yaml.age").write_bytes(
            show(repo, "HEAD~1", f"records/{rid}.yaml.age")
        )
        entries[rid] = trust.sign_entry(
            replace(old, version=now.entries[rid].version + 1, sig=""), root, signing_key(bob)
        )
    write_index(repo, before.recipients, entries)


def test_a_removed_member_cannot_fork_the_membership_log_to_sign_themselves_back_in(
    repo: Cocrec, bob_left: dict[str, str], alice: Person, bob: Person
) -> None:
    fork_back_in(repo, bob)
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None
    forged_ban(
        repo,
        current_index(repo).entries[bob_left["flagged"]],
        tf.root,
        bob,
        alice.public,
        bob.public,
    )
    commit_all(repo, "Update")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("trust.yaml: its membership history is not the one commit") for e in errors
    ), errors
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert (
        checked.exit_code == 1
        and "trust.yaml: its membership history is not the one this clone has seen"
        in checked.stdout
    )
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code != 0 and "Victim" not in looked_up.stdout
    before = repo.files()
    assert repo("rekey", "--yes").exit_code == 4 and repo.files() == before


def test_a_fork_is_caught_in_ci_without_a_pinned_root(
    repo: Cocrec, bob_left: dict[str, str], bob: Person
) -> None:
    """CI has no clone memory and COCREC_TRUST_ROOT may be unset: the parent commit's log must be a prefix."""
    fork_back_in(repo, bob)
    commit_all(repo, "Update")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("trust.yaml: its membership history is not the one commit") for e in errors
    ), errors


def test_a_removed_member_appending_to_the_log_is_refused(
    repo: Cocrec,
    bob_left: dict[str, str],
    bob: Person,
    mallory: Person,  # noqa: F811
) -> None:  # noqa: F811
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    members = yaml_io.loads((repo.root / "members.yaml").read_bytes(), "members.yaml")
    members["members"].append(
        {"id": "mallory", "name": mallory.name, "keys": [mallory.public], "since": "2026-11-01"}
    )
    data = yaml_io.dumps(members).encode()
    (repo.root / "members.yaml").write_bytes(data)
    keys_after = {**tf.log[-1].keys, "mallory": (trust.normalize(mallory.public),)}
    (repo.root / "trust.yaml").write_bytes(
        trust.appended(tf, "bob", keys_after, index.sha256(data), signing_key(bob)).render()
    )
    commit_all(repo, "Add a member")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("trust.yaml: members[")
        and "not signed by a member's of the set before it" in e
        for e in errors
    ), errors
    assert repo("rekey", "--yes").exit_code == 4


def test_a_former_members_policy_seal_does_not_count(
    repo: Cocrec, bob_left: dict[str, str], bob: Person
) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text().replace("years_after_decision: 2", "years_after_decision: 20")
        + "\n# loosened\n"
    )
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None and tf.policy is not None
    seal = trust.sign_policy(
        trust.PolicySeal(index.sha256(policy.read_bytes()), tf.policy.version + 1, "bob"),
        tf.root,
        signing_key(bob),
    )
    (repo.root / "trust.yaml").write_bytes(replace(tf, policy=seal).render())
    commit_all(repo, "Policy")
    code, errors = ci(repo)
    assert (
        code == 1
        and "cocrec.yaml: its signature is not a current member's: if the change is the committee's, a member reviews and signs it with `cocrec adopt`"
        in errors
    )
    due = repo("due", "--all", "--as-of", AS_OF)
    assert due.exit_code != 0 and "cocrec.yaml" in due.stderr


# -- the hooks -----------------------------------------------------------------------------------------


def member_commit(
    repo: Cocrec, path: str, text: str, message: str = "Minutes"
) -> subprocess.CompletedProcess[str]:
    """A member's ordinary `git commit`, through the hooks `cocrec setup` installed."""
    assert repo("setup").exit_code == 0
    target = repo.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    assert git(repo, "add", path).returncode == 0
    return git(repo, "commit", "-q", "-m", message, env={"COCREC_IDENTITY": str(repo.identity)})


def adopt_policy(repo: Cocrec, old: str, new: str) -> None:
    policy = repo.root / "cocrec.yaml"
    text = policy.read_text()
    assert old in text
    policy.write_text(text.replace(old, new))
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output
    commit_all(repo, "Policy")


def test_an_unsigned_policy_does_not_loosen_the_pre_commit_hook(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """An attacker lists notes/ as extra and invented (never searched for names); a member then commits notes."""
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text().replace(
            "extra_files:\n  - README.md\n",
            "extra_files:\n  - README.md\n  - notes/**\ninvented_files: [notes/**]\n",
        )
    )
    commit_all(repo, "Keep notes here")
    done = member_commit(
        repo, "notes/minutes.md", "We talked to Jane Doe (jane@example.org) again.\n"
    )
    assert done.returncode != 0, done.stderr
    assert "cocrec.yaml" in done.stderr and "Jane" not in done.stderr
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "Keep notes here"


def test_a_record_made_unauthentic_still_counts_for_the_pre_commit_name_search(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """The leak check searches every record the member can read: an attacker who breaks a record's
    signature (here: flips its entry to held) must not take its people out of the search."""
    adopt_policy(
        repo, "extra_files:\n  - README.md\n", "extra_files:\n  - README.md\n  - docs/**\n"
    )
    text = (repo.root / "records/index.yaml").read_text()
    rid = committed["flagged"]
    start = text.index(f"  {rid}:\n")
    entry = text[start : text.index("sig:", start)]
    (repo.root / "records/index.yaml").write_text(
        text.replace(entry, entry.replace("held: false", "held: true"))
    )
    commit_all(repo, "Hold")
    done = member_commit(repo, "docs/minutes.md", "Follow-up with jane@example.org next week.\n")
    assert done.returncode != 0, done.stderr
    assert f"holds a subject's email of record {rid}" in done.stderr
    assert "jane@" not in done.stderr


def test_a_committed_workspace_file_is_not_sealed_and_signed(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """`git add -f workspace/new-x.yaml`: the member's next `cocrec seal` must not sign the attacker's text."""
    forged = record(
        subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
        outcome=outcome("banned", "2026-07-01", ban={"permanent": True}),
    )
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace/new-x.yaml").write_text(yaml_io.dumps(forged))
    assert git(repo, "add", "-f", "workspace/new-x.yaml").returncode == 0
    assert git(repo, "commit", "-q", "--no-verify", "-m", "Draft").returncode == 0
    before = repo.files()
    sealed = repo("seal", "--as-of", AS_OF)
    assert sealed.exit_code != 0, sealed.output
    assert "workspace" in sealed.stderr
    assert {k: v for k, v in repo.files().items() if not k.startswith("workspace/")} == {
        k: v for k, v in before.items() if not k.startswith("workspace/")
    }
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("workspace/new-x.yaml: plaintext from `cocrec open` must never be committed")
        for e in errors
    ), errors


# -- rollbacks ----------------------------------------------------------------------------------------


def revert_removal_in_two_commits(repo: Cocrec) -> None:
    """`git revert` of the commit that removed bob (trust.yaml, members.yaml and every record as they were),
    then any other commit on top, so that the last commit's parent already holds the old state."""
    done = git(repo, "revert", "--no-edit", "HEAD")
    assert done.returncode == 0, done.stderr
    assert git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", "Tidy").returncode == 0


def test_a_rollback_in_one_commit_fails_ci(repo: Cocrec, bob_left: dict[str, str]) -> None:
    assert git(repo, "revert", "--no-edit", "HEAD").returncode == 0
    code, errors = ci(repo)
    assert (
        code == 1
        and "trust.yaml: has fewer membership entries than commit HEAD~1: someone put back an older trust.yaml; restore it from git"
        not in errors
    )
    assert any(
        e.startswith("trust.yaml: has fewer membership entries than commit") for e in errors
    ), errors


def test_a_rollback_in_two_commits_is_still_refused_by_a_members_clone(
    repo: Cocrec, bob_left: dict[str, str]
) -> None:
    revert_removal_in_two_commits(repo)
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert (
        checked.exit_code == 1
        and "trust.yaml: has fewer membership entries than this clone has seen" in checked.stdout
    )
    assert (
        repo("new", "--from", "-", input=yaml_io.dumps(record(reported_on="2027-01-12"))).exit_code
        == 4
    )


def test_a_rollback_in_two_commits_fails_ci(repo: Cocrec, bob_left: dict[str, str]) -> None:
    revert_removal_in_two_commits(repo)
    code, errors = ci(repo)
    assert code == 1, ("a removed member is current again and CI passes", errors)


def test_a_fresh_clone_after_a_rollback_in_two_commits_does_not_encrypt_to_the_removed_member(
    repo: Cocrec, bob_left: dict[str, str], alice: Person, bob: Person, tmp_path: Path
) -> None:
    revert_removal_in_two_commits(repo)
    fresh = tmp_path / "laptop"
    assert (
        subprocess.run(
            ["git", "clone", "-q", str(repo.root), str(fresh)], capture_output=True, check=False
        ).returncode
        == 0
    )
    laptop = Cocrec(fresh, alice.identity)
    made = laptop(
        "new",
        "--from",
        "-",
        input=yaml_io.dumps(
            record(
                reported_on="2027-01-12",
                subjects=[{"name": "Kim Roe", "emails": ["kim@example.org"]}],
            )
        ),
    )
    if made.exit_code == 0:
        path = fresh / f"records/{made.stdout.strip()}.yaml.age"
        opened = subprocess.run(
            ["age", "-d", "-i", str(bob.identity), str(path)], capture_output=True, check=False
        )
        assert opened.returncode != 0, "the new record opens with the removed member's key"


def test_an_older_policy_put_back_with_its_older_seal_fails_ci_and_the_clone(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """The committee shortened a term (a newer seal); someone puts back the longer one, signed before."""
    adopt_policy(
        repo, "flagged: {reporter: 26, subjects: 26}", "flagged: {reporter: 12, subjects: 12}"
    )
    assert repo("check", "--no-decrypt", "--as-of", AS_OF).exit_code == 0
    assert git(repo, "checkout", "HEAD~1", "--", "cocrec.yaml", "trust.yaml").returncode == 0
    commit_all(repo, "Restore")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("cocrec.yaml: is an older version than commit") for e in errors
    ), errors
    due = repo("due", "--all", "--as-of", AS_OF)
    assert (
        due.exit_code != 0
        and "cocrec.yaml: is an older version than this clone has seen" in due.stderr
    )


def test_a_record_and_its_entry_deleted_fail_ci_and_the_clone(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    rid = committed["flagged"]
    (repo.root / f"records/{rid}.yaml.age").unlink()
    entries = dict(current_index(repo).entries)
    del entries[rid]
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Remove")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith(f"records/{rid}.yaml.age: was removed since commit") for e in errors
    ), errors
    listed = repo("list", "--as-of", AS_OF)
    assert (
        listed.exit_code != 0
        and f"records/{rid}.yaml.age: was removed since this clone has seen" in listed.stderr
    )


# -- signatures moved ----------------------------------------------------------------------------------


def test_a_signed_entry_from_another_committees_repository_does_not_count(
    repo: Cocrec, committed: dict[str, str], alice: Person, tmp_path: Path
) -> None:
    """alice is a member of two committees: her signature in one must not vouch for a file copied into the other."""
    other = Cocrec(tmp_path / "other-committee", alice.identity)
    assert Cocrec(tmp_path, None)("init", str(other.root)).exit_code == 0
    assert (
        other("members", "add", "alice", "--name", alice.name, "--key", alice.public).exit_code == 0
    )
    theirs = other.add(
        record(
            subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
            outcome=outcome("banned", "2026-07-01", ban={"permanent": True}),
        )
    )
    (repo.root / f"records/{theirs}.yaml.age").write_bytes(
        (other.root / f"records/{theirs}.yaml.age").read_bytes()
    )
    entries = {**current_index(repo).entries, theirs: current_index(other).entries[theirs]}
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Add a record")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith(f"records/{theirs}.yaml.age: its index entry's signature fails to verify")
        for e in errors
    ), errors
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code == 1 and "Victim" not in looked_up.stdout


def test_a_signed_record_copied_under_another_id_does_not_count(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """A flag copied as a second record (to double someone's count in stats), file and entry as signed."""
    rid = committed["flagged"]
    (repo.root / "records/2026-dupe.yaml.age").write_bytes(
        (repo.root / f"records/{rid}.yaml.age").read_bytes()
    )
    entries = dict(current_index(repo).entries)
    entries["2026-dupe"] = replace(entries[rid], id="2026-dupe")
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Add a record")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith("records/2026-dupe.yaml.age: ") for e in errors), errors
    stats = repo("stats", "--format", "json", "--as-of", AS_OF)
    assert stats.exit_code == 1 and "records/2026-dupe.yaml.age" in stats.stderr


def test_an_unsigned_tombstone_does_not_hide_a_deleted_record(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    victim = committed["flagged"]
    (repo.root / f"records/{victim}.yaml.age").unlink()
    entries = dict(current_index(repo).entries)
    entries[victim] = replace(index.tombstone(victim), version=entries[victim].version + 1)
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Remove")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith(f"records/{victim}.yaml.age: ") for e in errors), errors
    listed = repo("list", "--as-of", AS_OF)
    assert listed.exit_code != 0 and f"records/{victim}.yaml.age" in listed.stderr


def test_a_tombstone_signed_for_one_id_does_not_remove_another(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """The committee removed a record on purpose (a signed tombstone); its entry is moved onto a record someone wants gone."""
    victim, doomed = committed["flagged"], committed["open"]
    assert git(repo, "rm", "-q", f"records/{doomed}.yaml.age").returncode == 0
    assert repo("adopt", "--yes").exit_code == 0
    commit_all(repo, "Remove a record on purpose")
    tomb = current_index(repo).entries[doomed]
    assert tomb.removed
    (repo.root / f"records/{victim}.yaml.age").unlink()
    entries = dict(current_index(repo).entries)
    entries[victim] = replace(tomb, id=victim)
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Remove")
    code, errors = ci(repo)
    assert code == 1 and any(e.startswith(f"records/{victim}.yaml.age: ") for e in errors), errors


def test_a_symlink_in_records_is_refused(repo: Cocrec, committed: dict[str, str]) -> None:
    """A record file that is a link to a signed one: its bytes hash to the signed entry."""
    rid = committed["flagged"]
    link = repo.root / "records/2026-link.yaml.age"
    link.symlink_to(f"{rid}.yaml.age")
    entries = dict(current_index(repo).entries)
    entries["2026-link"] = replace(entries[rid], id="2026-link")
    write_index(repo, current_index(repo).recipients, entries)
    commit_all(repo, "Link")
    code, errors = ci(repo)
    assert (
        code != 0
        and "records/2026-link.yaml.age: records may not be symlinks; replace it with the file itself"
        in errors
    ), errors
    listed = repo("list", "--as-of", AS_OF)
    assert listed.exit_code != 0 and "2026-link" in listed.stderr


def test_the_records_workflow_edited_to_pass_is_reported(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """The push that hides an overdue expunge also makes CI a no-op."""
    workflow = repo.root / ".github/workflows/records.yml"
    text = workflow.read_text()
    assert "cocrec check --no-decrypt --format json" in text
    workflow.write_text(text.replace("cocrec check --no-decrypt --format json", "true"))
    commit_all(repo, "CI: faster")
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert checked.exit_code == 1 and ".github/workflows/records.yml" in checked.stdout


# -- merges from a branch --------------------------------------------------------------------------------


def attacker_branch(repo: Cocrec, name: str) -> None:
    """Commit what the test changed in the working tree on a new branch, then go back to main."""
    assert git(repo, "checkout", "-q", "-b", name).returncode == 0
    commit_all(repo, "Changes")
    assert git(repo, "checkout", "-q", "main").returncode == 0


@pytest.fixture
def on_main(repo: Cocrec, committed: dict[str, str]) -> dict[str, str]:
    git(repo, "branch", "-M", "main")
    assert repo("setup").exit_code == 0
    assert (
        repo("check", "--no-decrypt", "--as-of", AS_OF).exit_code == 0
    )  # this clone has seen main as it is
    return committed


def test_a_merge_of_a_branch_with_a_forged_record_is_refused_and_never_believed(
    repo: Cocrec, on_main: dict[str, str], alice: Person, bob: Person
) -> None:
    forged_ban(
        repo,
        current_index(repo).entries[on_main["flagged"]],
        "sha256:" + "0" * 64,
        alice,
        alice.public,
        bob.public,
    )  # no member's key: a bad signature
    attacker_branch(repo, "feature")
    member = {"COCREC_IDENTITY": str(alice.identity)}
    merged = git(repo, "merge", "-q", "--no-ff", "--no-edit", "feature", env=member)
    assert merged.returncode != 0 and "records/2026-fake.yaml.age" in merged.stderr, merged.stderr
    assert git(repo, "merge", "--abort").returncode == 0
    assert (
        git(repo, "merge", "-q", "--ff-only", "feature").returncode == 0
    )  # a fast-forward runs no hook at all
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert (
        looked_up.exit_code == 1
        and "Victim" not in looked_up.stdout
        and "records/2026-fake.yaml.age" in looked_up.stderr
    )


def test_a_merge_of_a_branch_that_deleted_a_record_is_refused(
    repo: Cocrec, on_main: dict[str, str], alice: Person
) -> None:
    rid = on_main["flagged"]
    (repo.root / f"records/{rid}.yaml.age").unlink()
    entries = dict(current_index(repo).entries)
    del entries[rid]
    write_index(repo, current_index(repo).recipients, entries)
    attacker_branch(repo, "cleanup")
    # main moves on, so the merge is a real one (the merge driver and the pre-merge-commit hook run)
    repo.add(
        record(
            reported_on="2027-01-12", subjects=[{"name": "Kim Roe", "emails": ["kim@example.org"]}]
        )
    )
    commit_all(repo, "A record")
    merged = git(
        repo, "merge", "-q", "--no-edit", "cleanup", env={"COCREC_IDENTITY": str(alice.identity)}
    )
    assert (
        merged.returncode != 0
        and f"records/{rid}.yaml.age: was removed since HEAD" in merged.stderr
    ), merged.stderr


def test_checking_out_an_attackers_branch_keeps_the_membership_history(
    repo: Cocrec, bob_left: dict[str, str], alice: Person, bob: Person
) -> None:
    """bob pushes a branch on which he forked the membership log back to include himself, with his own ban
    record; a member checks the branch out to review it. What this clone saw of the log is not per branch."""
    git(repo, "branch", "-M", "main")
    assert git(repo, "checkout", "-q", "-b", "review").returncode == 0
    fork_back_in(repo, bob)
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None
    forged_ban(
        repo,
        current_index(repo).entries[bob_left["flagged"]],
        tf.root,
        bob,
        alice.public,
        bob.public,
    )
    commit_all(repo, "Review me")
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code != 0 and "Victim" not in looked_up.stdout, looked_up.output


def test_a_branch_from_before_a_change_of_members_is_no_fork(
    repo: Cocrec, committed: dict[str, str], keys_dir: Path
) -> None:
    """The membership history a clone saw on another branch may be longer: an older branch is not a fork."""
    git(repo, "branch", "-M", "main")
    git(repo, "branch", "older")
    carol = make_person(keys_dir, "carol", "Carol Member")
    assert (
        repo(
            "members",
            "add",
            "carol",
            "--name",
            carol.name,
            "--key",
            carol.public,
            "--since",
            "2026-11-01",
        ).exit_code
        == 0
    )
    commit_all(repo, "Carol joins")
    assert repo("check", "--no-decrypt", "--as-of", AS_OF).exit_code == 0
    assert git(repo, "checkout", "-q", "older").returncode == 0
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert checked.exit_code == 0, checked.output


def test_a_fork_the_committee_made_on_purpose_is_accepted_by_repinning(
    repo: Cocrec, bob_left: dict[str, str], bob: Person
) -> None:
    fork_back_in(repo, bob)
    commit_all(repo, "Update")
    assert (
        "its membership history is not the one this clone has seen"
        in repo("check", "--no-decrypt", "--as-of", AS_OF).stdout
    )
    assert repo("setup", "--repin", "--yes").exit_code == 0
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert "not the one this clone has seen" not in checked.stdout, checked.stdout
    assert (
        "not the one commit" in checked.stdout
    )  # the commit that rewrote it stays flagged against its parent


# -- other files cocrec reads ------------------------------------------------------------------------


def test_an_unsigned_looser_retention_fails_ci_and_is_named_by_due(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text().replace(
            "flagged: {reporter: 26, subjects: 26}", "flagged: {reporter: 260, subjects: 260}"
        )
    )
    commit_all(repo, "Policy")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("cocrec.yaml: changed since a member signed it") for e in errors
    ), errors
    due = repo("due", "--all", "--as-of", AS_OF)
    assert due.exit_code != 0 and "cocrec.yaml: changed since a member signed it" in due.stderr
    assert repo("expunge", "--as-of", AS_OF, "--yes").exit_code == 4


def test_workspace_taken_out_of_gitignore_stops_open(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    gitignore = repo.root / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("workspace/\n", ""))
    commit_all(repo, "Ignore less")
    opened = repo("open", committed["flagged"], "--as-of", AS_OF)
    assert opened.exit_code == 4 and "workspace" in opened.stderr
    assert not (repo.root / "workspace").exists() or not any((repo.root / "workspace").iterdir())


def test_a_protected_file_linked_to_an_endless_one_is_refused_quickly(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """cocrec.yaml -> /dev/zero: CI must say so in one line, not read forever."""
    policy = repo.root / "cocrec.yaml"
    policy.unlink()
    policy.symlink_to("/dev/zero")
    commit_all(repo, "Link")
    try:
        done = subprocess.run(
            ["cocrec", "-C", str(repo.root), "check", "--no-decrypt", "--as-of", AS_OF],
            capture_output=True,
            check=False,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("check --no-decrypt still reading cocrec.yaml after a minute")
    assert done.returncode in (1, 4) and "cocrec.yaml" in done.stdout + done.stderr, done
    assert "Traceback" not in done.stderr


def test_the_pre_commit_hook_searches_workflow_files_for_names(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    done = member_commit(
        repo, ".github/workflows/notify.yml", "# ping jane@example.org when this fails\non: push\n"
    )
    assert done.returncode != 0 and "holds a subject's email" in done.stderr, done.stderr


# -- a forged record's text reaching a member's editor or terminal -----------------------------------


def forged_file(repo: Cocrec, alice: Person, bob: Person, summary: str) -> Path:
    doc = record(
        id="2026-fake",
        subjects=[{"name": "Victim Person", "emails": ["victim@example.org"]}],
        summary=summary,
    )
    path = repo.root / "records/2026-fake.yaml.age"
    path.write_bytes(age_encrypt(yaml_io.dumps(doc).encode(), alice.public, bob.public))
    commit_all(repo, "Add a record")
    return path


def test_a_forged_record_never_reaches_the_members_editor(
    repo: Cocrec, committed: dict[str, str], alice: Person, bob: Person, tmp_path: Path
) -> None:
    """The editor parses what it opens (modelines and the like): an unsigned record is refused before it runs."""
    forged_file(repo, alice, bob, "vim: set foldmethod=manual:\n")
    proof = tmp_path / "editor-ran"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\ntouch {proof}\n")
    editor.chmod(0o755)
    edited = repo(
        "edit", "2026-fake", "--as-of", AS_OF, env={"EDITOR": str(editor), "VISUAL": str(editor)}
    )
    assert edited.exit_code == 4 and "records/2026-fake.yaml.age" in edited.stderr, edited.output
    assert not proof.exists()


def test_a_forged_record_is_not_opened_into_the_workspace(
    repo: Cocrec, committed: dict[str, str], alice: Person, bob: Person
) -> None:
    forged_file(repo, alice, bob, "Anything.\n")
    opened = repo("open", "2026-fake", "--as-of", AS_OF)
    assert opened.exit_code == 4 and "records/2026-fake.yaml.age" in opened.stderr, opened.output
    assert "`cocrec adopt`" in opened.stderr and "nothing was opened" in opened.stderr
    assert repo("open", "--as-of", AS_OF).exit_code == 4  # every record: the same refusal
    assert not (repo.root / "workspace/2026-fake.yaml").exists()


def test_git_diff_of_a_forged_record_sends_no_control_characters_to_the_terminal(
    repo: Cocrec, committed: dict[str, str], alice: Person, bob: Person
) -> None:
    path = (
        repo.root / "records/2026-fake.yaml.age"
    )  # not YAML at all: textconv prints what decrypts
    path.write_bytes(
        age_encrypt(
            b"summary: Harmless.\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[8mhidden\x1b[0m\n",
            alice.public,
            bob.public,
        )
    )
    shown = repo("textconv", str(path))
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout


def test_repinning_does_not_accept_keys_nobody_was_shown(
    repo: Cocrec, bob_left: dict[str, str], bob: Person
) -> None:
    fork_back_in(repo, bob)
    commit_all(repo, "Update")
    assert repo("setup", "--repin", "--yes").exit_code == 0
    made = repo(
        "new",
        "--from",
        "-",
        input=yaml_io.dumps(
            record(
                reported_on="2027-01-12",
                subjects=[{"name": "Kim Roe", "emails": ["kim@example.org"]}],
            )
        ),
    )
    # Refused either way: the fork stays in the branch's history (same root), and bob's key was never accepted.
    assert made.exit_code != 0 and (
        "bob" in made.stderr or "membership history is not the one" in made.stderr
    ), made.output


def test_checking_out_a_branch_that_reverted_a_removal_keeps_the_removal(
    repo: Cocrec, bob_left: dict[str, str], alice: Person, bob: Person
) -> None:
    git(repo, "branch", "-M", "main")
    assert git(repo, "checkout", "-q", "-b", "review").returncode == 0
    assert git(repo, "revert", "--no-edit", "HEAD").returncode == 0
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.root is not None
    forged_ban(
        repo,
        current_index(repo).entries[bob_left["flagged"]],
        tf.root,
        bob,
        alice.public,
        bob.public,
    )
    commit_all(repo, "Review me")
    looked_up = repo("lookup", "victim@example.org", "--as-of", AS_OF)
    assert looked_up.exit_code != 0 and "Victim" not in looked_up.stdout, looked_up.output


def test_two_committees_started_alike_have_different_trust_roots(
    tmp_path: Path, alice: Person
) -> None:
    """alice starts two committees' repositories the same way: their roots (every statement's repository id) must
    differ, or a record and its signed entry copied from one verify in the other."""
    roots = []
    for name in ("one", "two"):
        root = tmp_path / name
        assert Cocrec(tmp_path, None)("init", str(root)).exit_code == 0
        assert (
            Cocrec(root, alice.identity)(
                "members",
                "add",
                "alice",
                "--name",
                alice.name,
                "--key",
                alice.public,
                "--since",
                "2024-01-01",
            ).exit_code
            == 0
        )
        roots.append(trust.parse((root / "trust.yaml").read_bytes()).root)
    assert roots[0] != roots[1]


def test_an_index_entry_with_a_path_for_an_id_is_one_clear_line(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    text = (repo.root / "records/index.yaml").read_text()
    rid = committed["flagged"]
    (repo.root / "records/index.yaml").write_text(text.replace(f"  {rid}:\n", "  ../../trust:\n"))
    commit_all(repo, "Index")
    code, errors = ci(repo)
    assert code in (1, 4) and errors and all("Traceback" not in e for e in errors), errors
    assert any("records/index.yaml" in e for e in errors), errors
    listed = repo("list", "--as-of", AS_OF)
    assert listed.exit_code != 0 and "Traceback" not in listed.output


def test_a_broken_trust_file_makes_the_pre_commit_hook_refuse(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """Nothing can be believed, so nothing about what may be committed either: the hook fails closed."""
    adopt_policy(
        repo, "extra_files:\n  - README.md\n", "extra_files:\n  - README.md\n  - docs/**\n"
    )
    (repo.root / "trust.yaml").write_text("version: 1\nmembers: [garbage]\n")
    commit_all(repo, "Break")
    done = member_commit(repo, "docs/minutes.md", "Follow-up with jane@example.org next week.\n")
    assert done.returncode != 0 and "trust.yaml" in done.stderr, done.stderr


def test_plaintext_named_like_a_record_outside_records_is_searched(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    adopt_policy(
        repo, "extra_files:\n  - README.md\n", "extra_files:\n  - README.md\n  - docs/**\n"
    )
    done = member_commit(
        repo, "docs/minutes.yaml.age", "Follow-up with jane@example.org next week.\n"
    )
    assert done.returncode != 0 and "docs/minutes.yaml.age" in done.stderr, done.stderr


def test_a_deleted_index_entry_is_not_called_a_removal(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    """The record's file is there: what is missing is its entry, and the advice says so."""
    rid = committed["flagged"]
    assert repo("list", "--as-of", AS_OF).exit_code == 0  # the clone has seen every record
    entries = dict(current_index(repo).entries)
    del entries[rid]
    write_index(repo, current_index(repo).recipients, entries)
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert f"records/{rid}.yaml.age: not in records/index.yaml yet" in checked.stdout
    assert "was removed since" not in checked.stdout, checked.stdout


# -- a forged statement, committed and then undone, is no version that counted ----------------------


def forge_and_undo(repo: Cocrec, path: str, forged: bytes) -> None:
    """Someone with push access but no key commits a forged `path`; a member restores it from git, as
    cocrec's message says, and commits that."""
    (repo.root / path).write_bytes(forged)
    commit_all(repo, "Forged")
    code, errors = ci(repo)
    assert code == 1, errors  # the forgery is refused
    assert git(repo, "checkout", "HEAD~1", "--", path).returncode == 0
    commit_all(repo, "Restore")


def assert_clean(repo: Cocrec) -> None:
    code, errors = ci(repo)
    assert (code, errors) == (0, []), "undoing a forgery is not a rollback"
    checked = repo("check", "--no-decrypt", "--as-of", AS_OF)
    assert checked.exit_code == 0, checked.output
    made = repo("new", "--from", "-", input=yaml_io.dumps(record(reported_on="2027-01-12")))
    assert made.exit_code == 0, made.output


def test_a_forged_membership_entry_undone_from_git_leaves_the_repository_usable(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    last = tf.log[-1]
    # A copy of the last entry as the next one, chained to it, with a signature made for another message.
    forged = replace(last, seq=last.seq + 1, prev=trust.chain_of(tf)[-1])
    forge_and_undo(repo, "trust.yaml", replace(tf, log=(*tf.log, forged)).render())
    assert_clean(repo)


def test_a_forged_policy_seal_undone_from_git_leaves_the_repository_usable(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    tf = trust.parse((repo.root / "trust.yaml").read_bytes())
    assert tf.policy is not None
    bumped = replace(
        tf.policy, version=tf.policy.version + 5
    )  # its signature is for the old version
    forge_and_undo(repo, "trust.yaml", replace(tf, policy=bumped).render())
    assert_clean(repo)


def test_a_forged_index_entry_version_undone_from_git_leaves_the_repository_usable(
    repo: Cocrec, committed: dict[str, str]
) -> None:
    idx = current_index(repo)
    rid = committed["flagged"]
    entries = {**idx.entries, rid: replace(idx.entries[rid], version=idx.entries[rid].version + 5)}
    forge_and_undo(repo, "records/index.yaml", index.render(idx.recipients, entries).encode())
    assert_clean(repo)


def test_a_genuine_membership_entry_put_back_out_is_still_a_rollback(
    repo: Cocrec, bob_left: dict[str, str]
) -> None:
    """The same restore of trust.yaml, when the entry it drops was a member's own (bob's removal)."""
    assert git(repo, "checkout", "HEAD~1", "--", "trust.yaml", "members.yaml").returncode == 0
    commit_all(repo, "Restore")
    code, errors = ci(repo)
    assert code == 1 and any(
        e.startswith("trust.yaml: has fewer membership entries than") for e in errors
    ), errors
