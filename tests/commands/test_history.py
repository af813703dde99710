from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cocrec import crypto

from ..conftest import Cocrec, Person, outcome, record

JANE = {
    "name": "Jane Dalloway",
    "emails": ["jane.dalloway@example.org"],
    "usernames": ["github:janedal"],
    "urls": ["https://example.org/~jane"],
}
BORIS = {"name": "Boris Pendleton", "emails": ["boris@example.org"]}
REPORTER = {"kind": "public", "name": "Sam Whitfield", "contact": "sam.whitfield@example.org"}
REMOVED = (
    "Jane Dalloway",
    "Dalloway",
    "jane.dalloway@example.org",
    "janedal",
    "example.org/~jane",
    "Sam Whitfield",
    "Whitfield",
    "sam.whitfield@",
)
EVERYONE = (*REMOVED, "Boris Pendleton", "Pendleton", "boris@example.org")


PUSH = "git push --force --prune origin 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*' 'refs/notes/*:refs/notes/*'"


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=full_env
    ).stdout


def commit_all(repo: Cocrec, message: str, me: Person) -> None:
    """A member's commit, through the real hooks, with their key."""
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", message, env={"COCREC_IDENTITY": str(me.identity)})


@pytest.fixture
def history(repo: Cocrec, alice: Person, carol: Person) -> tuple[Cocrec, str, str]:
    """Two records committed in two versions each (a member joined: every record re-encrypted), a commit
    message that names the subject (made past the hooks), then the due one expunged and committed."""
    doc = record(
        reporter=REPORTER,
        subjects=[JANE],
        reported_on="2026-01-05",
        outcome=outcome("resolved", "2026-01-10"),
    )
    doc["summary"] = "Jane Dalloway (github:janedal) insulted Sam Whitfield.\n"
    doc["action_by_committee"] = {
        "taken": True,
        "description": "Wrote to jane.dalloway@example.org.",
    }
    expunged = repo.add(doc)
    kept = repo.add(
        record(
            subjects=[BORIS],
            reporter={"kind": "private"},
            handled_by="alice",
            outcome=outcome("flagged", "2026-07-01"),
        )
    )
    commit_all(repo, "Add two reports", alice)
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
            "2026-02-01",
        ).exit_code
        == 0
    )
    commit_all(repo, "Add carol to the committee", alice)
    (repo.root / "README.md").write_text("Meeting notes, no personal data.\n")
    git(repo.root, "add", "README.md")
    git(repo.root, "commit", "-q", "--no-verify", "-m", "Discussed Jane Dalloway's case")
    result = repo("expunge", "--commit", "--yes", "--as-of", "2027-04-01")
    assert result.exit_code == 0, result.output
    return repo, expunged, kept


def audit(repo: Cocrec, *args: str, identity: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = repo("history", "audit", "--format", "json", *args, identity=identity)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def all_objects(root: Path) -> list[tuple[str, str]]:
    listing = git(
        root, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"
    )
    return [tuple(line.split()) for line in listing.splitlines()]  # type: ignore[misc]


def object_texts(root: Path, people: list[Person]) -> list[str]:
    """Every object in the repository as text, each age file decrypted by whichever member can."""
    identities = crypto.load_identities([p.identity for p in people], lambda _: "")
    texts = []
    for sha, kind in all_objects(root):
        data = subprocess.run(
            ["git", "-C", str(root), "cat-file", kind, sha], check=True, capture_output=True
        ).stdout
        if data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"):
            data = crypto.decrypt(data, identities, sha)
        texts.append(data.decode("utf-8", errors="replace"))
    return texts


def test_audit_finds_every_earlier_version_and_the_commit_message(
    history: tuple[Cocrec, str, str],
) -> None:
    repo, expunged, kept = history
    code, data = audit(repo)
    assert code == 1 and data["clean"] is False and data["records"] == 1
    holding = [f for f in data["findings"] if f["problem"] == "holds removed data"]
    assert {f["record"] for f in holding} == {expunged} and len(
        holding
    ) == 2  # the first version, and the one re-encrypted for carol
    assert {"reporter.name", "subjects[0]", "summary"} <= set(holding[0]["fields"])
    messages = [f for f in data["findings"] if f["problem"] == "commit message holds removed data"]
    assert [f["record"] for f in messages] == [expunged]
    table = repo("history", "audit")
    assert table.exit_code == 1 and expunged in table.stdout and kept not in table.stdout
    for value in EVERYONE:
        assert value not in table.output and value not in json.dumps(data)


def test_a_version_the_member_cannot_decrypt_is_reported_not_passed(
    history: tuple[Cocrec, str, str], carol: Person
) -> None:
    repo, expunged, _ = history
    code, data = audit(
        repo, identity=carol.identity
    )  # carol joined after the first version was written
    assert code == 1
    assert [f["record"] for f in data["findings"] if f["problem"] == "cannot be decrypted"] == [
        expunged
    ]


def test_purge_rewrites_history_so_no_object_holds_removed_data(
    history: tuple[Cocrec, str, str], tmp_path: Path, alice: Person, bob: Person, carol: Person
) -> None:
    repo, expunged, kept = history
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(origin)], check=True)
    git(repo.root, "remote", "add", "origin", str(origin))
    git(repo.root, "fetch", "-q", "origin")
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}")
    before = repo.files()
    result = repo("history", "purge", "--yes")
    assert result.exit_code == 0, result.output
    for step in (
        PUSH,
        "clones again",
        "git remote add origin URL",
        "refs/pull/*",
        "garbage collection",
    ):
        assert step in result.stdout
    assert "git push --force --tags" not in result.stdout.replace(
        "`git push --force --tags` would keep", ""
    )
    assert str(origin) not in result.output
    assert repo.files() == before and git(repo.root, "rev-parse", "HEAD^{tree}") == head_tree
    code, data = audit(repo)
    assert (code, data["findings"]) == (0, [])
    texts = object_texts(repo.root, [alice, bob, carol])
    for value in REMOVED:
        assert not any(value.lower() in text.lower() for text in texts), (
            "a git object still holds a removed value"
        )
    messages = git(repo.root, "log", "--all", "--format=%B")
    assert "Discussed [redacted]'s case" in messages
    for value in EVERYONE:
        assert value.lower() not in messages.lower()
    assert any("Boris Pendleton" in text for text in texts)  # the record not yet due keeps its data
    assert repo("check", "--as-of", "2027-04-01").exit_code == 0


def test_purge_refuses_a_dirty_tree_and_a_cancelled_purge_changes_nothing(
    history: tuple[Cocrec, str, str],
) -> None:
    repo, _, _ = history
    head = git(repo.root, "rev-parse", "HEAD")
    (repo.root / "README.md").write_text("changed\n")
    dirty = repo("history", "purge", "--yes")
    assert dirty.exit_code == 4 and "uncommitted changes" in dirty.stderr
    git(repo.root, "checkout", "--", "README.md")
    cancelled = repo("history", "purge", input="n\n")
    assert cancelled.exit_code == 1 and "nothing was changed" in cancelled.stderr
    assert git(repo.root, "rev-parse", "HEAD") == head
    assert audit(repo)[0] == 1


def test_purge_without_git_filter_repo_says_how_to_install_it(
    history: tuple[Cocrec, str, str], tmp_path: Path
) -> None:
    repo, _, _ = history
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(
        subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    )
    result = repo("history", "purge", "--yes", env={"PATH": str(bin_dir)})
    assert result.exit_code == 4
    assert (
        "pip install git-filter-repo" in result.stderr
        and "apt-get install git-filter-repo" in result.stderr
    )


def test_nothing_to_audit_or_purge_without_expunged_records(repo: Cocrec, alice: Person) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    commit_all(repo, "Add a report", alice)
    assert audit(repo) == (0, {"clean": True, "records": 0, "versions": 0, "findings": []})
    assert "none holds removed data" in repo("history", "audit").stdout
    result = repo("history", "purge", "--yes")
    assert result.exit_code == 0 and "Nothing to purge" in result.stdout


# -- every object git holds --------------------------------------------------------------------------

GWEN = {"name": "Gwen Fairweather", "emails": ["gwen.fairweather@example.org"]}
GWEN_VALUES = ("Gwen Fairweather", "Fairweather", "gwen.fairweather@example.org")


def branch(root: Path) -> str:
    return git(root, "symbolic-ref", "--short", "HEAD").strip()


@pytest.fixture
def leaky(repo: Cocrec, alice: Person) -> tuple[Cocrec, str, str]:
    """A repository where removed data got into every place git keeps things, then the record expunged:
    an unreachable commit, a reflog, an annotated tag's message, a note, a plaintext draft and a file
    named after the subject, a branch named after them, a record deleted with `git rm`, and a stash of
    workspace/ plaintext. Returns (repo, the expunged record, the deleted record)."""
    root = repo.root
    doc = record(
        reporter=REPORTER,
        subjects=[JANE],
        reported_on="2026-01-05",
        outcome=outcome("resolved", "2026-01-10"),
    )
    doc["summary"] = "Jane Dalloway (github:janedal) insulted Sam Whitfield.\n"
    expunged = repo.add(doc)
    repo.add(
        record(
            subjects=[BORIS],
            reporter={"kind": "private"},
            handled_by="alice",
            outcome=outcome("flagged", "2026-07-01"),
        )
    )
    commit_all(repo, "Add two reports", alice)
    # a commit no ref reaches: made, reset away, its reflog entries expired
    (root / "draft.txt").write_text("Jane Dalloway said she would apologise.\n")
    git(root, "add", "draft.txt")
    git(root, "commit", "-q", "--no-verify", "-m", "Draft about Jane Dalloway")
    git(root, "reset", "-q", "--hard", "HEAD~1")
    git(
        root,
        "reflog",
        "expire",
        "--expire=now",
        "--expire-unreachable=now",
        "HEAD",
        f"refs/heads/{branch(root)}",
    )
    # a commit message (and so the reflog), a tag message, a note
    (root / "README.md").write_text("Meeting notes, no personal data.\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "--no-verify", "-m", "Discussed Jane Dalloway's case")
    git(root, "tag", "-a", "v1", "-m", "Closed the case of Jane Dalloway")
    git(root, "notes", "add", "-m", "Call jane.dalloway@example.org back", "HEAD")
    # plaintext: a record shown into a file in the root, a file named after the subject; a branch too
    (root / "case-notes.yaml").write_text(repo("show", expunged).stdout)
    (root / "docs").mkdir()
    (root / "docs" / "dalloway.md").write_text("The Dalloway case: nothing more to do.\n")
    git(root, "add", "case-notes.yaml", "docs/dalloway.md")
    git(root, "commit", "-q", "--no-verify", "-m", "Add notes")
    git(root, "branch", "dalloway-case")
    # a record deleted with `git rm`
    deleted = repo.add(
        record(
            subjects=[GWEN],
            reported_on="2026-02-01",
            reporter={"kind": "private"},
            handled_by="bob",
        )
    )
    commit_all(repo, "Add a report", alice)
    git(root, "rm", "-q", f"records/{deleted}.yaml.age")
    assert repo("adopt", "--yes").exit_code == 0  # a removal counts once a member signs it
    commit_all(repo, "Remove a duplicate report", alice)
    # the stash: an untracked draft (`-u`), then workspace/ plaintext (`--all` takes ignored files
    # too); the older entry is only in the stash's reflog
    (root / "draft-2.yaml").write_text(
        "subjects:\n  - name: Jane Dalloway\nsummary: to be written\n"
    )
    git(root, "stash", "push", "-u", "-q")
    assert repo("open", expunged).exit_code == 0
    git(root, "stash", "push", "--all", "-q")
    result = repo("expunge", "--commit", "--yes", "--as-of", "2027-04-01")
    assert result.exit_code == 0, result.output
    return repo, expunged, deleted


def test_audit_reads_every_object_git_holds(leaky: tuple[Cocrec, str, str]) -> None:
    repo, expunged, deleted = leaky
    code, data = audit(repo)
    assert code == 1 and data["records"] == 2  # the expunged record and the deleted one
    found = {(f["where"], f["problem"]) for f in data["findings"]}
    for expected in [
        ("history", "holds removed data"),
        ("history", "commit message holds removed data"),
        ("tag", "tag message holds removed data"),
        ("notes", "plaintext holds removed data"),
        ("history", "plaintext holds removed data"),
        ("history", "path holds removed data"),
        ("ref", "ref name holds removed data"),
        ("history", "deleted record holds personal data"),
        ("unreachable", "commit message holds removed data"),
        ("unreachable", "plaintext holds removed data"),
        ("stash", "plaintext holds removed data"),
        ("git file", "git file holds removed data"),
    ]:
        assert expected in found, expected
    stashed = {f["path"] for f in data["findings"] if f["where"] == "stash"}
    assert {"draft-2.yaml", f"workspace/{expunged}.yaml"} <= stashed
    assert {
        f["record"]
        for f in data["findings"]
        if f["problem"] == "deleted record holds personal data"
    } == {deleted}
    paths = {f["path"] for f in data["findings"] if f["path"]}
    assert {
        "case-notes.yaml",
        "docs/[redacted].md",
        "refs/heads/[redacted]-case",
        "v1",
        ".git/logs/HEAD",
    } <= paths
    table = repo("history", "audit")
    assert table.exit_code == 1 and "stash " in table.stdout and "unreachable " in table.stdout
    for value in (*EVERYONE, *GWEN_VALUES, "dalloway"):
        assert value not in table.output and value not in json.dumps(data)


def test_purge_warns_before_it_drops_the_stash_and_a_no_keeps_it(
    leaky: tuple[Cocrec, str, str],
) -> None:
    repo, _, _ = leaky
    head = git(repo.root, "rev-parse", "HEAD")
    result = repo("history", "purge", input="n\n")
    assert result.exit_code == 1 and "purge cancelled; nothing was changed" in result.stderr
    assert "the stash holds 2 entries, and purge drops them all" in result.stderr
    assert "the stash's 2 entries dropped" in result.stderr  # in the question the member answered
    assert (
        len(git(repo.root, "stash", "list").splitlines()) == 2
        and git(repo.root, "rev-parse", "HEAD") == head
    )


def all_texts(root: Path, people: list[Person]) -> str:
    """Every object, every ref name and every text file git keeps, as one text (age files decrypted)."""
    texts = object_texts(root, people) + [git(root, "for-each-ref", "--format=%(refname)")]
    dot_git = root / ".git"
    texts += [
        p.read_text(errors="replace")
        for p in dot_git.rglob("*")
        if p.is_file() and "objects" not in p.parts
    ]
    texts += [str(p.relative_to(dot_git)) for p in dot_git.rglob("*")]
    return "\n".join(texts).lower()


def test_purge_leaves_no_removed_data_in_any_object(
    leaky: tuple[Cocrec, str, str], tmp_path: Path, alice: Person, bob: Person
) -> None:
    repo, expunged, deleted = leaky
    root = repo.root
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "--all")
    git(root, "push", "-q", "origin", "--tags")
    git(root, "push", "-q", "origin", "refs/notes/*:refs/notes/*")
    result = repo("history", "purge", "--yes")
    assert result.exit_code == 0, result.output
    assert "the stash holds 2 entries, and purge drops them all" in result.stderr
    assert "stash (2 entries) dropped" in result.stdout and PUSH in result.stdout
    after = repo("history", "audit", "--format", "json")
    assert after.exit_code == 0, after.output
    assert json.loads(after.stdout)["findings"] == []
    everything = all_texts(root, [alice, bob])
    for value in (*REMOVED, *GWEN_VALUES, "dalloway"):
        assert value.lower() not in everything, value
    assert "boris pendleton" in everything  # the record not yet due keeps its data
    # what stays, and how it reads now
    assert git(root, "stash", "list") == "" and not (root / "case-notes.yaml").exists()
    assert git(root, "cat-file", "-p", "v1").rstrip().endswith("Closed the case of [redacted]")
    assert (
        git(root, "notes", "show", "HEAD~4").strip() == "Call [redacted] back"
    )  # re-filed on the rewritten commit
    assert (
        root / "docs" / "redacted.md"
    ).read_text() == "The [redacted] case: nothing more to do.\n"
    assert "refs/heads/redacted-case" in git(root, "for-each-ref", "--format=%(refname)")
    assert not (root / "records" / f"{deleted}.yaml.age").exists()
    checked = repo(
        "check", "--as-of", "2027-04-01"
    )  # what is left is files outside the layout, nothing else
    errors = [line for line in checked.stdout.splitlines() if line.startswith("error: ")]
    assert errors and all("not part of a records repository" in line for line in errors), (
        checked.stdout
    )
    # the printed steps work: the host ends up with no removed data either
    git(root, "remote", "add", "origin", str(origin))
    subprocess.run(PUSH, shell=True, cwd=root, check=True, capture_output=True)
    git(origin, "reflog", "expire", "--expire=now", "--all")
    git(origin, "gc", "-q", "--prune=now")
    hosted = all_texts(origin, [alice, bob])
    for value in (*REMOVED, *GWEN_VALUES, "dalloway"):
        assert value.lower() not in hosted, value


# -- a purge that is killed leaves no plaintext and no filter-repo behind ------------------------------

SLOW_FILTER_REPO = """#!{python}
import os, sys, time
open({log!r}, "w").write(str(os.getpid()))
time.sleep(60)
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


def purge_process(repo: Cocrec, tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    """`python -m cocrec history purge --yes` with a git-filter-repo that waits before it starts;
    returns the process, filter-repo's pid, and cocrec's private directory."""
    import shutil
    import sys

    bin_dir, log = tmp_path / "slow-bin", tmp_path / "filter-repo.pid"
    bin_dir.mkdir()
    real = shutil.which("git-filter-repo")
    (bin_dir / "git-filter-repo").write_text(
        SLOW_FILTER_REPO.format(python=sys.executable, log=str(log), real=real)
    )
    (bin_dir / "git-filter-repo").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    argv = [
        sys.executable,
        "-m",
        "cocrec",
        "-C",
        str(repo.root),
        "-i",
        str(repo.identity),
        "history",
        "purge",
        "--yes",
    ]
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    pid = int(wait_for_text(log))
    (private,) = [p for base in ("/dev/shm", os.environ.get("TMPDIR", "/tmp")) if os.path.isdir(base)
                  for p in Path(base).glob(f"cocrec-{process.pid}-*-purge-*")]  # fmt: skip
    return process, pid, private


def wait_for_text(path: Path, timeout: float = 60.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_purge_leaves_no_table_and_no_filter_repo(
    history: tuple[Cocrec, str, str], tmp_path: Path, sig: int
) -> None:
    from ..test_fsutil import kill_quietly, wait_gone

    repo, _, _ = history
    head = git(repo.root, "rev-parse", "HEAD")
    process, filter_repo, private = purge_process(repo, tmp_path)
    try:
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        assert (
            stat.S_IMODE((private / "table.json").stat().st_mode) == 0o600
        )  # it holds the original messages
        process.send_signal(sig)
        process.communicate(timeout=60)
        assert process.returncode == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
        assert wait_gone(filter_repo), "git filter-repo outlived cocrec"
        assert git(repo.root, "rev-parse", "HEAD") == head  # nothing was rewritten
        if sig == signal.SIGTERM:
            assert not private.exists()
        else:
            assert private.exists()  # nothing runs on SIGKILL: the next command removes it
            assert f"removed {private}" in repo("history", "audit").stderr
            assert not private.exists()
    finally:
        kill_quietly(filter_repo)
    again = repo("history", "purge", "--yes")  # a re-run finishes the work
    assert again.exit_code == 0, again.output
    assert audit(repo)[0] == 0
