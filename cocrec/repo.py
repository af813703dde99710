"""A records repository on disk: where things are, what records/ holds, and the writer lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import RepoError, ValidationError

RECORD_SUFFIX = ".yaml.age"
INDEX_NAME = "index.yaml"
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = re.compile(r"^[0-9]{4}-[0-9a-hjkmnp-tv-z]{4}\Z")  # \Z: `$` would take "2026-k7qd\n"
POLICY_FILE = "cocrec.yaml"
MEMBERS_FILE = "members.yaml"
WORKSPACE_MANIFEST = ".cocrec-open.yaml"  # ciphertext hashes at `cocrec open`, no plaintext


LOCK_HELP = "cocrec keeps its writer lock there: remove what is there (cocrec makes the lock again), or make it writable"
_LOCK_PROBLEMS = {
    errno.ELOOP: "a symlink, not cocrec's lock file",
    errno.EISDIR: "a directory, not cocrec's lock file",
}


@dataclass(frozen=True)
class GitOperation:
    """A git operation that can stop half-way with conflicts: the file that says it is under way, and how to end it."""

    name: str
    marker: str
    go_on: str
    abort: str


GIT_OPERATIONS = (
    GitOperation("merge", "MERGE_HEAD", "git commit", "git merge --abort"),
    GitOperation("rebase", "rebase-merge", "git rebase --continue", "git rebase --abort"),
    GitOperation("rebase", "rebase-apply", "git rebase --continue", "git rebase --abort"),
    GitOperation(
        "cherry-pick", "CHERRY_PICK_HEAD", "git cherry-pick --continue", "git cherry-pick --abort"
    ),
    GitOperation("revert", "REVERT_HEAD", "git revert --continue", "git revert --abort"),
)


def conflict_advice(path: str, stages: frozenset[int], operation: GitOperation) -> str:
    """How to resolve one conflicted file so that no version is lost (pure). Stage 2 is the checked-out side,
    stage 3 the one coming in; `git show :3:PATH` still has it until the file is resolved."""
    if not path.endswith(RECORD_SUFFIX):
        return (
            f"{path}: changed on both sides: keep both changes by editing it (git marked them with <<<<<<< and >>>>>>>), "
            f"then `git add {path}`"
        )
    rid = Path(path).name[: -len(RECORD_SUFFIX)]
    aside = f"../{rid}.other.yaml.age"
    keep_aside = f"`git show :3:{path} > {aside}` (it stays encrypted)"
    keep_ours = f"`git checkout --ours {path}` and `git add {path}`"
    if stages == frozenset({2, 3}):
        return (
            f"{path}: both sides added a record with this id: two different incidents, keep both: save the incoming one with "
            f"{keep_aside}, keep this one with {keep_ours}; once the {operation.name} is done, `cocrec new --from {aside}` "
            "adds the other incident under a new id"
        )
    if 1 in stages and stages != frozenset({1, 2, 3}):
        return f"{path}: deleted on one side and changed on the other: keep it with `git checkout --{'ours' if 2 in stages else 'theirs'} {path}` and `git add {path}`, or drop it with `git rm {path}`"
    return (
        f"{path}: changed on both sides: save the incoming version with {keep_aside}, keep this one with {keep_ours}; "
        f"once the {operation.name} is done, `cocrec textconv {aside}` shows the other version: add its changes with `cocrec edit {rid}`"
    )


def new_record_id(year: int, taken: set[str] | frozenset[str]) -> str:
    """A random id `YYYY-xxxx`: no personal data in file names, no clash between branches."""
    while True:
        candidate = f"{year:04d}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(4))
        if candidate not in taken:
            return candidate


@dataclass(frozen=True)
class Repo:
    root: Path

    @classmethod
    def find(cls, explicit: str | None, cwd: Path | None = None) -> Repo:
        """The repository named by --repo, else the nearest parent holding cocrec.yaml."""
        if explicit is not None:
            root = Path(explicit).resolve()
            if not (root / POLICY_FILE).is_file():
                raise RepoError(
                    f"{root}: not a cocrec records repository (no {POLICY_FILE}); run `cocrec init {explicit}`"
                )
            return cls(root).refuse_conflicts()
        start = (cwd or Path.cwd()).resolve()
        for candidate in (start, *start.parents):
            if (candidate / POLICY_FILE).is_file():
                return cls(candidate).refuse_conflicts()
        raise RepoError(
            f"{start}: not inside a cocrec records repository; pass --repo PATH or run `cocrec init PATH`"
        )

    @cached_property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def index_path(self) -> Path:
        return self.records_dir / INDEX_NAME

    @property
    def policy_path(self) -> Path:
        return self.root / POLICY_FILE

    @property
    def members_path(self) -> Path:
        return self.root / MEMBERS_FILE

    @property
    def workspace_dir(self) -> Path:
        return self.root / "workspace"

    @property
    def workspace_manifest(self) -> Path:
        return self.workspace_dir / WORKSPACE_MANIFEST

    @property
    def git_dir(self) -> Path:
        dot_git = self.root / ".git"
        if dot_git.is_file():  # a worktree or submodule: ".git" names the real directory
            target = dot_git.read_text().strip().removeprefix("gitdir:").strip()
            return (self.root / target).resolve()
        return dot_git

    def record_path(self, record_id: str) -> Path:
        return self.records_dir / f"{record_id}{RECORD_SUFFIX}"

    def record_source(self, record_id: str) -> str:
        """`rel(record_path(record_id))` without building the path: `check` names each of 10,000 files several times."""
        return f"{self._records_prefix}{record_id}{RECORD_SUFFIX}"

    @cached_property
    def _records_prefix(self) -> str:
        return self.rel(self.records_dir) + os.sep

    def rel(self, path: Path) -> str:
        """A path as the user sees it in messages: relative to the repository root.

        By string prefix, as `Path.relative_to` does without building paths: `check` names every
        file several times."""
        text, root = str(path), str(self.root)
        if text == root:
            return "."
        prefix = root if root.endswith(os.sep) else root + os.sep
        return text[len(prefix) :] if text.startswith(prefix) else text

    def record_files(self) -> dict[str, Path]:
        """Every record file by id, sorted; refuses symlinks, misnamed record files and a directory named like one."""
        found: dict[str, Path] = {}
        if not self.records_dir.is_dir():
            return found
        with os.scandir(
            self.records_dir
        ) as entries:  # the entries know their type: no stat per file
            listed = sorted(
                (entry.name, entry.is_symlink(), entry.is_file(follow_symlinks=False))
                for entry in entries
                if entry.name.endswith(RECORD_SUFFIX)
            )
        known = self._record_names
        for name, is_symlink, is_file in listed:
            if is_symlink:
                raise RepoError(
                    f"{self.rel(self.records_dir / name)}: records may not be symlinks; replace it with the file itself"
                )
            if not is_file:
                raise RepoError(
                    f"{self.rel(self.records_dir / name)}: not a file (a directory?), but named like a record; move it out of records/"
                )
            if (named := known.get(name)) is None:
                named = known[name] = self._named_record(name)
            found[named[0]] = named[1]
        return found

    def __reduce__(self) -> tuple[type[Repo], tuple[Path]]:
        """A repository crosses to another process as its root alone, never with what it remembers."""
        return Repo, (self.root,)

    @cached_property
    def _record_names(self) -> dict[str, tuple[str, Path]]:
        """The id and path of each record file name seen so far. Both follow from the name alone, so
        each listing still reads the directory afresh but builds a path only for a name it has not
        seen: `check` lists 10,000 files several times."""
        return {}

    def _named_record(self, name: str) -> tuple[str, Path]:
        record_id = name[: -len(RECORD_SUFFIX)]
        if not ID_PATTERN.match(record_id):
            raise ValidationError(
                self.rel(self.records_dir / name),
                "",
                "file name is not a record id (YYYY-xxxx.yaml.age); rename it",
            )
        return record_id, self.record_path(record_id)

    def stray_files(self) -> list[str]:
        """Names in records/ that are neither record files nor the index (plaintext left behind, say)."""
        if not self.records_dir.is_dir():
            return []
        with os.scandir(self.records_dir) as entries:
            return sorted(
                self.rel(Path(entry.path))
                for entry in entries
                if entry.is_symlink()
                or not (entry.name.endswith(RECORD_SUFFIX) or entry.name == INDEX_NAME)
            )

    def workspace_files(self) -> list[Path]:
        """Plaintext a member opened with `cocrec open` and has not sealed yet."""
        if not self.workspace_dir.is_dir():
            return []
        return sorted(
            p for p in self.workspace_dir.rglob("*") if p.is_file() and p != self.workspace_manifest
        )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One cocrec writer at a time. flock is released by the kernel if the holder dies, so no stale lock."""
        lock_dir = self.git_dir if self.git_dir.is_dir() else self.root
        path = lock_dir / "cocrec.lock"
        fd = self._open_lock(path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise RepoError(
                        f"{self.rel(path)}: another cocrec command is writing to this repository; wait for it to finish"
                    ) from None
                raise RepoError(
                    f"{self.rel(path)}: cannot lock it ({exc.strerror}): {LOCK_HELP}"
                ) from None
            yield
        finally:
            os.close(fd)

    def _open_lock(self, path: Path) -> int:
        """The lock file, opened without following a link: whatever else is found there is one line, not a traceback."""
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            verb = "open" if os.path.lexists(path) else "create"
            hint = (
                ": an immutable file or directory? see `lsattr`" if exc.errno == errno.EPERM else ""
            )
            problem = _LOCK_PROBLEMS.get(exc.errno or 0, f"cannot {verb} it ({exc.strerror}{hint})")
            raise RepoError(f"{self.rel(path)}: {problem}: {LOCK_HELP}") from None

    # -- a merge, rebase or cherry-pick in progress ------------------------------------------

    def operation_in_progress(self) -> GitOperation | None:
        """The git operation this clone is in the middle of, if any (git leaves these files in its directory)."""
        git_dir = self.git_dir
        for operation in GIT_OPERATIONS:
            if (git_dir / operation.marker).exists():
                return operation
        return None

    def refuse_conflicts(self) -> Repo:
        """This repository, unless a merge (rebase, cherry-pick) left a record, members.yaml or cocrec.yaml in
        conflict: then every such file is listed with how to resolve it, and nothing reads a side of it as the
        truth. Costs a few stat calls when no operation is in progress."""
        operation = self.operation_in_progress()
        if operation is None:
            return self
        from . import git

        try:
            conflicts = git.unmerged(self.root, ["records", POLICY_FILE, MEMBERS_FILE])
        except RepoError:
            return self
        lines = [
            conflict_advice(path, stages, operation)
            for path, stages in conflicts.items()
            if path != f"records/{INDEX_NAME}"
        ]
        if not lines:
            return self
        raise RepoError(
            f"a git {operation.name} is in progress and the {len(lines)} file(s) above conflict: resolve each as it says, "
            f"then `cocrec index`, `git add records/index.yaml` and `{operation.go_on}` (or `{operation.abort}`)",
            details=tuple(lines),
        )
