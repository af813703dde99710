"""The one place GitPython is used. It is imported lazily: most commands never touch git.

Adding and committing go through git itself (`repo.git.add`): GitPython's
own index writer is far slower on the thousands of files a rekey changes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RepoError


def _module() -> Any:
    import git as gitpython

    return gitpython


def open_repo(root: Path) -> Any:
    gitpython = _module()
    try:
        return gitpython.Repo(root)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise RepoError(
            f"{root}: not a git repository; run `git init` there or `cocrec init {root}`"
        ) from None


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


def unset_config(root: Path, key: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "config", "--local", "--unset-all", key],
        capture_output=True,
        check=False,
    )


def get_config(root: Path, key: str) -> str | None:
    """A local config value, asked of git itself (`status` asks this: no GitPython to import)."""
    done = subprocess.run(
        ["git", "-C", str(root), "config", "--local", "--get", key],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def is_dirty(root: Path) -> bool:
    return bool(open_repo(root).is_dirty(untracked_files=True))


def commit(
    root: Path, paths: Iterable[Path], message: str, env: Mapping[str, str] | None = None
) -> str:
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
        raise RepoError(
            f"git commit failed ({reason}): the files are written; commit them yourself with `git commit`"
        ) from None
    return str(repo.head.commit.hexsha)


def gc_auto(root: Path) -> None:
    """A rekey leaves thousands of loose objects; let git pack them when it thinks it should.

    Runs git directly: importing GitPython would cost more than this one call."""
    done = subprocess.run(
        ["git", "-C", str(root), "gc", "--auto", "--quiet"], capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RepoError(f"`git gc --auto` failed (exit {done.returncode})")


def show_file(root: Path, rev: str, path: str) -> bytes | None:
    """The bytes of `path` in `rev` (a commit, or ":" for git's index), or None when there is none."""
    spec = f":{path}" if rev == ":" else f"{rev}:{path}"
    done = subprocess.run(
        ["git", "-C", str(root), "cat-file", "blob", spec], capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def path_blobs(root: Path, path: str) -> list[bytes]:
    """The content of every version of `path` in the history of every ref, newest first."""
    return _blobs(root, _version_shas(root, ["--all", "--", path]))


def history_blobs(root: Path, rev: str, path: str, limit: int = 500) -> list[bytes]:
    """The content of every version of `path` in the history of `rev` (at most `limit`, newest
    first)."""
    return _blobs(root, _version_shas(root, [f"-{limit}", rev, "--", path]))


def _version_shas(root: Path, log_args: list[str]) -> list[str]:
    """The blob of each version `git log` shows a path at (newest first, each once; none where it was
    deleted or git fails)."""
    done = subprocess.run(
        ["git", "-C", str(root), "log", "--format=", "--raw", "--no-abbrev", "--no-renames"]
        + log_args,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return []
    shas = (line.split()[3] for line in done.stdout.splitlines() if line.startswith(":"))
    return list(dict.fromkeys(sha for sha in shas if sha != ZERO_SHA))


def _blobs(root: Path, shas: list[str]) -> list[bytes]:
    """These blobs' contents, read in one `git cat-file --batch` (one git does not have is left out)."""
    if not shas:
        return []
    batch = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input=("\n".join(shas) + "\n").encode(),
        capture_output=True,
        check=False,
    )
    found, data, pos = [], batch.stdout, 0
    while pos < len(data):
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        if len(header) < 3 or header[1] != b"blob":
            pos = header_end + 1
            continue
        size = int(header[2])
        found.append(data[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return found


def parents(root: Path, rev: str = "HEAD") -> list[str]:
    """The parent commits of `rev` (none for a root commit or an empty repository)."""
    done = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--parents", "-n", "1", rev, "--"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.split()[1:] if done.returncode == 0 else []


def git_dir_state(git_dir: Path) -> str | None:
    """What git is in the middle of, if anything: a merge, a rebase, a cherry-pick or a revert."""
    for name, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
    ):
        if (git_dir / name).exists():
            return what
    return None


def last_commit_of(root: Path, path: str) -> str | None:
    """The short id of the last commit that changed `path`, to name it in a message."""
    done = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h", "--", path],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def export_index(root: Path, paths: Iterable[str], target: Path) -> None:
    """Write what git's index (the next commit) holds at `paths` into `target` (ciphertext and cleartext
    only: the hooks check a commit as files, with the same checks as the working tree)."""
    wanted = list(paths)
    if wanted:
        subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "checkout-index",
                "--force",
                f"--prefix={target}/",
                "--",
                *wanted,
            ],
            capture_output=True,
            check=True,
        )


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


def tracked_paths(root: Path, under: str = ".") -> list[str]:
    """The paths git tracks (in its index) at or under `under`, relative to root (run by git itself)."""
    done = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--", under], capture_output=True, check=False
    )
    return (
        [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]
        if done.returncode == 0
        else []
    )


def is_ignored(root: Path, path: str) -> bool:
    """True when git ignores `path` (relative to root): plaintext may live there."""
    gitpython = _module()
    try:
        open_repo(root).git.check_ignore("-q", "--no-index", "--", path)
    except gitpython.GitCommandError:
        return False
    return True


# -- history, for `cocrec history audit` and `purge` -----------------------------------
# These read git's objects as bytes, through git itself: a path may hold any byte, and the
# filter-repo callbacks compare paths, messages and ref names byte for byte.

ZERO_SHA = "0" * 40
GITLINK = "160000"  # a submodule's commit in a tree: not an object of this repository


def _git(root: Path, *args: str, stdin: bytes = b"", check: bool = True) -> bytes:
    command = ["git", "-C", str(root), *args]
    done = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if check and done.returncode != 0:
        reason = _last_line(done.stderr) or done.returncode
        raise RepoError(f"`git {args[0]}` failed ({reason}): run `git status` and try again")
    return done.stdout


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    return ([line for line in lines if line] or [""])[-1]


@dataclass(frozen=True)
class Version:
    """A blob that a commit wrote at a path: one historical version of a file."""

    commit: str
    path: str
    blob: str


def all_objects(root: Path) -> dict[str, str]:
    """Every object git holds, reachable or not (loose and packed), by id: its type."""
    check = "--batch-check=%(objectname) %(objecttype)"
    text = _git(root, "cat-file", "--batch-all-objects", check).decode()
    return dict(line.split(" ", 1) for line in text.splitlines() if line)


def commit_versions(root: Path, commits: Iterable[str]) -> list[Version]:
    """Every (commit, path, blob) that each of `commits` wrote (its diff against each parent; a
    root commit writes all it holds). Given every commit there is, this is every version of every
    file."""
    wanted = "\n".join(commits)
    if not wanted:
        return []
    args = ["--stdin", "--no-walk=unsorted", "-m", "--root", "--raw", "-z", "--no-abbrev"]
    out = _git(root, "log", *args, "--no-renames", "--format=%x01%H", stdin=wanted.encode())
    found: dict[tuple[str, str, str], Version] = {}
    commit, meta = "", None
    for token in out.decode("utf-8", "surrogateescape").split("\0"):
        token = token.lstrip("\n")
        if meta is not None:
            mode, blob = meta.split()[1], meta.split()[3]
            if blob != ZERO_SHA and mode != GITLINK:  # a deletion writes no version
                found.setdefault((commit, token, blob), Version(commit, token, blob))
            meta = None
        elif token.startswith("\x01"):
            commit = token[1:].strip()
        elif token.startswith(":"):
            meta = token
    return list(found.values())


def refs(root: Path) -> dict[str, str]:
    """Every ref (branches, tags, remotes, notes, the stash, anything under refs/): its object."""
    out = _git(root, "for-each-ref", "--format=%(objectname) %(refname)")
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    return {name: sha for sha, name in (line.split(" ", 1) for line in lines if line)}


def _reachable(root: Path, *revs: str) -> set[str]:
    # --stdin: with no revision at all (no reflog entry left, say) rev-list prints nothing, not
    # its usage
    return set(_git(root, "rev-list", "--stdin", *revs).decode().split()) if revs else set()


def stash_commits(root: Path) -> list[str]:
    """Every stash entry (newest first), not only the one refs/stash points at."""
    if "refs/stash" not in refs(root):
        return []
    return _git(root, "log", "--walk-reflogs", "--format=%H", "refs/stash").decode().split()


def commit_places(root: Path) -> dict[str, str]:
    """Where each commit is reachable from: `history` (branches, tags, remotes, HEAD, any ref),
    else `stash` (a stash entry, with its index and untracked-files commits), `notes`, `reflog`.
    A commit absent from the answer is unreachable: only a `git gc --prune` would remove it."""
    names = refs(root)
    notes = [name for name in names if name.startswith("refs/notes/")]
    head = ["HEAD"] if _has_head(root) else []
    history = _reachable(root, "--exclude=refs/stash", "--exclude=refs/notes/*", "--all", *head)
    places = dict.fromkeys(history, "history")
    for place, revs in (("stash", stash_commits(root)), ("notes", notes), ("reflog", ["--reflog"])):
        for sha in _reachable(root, *revs) if revs else ():
            places.setdefault(sha, place)
    return places


def _has_head(root: Path) -> bool:
    return bool(_git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip())


def paths_at(root: Path, rev: str, under: str) -> list[str]:
    """The files under `under` in `rev`'s tree."""
    out = _git(root, "ls-tree", "-r", "-z", "--name-only", rev, "--", under)
    return [path for path in out.decode("utf-8", "surrogateescape").split("\0") if path]


def blob_at(root: Path, rev: str, path: str) -> str | None:
    """The blob id of `path` in `rev`, or None when it has no such file."""
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}:{path}", check=False).strip()
    return out.decode() or None


def head_ref(root: Path) -> str | None:
    """The branch HEAD names (refs/heads/...), or None when it is detached."""
    out = _git(root, "symbolic-ref", "--quiet", "HEAD", check=False).strip()
    return out.decode("utf-8", "surrogateescape") or None


def git_dir(root: Path) -> Path:
    return Path(_git(root, "rev-parse", "--absolute-git-dir").decode().strip())


# Files in .git that hold text from the history: reflog messages (each a commit's subject), the last
# messages typed, FETCH_HEAD's branch names, the ref map filter-repo writes.
GIT_TEXT_FILES = (
    "COMMIT_EDITMSG", "MERGE_MSG", "SQUASH_MSG", "TAG_EDITMSG", "NOTES_EDITMSG", "FETCH_HEAD",
    "filter-repo/ref-map",
)  # fmt: skip


def git_text_files(root: Path) -> dict[str, bytes]:
    """Those files, by their path inside .git, and every reflog (logs/...)."""
    base = git_dir(root)
    found = {name: (base / name).read_bytes() for name in GIT_TEXT_FILES if (base / name).is_file()}
    logs = base / "logs"
    for path in sorted(logs.rglob("*")) if logs.is_dir() else []:
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(base))] = path.read_bytes()
    return found


def remove_git_files(root: Path, names: Iterable[str]) -> None:
    """Delete those of GIT_TEXT_FILES named (a reflog is emptied by `drop_unreachable` instead)."""
    base = git_dir(root)
    for name in names:
        if name in GIT_TEXT_FILES:
            (base / name).unlink(missing_ok=True)


def drop_stash(root: Path) -> None:
    _git(root, "stash", "clear")


def commit_map(root: Path) -> dict[str, str]:
    """What git-filter-repo made of each commit (old id -> new id): .git/filter-repo/commit-map."""
    path = git_dir(root) / "filter-repo" / "commit-map"
    if not path.is_file():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines()[1:])
    return {old: new for old, new in pairs if old != new}


def reattach_notes(root: Path, renamed: Mapping[str, str]) -> None:
    """Notes are filed under the id of the commit they annotate, so a rewrite leaves them on ids
    that no longer exist: file each again under the commit's new id, then drop the stale entries."""
    for name in [ref for ref in refs(root) if ref.startswith("refs/notes/")]:
        notes = f"--ref={name}"
        listed = _git(root, "notes", notes, "list").decode().split()
        for blob, annotated in zip(listed[::2], listed[1::2]):
            if annotated in renamed:
                _git(root, "notes", notes, "add", "--force", "-C", blob, renamed[annotated])
        _git(root, "notes", notes, "prune")


def set_head(root: Path, ref: str) -> None:
    _git(root, "symbolic-ref", "HEAD", ref)


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
    return bool(
        str(open_repo(root).git.status("--porcelain", "--untracked-files=all", "--", path)).strip()
    )


def remote_names(root: Path) -> list[str]:
    return _git(root, "remote").decode("utf-8", "surrogateescape").split()


def filter_repo_program() -> str | None:
    import shutil

    return shutil.which("git-filter-repo")


def filter_repo_installed() -> bool:
    return filter_repo_program() is not None


def filter_repo(root: Path, args: Iterable[str]) -> None:
    """Run `git filter-repo --force ARGS` (history is rewritten: the caller has asked first).

    It runs as a child that dies with cocrec (fsutil.run_child): its callbacks read a table of the
    original messages, and a filter-repo that outlived a killed cocrec would go on rewriting."""
    from .fsutil import run_child

    program = filter_repo_program()
    if program is None:
        raise RepoError("git-filter-repo is not installed")
    done = run_child([program, "--force", "--quiet", *args], root)
    if done.returncode != 0:
        reason = _last_line(done.stderr) or done.returncode
        raise RepoError(f"git filter-repo failed ({reason}): run `git status` and try again")


def drop_unreachable(root: Path) -> None:
    """Expire every reflog now and prune: no object that no ref reaches stays in the repository."""
    _git(root, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    _git(root, "gc", "--prune=now", "--quiet")
