from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cocrec import crypto

from ..conftest import Cocrec, Person, outcome, record

JANE = {"name": "Jane Dalloway", "emails": ["jane.dalloway@example.org"], "usernames": ["github:janedal"], "urls": ["https://example.org/~jane"]}
BORIS = {"name": "Boris Pendleton", "emails": ["boris@example.org"]}
REPORTER = {"kind": "public", "name": "Sam Whitfield", "contact": "sam.whitfield@example.org"}
REMOVED = ("Jane Dalloway", "Dalloway", "jane.dalloway@example.org", "janedal", "example.org/~jane", "Sam Whitfield", "Whitfield", "sam.whitfield@")
EVERYONE = (*REMOVED, "Boris Pendleton", "Pendleton", "boris@example.org")


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=full_env).stdout


def commit_all(repo: Cocrec, message: str, me: Person) -> None:
    """A member's commit, through the real hooks, with their key."""
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", message, env={"COCREC_IDENTITY": str(me.identity)})


@pytest.fixture
def history(repo: Cocrec, alice: Person, carol: Person) -> tuple[Cocrec, str, str]:
    """Two records committed in two versions each (a member joined: every record re-encrypted), a commit
    message that names the subject (made past the hooks), then the due one expunged and committed."""
    doc = record(reporter=REPORTER, subjects=[JANE], reported_on="2026-01-05", outcome=outcome("resolved", "2026-01-10"))
    doc["summary"] = "Jane Dalloway (github:janedal) insulted Sam Whitfield.\n"
    doc["action_by_committee"] = {"taken": True, "description": "Wrote to jane.dalloway@example.org."}
    expunged = repo.add(doc)
    kept = repo.add(record(subjects=[BORIS], reporter={"kind": "private"}, handled_by="alice", outcome=outcome("flagged", "2026-07-01")))
    commit_all(repo, "Add two reports", alice)
    assert repo("members", "add", "carol", "--name", carol.name, "--key", carol.public, "--since", "2026-02-01").exit_code == 0
    commit_all(repo, "Add carol to the committee", alice)
    (repo.root / "NOTES.md").write_text("Meeting notes, no personal data.\n")
    git(repo.root, "add", "NOTES.md")
    git(repo.root, "commit", "-q", "--no-verify", "-m", "Discussed Jane Dalloway's case")
    result = repo("expunge", "--commit", "--yes", "--as-of", "2027-04-01")
    assert result.exit_code == 0, result.output
    return repo, expunged, kept


def audit(repo: Cocrec, *args: str, identity: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = repo("history", "audit", "--format", "json", *args, identity=identity)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def all_objects(root: Path) -> list[tuple[str, str]]:
    listing = git(root, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
    return [tuple(line.split()) for line in listing.splitlines()]  # type: ignore[misc]


def object_texts(root: Path, people: list[Person]) -> list[str]:
    """Every object in the repository as text, each age file decrypted by whichever member can."""
    identities = crypto.load_identities([p.identity for p in people], lambda _: "")
    texts = []
    for sha, kind in all_objects(root):
        data = subprocess.run(["git", "-C", str(root), "cat-file", kind, sha], check=True, capture_output=True).stdout
        if data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"):
            data = crypto.decrypt(data, identities, sha)
        texts.append(data.decode("utf-8", errors="replace"))
    return texts


def test_audit_finds_every_earlier_version_and_the_commit_message(history: tuple[Cocrec, str, str]) -> None:
    repo, expunged, kept = history
    code, data = audit(repo)
    assert code == 1 and data["clean"] is False and data["records"] == 1
    holding = [f for f in data["findings"] if f["problem"] == "holds removed data"]
    assert {f["record"] for f in holding} == {expunged} and len(holding) == 2  # the first version, and the one re-encrypted for carol
    assert {"reporter.name", "subjects[0]", "summary"} <= set(holding[0]["fields"])
    messages = [f for f in data["findings"] if f["problem"] == "commit message holds removed data"]
    assert [f["record"] for f in messages] == [expunged]
    table = repo("history", "audit")
    assert table.exit_code == 1 and expunged in table.stdout and kept not in table.stdout
    for value in EVERYONE:
        assert value not in table.output and value not in json.dumps(data)


def test_a_version_the_member_cannot_decrypt_is_reported_not_passed(history: tuple[Cocrec, str, str], carol: Person) -> None:
    repo, expunged, _ = history
    code, data = audit(repo, identity=carol.identity)  # carol joined after the first version was written
    assert code == 1
    assert [f["record"] for f in data["findings"] if f["problem"] == "cannot be decrypted"] == [expunged]


def test_purge_rewrites_history_so_no_object_holds_removed_data(history: tuple[Cocrec, str, str], tmp_path: Path, alice: Person, bob: Person, carol: Person) -> None:
    repo, expunged, kept = history
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(origin)], check=True)
    git(repo.root, "remote", "add", "origin", str(origin))
    git(repo.root, "fetch", "-q", "origin")
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}")
    before = repo.files()
    result = repo("history", "purge", "--yes")
    assert result.exit_code == 0, result.output
    for step in ("git push --force --all origin", "clones again", "git remote add origin URL", "refs/pull/*", "garbage collection"):
        assert step in result.stdout
    assert str(origin) not in result.output
    assert repo.files() == before and git(repo.root, "rev-parse", "HEAD^{tree}") == head_tree
    code, data = audit(repo)
    assert (code, data["findings"]) == (0, [])
    texts = object_texts(repo.root, [alice, bob, carol])
    for value in REMOVED:
        assert not any(value.lower() in text.lower() for text in texts), "a git object still holds a removed value"
    messages = git(repo.root, "log", "--all", "--format=%B")
    assert "Discussed [redacted]'s case" in messages
    for value in EVERYONE:
        assert value.lower() not in messages.lower()
    assert any("Boris Pendleton" in text for text in texts)  # the record not yet due keeps its data
    assert repo("check", "--as-of", "2027-04-01").exit_code == 0


def test_purge_refuses_a_dirty_tree_and_a_cancelled_purge_changes_nothing(history: tuple[Cocrec, str, str]) -> None:
    repo, _, _ = history
    head = git(repo.root, "rev-parse", "HEAD")
    (repo.root / "NOTES.md").write_text("changed\n")
    dirty = repo("history", "purge", "--yes")
    assert dirty.exit_code == 4 and "uncommitted changes" in dirty.stderr
    git(repo.root, "checkout", "--", "NOTES.md")
    cancelled = repo("history", "purge", input="n\n")
    assert cancelled.exit_code == 1 and "nothing was changed" in cancelled.stderr
    assert git(repo.root, "rev-parse", "HEAD") == head
    assert audit(repo)[0] == 1


def test_purge_without_git_filter_repo_says_how_to_install_it(history: tuple[Cocrec, str, str], tmp_path: Path) -> None:
    repo, _, _ = history
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip())
    result = repo("history", "purge", "--yes", env={"PATH": str(bin_dir)})
    assert result.exit_code == 4
    assert "pip install git-filter-repo" in result.stderr and "apt-get install git-filter-repo" in result.stderr


def test_nothing_to_audit_or_purge_without_expunged_records(repo: Cocrec, alice: Person) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    commit_all(repo, "Add a report", alice)
    assert audit(repo) == (0, {"clean": True, "records": 0, "versions": 0, "findings": []})
    result = repo("history", "purge", "--yes")
    assert result.exit_code == 0 and "Nothing to purge" in result.stdout
