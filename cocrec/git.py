"""The one place GitPython is used. It is imported lazily: most commands never touch git.

Adding and committing go through git itself (`repo.git.add`): GitPython's
own index writer is 13x slower on a rekey's 10,000 files (MEASURED.md).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from .errors import RepoError


def _module() -> Any:
    import git as gitpython

    return gitpython


def open_repo(root: Path) -> Any:
    gitpython = _module()
    try:
        return gitpython.Repo(root)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise RepoError(f"{root}: not a git repository; run `git init` there or `cocrec init {root}`") from None


def is_repo(root: Path) -> bool:
    gitpython = _module()
    try:
        gitpython.Repo(root, search_parent_directories=False)
        return True
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        return False


def init(root: Path) -> None:
    """`git init` where there is no repository yet (an existing one is left as it is)."""
    if not is_repo(root):
        _module().Repo.init(root)


def set_config(root: Path, key: str, value: str) -> None:
    open_repo(root).git.config("--local", key, value)


def get_config(root: Path, key: str) -> Optional[str]:
    repo = open_repo(root)
    try:
        return str(repo.git.config("--local", "--get", key))
    except _module().GitCommandError:
        return None


def is_dirty(root: Path) -> bool:
    return bool(open_repo(root).is_dirty(untracked_files=True))


def commit(root: Path, paths: Iterable[Path], message: str, env: Optional[Mapping[str, str]] = None) -> str:
    """Stage `paths` and commit them with `message` (which names ids and steps, never people).

    The hooks run; `env` is added to their environment (the identity they decrypt with, say).
    A refusal raises RepoError with git's last line, which names no value (the hooks quote none).
    """
    gitpython = _module()
    repo = open_repo(root)
    rel = [str(p.relative_to(root)) if p.is_absolute() else str(p) for p in paths]
    try:
        repo.git.add("--all", "--", *rel)
        repo.git.commit("-m", message, "--", *rel, env=dict(env or {}))
    except gitpython.GitCommandError as exc:
        lines = [line.strip() for line in str(exc.stderr or "").splitlines() if line.strip()]
        reason = lines[-1].strip("'\"") if lines else f"exit {exc.status}"
        raise RepoError(f"git commit failed ({reason}): the files are written; commit them yourself with `git commit`") from None
    return str(repo.head.commit.hexsha)


def gc_auto(root: Path) -> None:
    """A rekey leaves thousands of loose objects; let git pack them when it thinks it should.

    Runs git directly: importing GitPython for this one call costs 0.12 s, 5% of a rekey of 1,000 records."""
    done = subprocess.run(["git", "-C", str(root), "gc", "--auto", "--quiet"], capture_output=True, check=False)
    if done.returncode != 0:
        raise RepoError(f"`git gc --auto` failed (exit {done.returncode})")


# -- staged content, for the hooks -------------------------------------------------


@dataclass(frozen=True)
class GitFile:
    """One path in git's index or a tree: its mode (120000 is a symlink) and blob id."""

    path: str
    mode: str
    sha: str


def _z_lines(text: str) -> list[str]:
    return [line for line in text.split("\0") if line]


def staged_changes(root: Path) -> list[str]:
    """The paths this commit adds, changes or deletes (git's index against HEAD)."""
    return _z_lines(open_repo(root).git.diff("--cached", "--name-only", "--no-renames", "-z"))


def staged_files(root: Path) -> dict[str, GitFile]:
    """Every path in git's index (what the commit will hold): `git ls-files --stage`."""
    found = {}
    for line in _z_lines(open_repo(root).git.ls_files("--stage", "-z")):
        meta, path = line.split("\t", 1)
        mode, sha, _stage = meta.split()
        found[path] = GitFile(path, mode, sha)
    return found


def head_files(root: Path, paths: Iterable[str]) -> dict[str, GitFile]:
    """`paths` as they are in HEAD (those that exist there; none before the first commit)."""
    wanted = list(paths)
    repo = open_repo(root)
    if not wanted or not repo.head.is_valid():
        return {}
    found = {}
    for line in _z_lines(repo.git.ls_tree("-z", "HEAD", "--", *wanted)):
        meta, path = line.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            found[path] = GitFile(path, mode, sha)
    return found


def read_blobs(root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob, through one `git cat-file --batch` process."""
    repo = open_repo(root)
    return {sha: bytes(repo.odb.stream(bytes.fromhex(sha)).read()) for sha in dict.fromkeys(shas)}


def is_ignored(root: Path, path: str) -> bool:
    """True when git ignores `path` (relative to root): plaintext may live there."""
    gitpython = _module()
    try:
        open_repo(root).git.check_ignore("-q", "--no-index", "--", path)
    except gitpython.GitCommandError:
        return False
    return True


# -- history, for `cocrec history audit` and `purge` -----------------------------------

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Version:
    """A blob that a commit (on any ref) wrote at a path: one historical version of a file."""

    commit: str
    path: str
    blob: str


def path_versions(root: Path, paths: Iterable[str]) -> list[Version]:
    """Every version of `paths` in every commit of every ref (`git log --all`), merges included."""
    wanted = list(paths)
    if not wanted or not open_repo(root).head.is_valid():
        return []
    text = open_repo(root).git.log("--all", "-m", "--raw", "--no-abbrev", "--no-renames", "--format=%x01%H", "--", *wanted)
    found: dict[tuple[str, str, str], Version] = {}
    commit = ""
    for line in str(text).splitlines():
        if line.startswith("\x01"):
            commit = line[1:].strip()
        elif line.startswith(":"):
            meta, path = line.split("\t", 1)
            blob = meta.split()[3]
            if blob != ZERO_SHA:  # a deletion writes no version
                found.setdefault((commit, path, blob), Version(commit, path, blob))
    return list(found.values())


def blob_at(root: Path, rev: str, path: str) -> Optional[str]:
    """The blob id of `path` in `rev`, or None when it has no such file."""
    try:
        return str(open_repo(root).git.rev_parse("--verify", "--quiet", f"{rev}:{path}"))
    except _module().GitCommandError:
        return None


def commit_messages(root: Path) -> dict[str, bytes]:
    """The raw message of every commit on every ref, by commit id."""
    shas = str(open_repo(root).git.rev_list("--all")).split()
    raw = read_blobs(root, shas)  # `cat-file --batch` reads any object, commits too
    return {sha: data.split(b"\n\n", 1)[1] if b"\n\n" in data else b"" for sha, data in raw.items()}


def unmerged(root: Path, paths: Iterable[str]) -> dict[str, frozenset[int]]:
    """Paths a merge, rebase or cherry-pick left in conflict, with the stages git holds of each
    (1 the common ancestor, 2 ours, 3 theirs): `git ls-files --unmerged`."""
    stages: dict[str, set[int]] = {}
    try:
        listed = open_repo(root).git.ls_files("--unmerged", "-z", "--", *paths)
    except _module().GitCommandError as exc:
        raise RepoError(f"`git ls-files` failed (exit {exc.status}): run `git status`") from None
    for line in _z_lines(listed):
        meta, path = line.split("\t", 1)
        stages.setdefault(path, set()).add(int(meta.split()[2]))
    return {path: frozenset(found) for path, found in sorted(stages.items())}


def has_changes(root: Path, path: str) -> bool:
    """True when `path` (a file or directory) has staged, unstaged or untracked changes."""
    return bool(str(open_repo(root).git.status("--porcelain", "--untracked-files=all", "--", path)).strip())


def remote_names(root: Path) -> list[str]:
    return [str(remote.name) for remote in open_repo(root).remotes]


def filter_repo_installed() -> bool:
    import shutil

    return shutil.which("git-filter-repo") is not None


def filter_repo(root: Path, args: Iterable[str]) -> None:
    """Run `git filter-repo --force ARGS` (history is rewritten: the caller has asked first)."""
    try:
        open_repo(root).git.execute(["git", "filter-repo", "--force", "--quiet", *args])
    except _module().GitCommandError as exc:
        lines = [line.strip() for line in str(exc.stderr or "").splitlines() if line.strip()]
        raise RepoError(f"git filter-repo failed ({lines[-1] if lines else exc.status}): run `git status` and try again") from None


def drop_unreachable(root: Path) -> None:
    """Expire every reflog now and prune: no object that no ref reaches stays in the repository."""
    repo = open_repo(root)
    repo.git.reflog("expire", "--expire=now", "--expire-unreachable=now", "--all")
    repo.git.gc("--prune=now", "--quiet")
