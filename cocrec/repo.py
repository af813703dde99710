"""A records repository on disk: where things are, what records/ holds, and the writer lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterator, Optional

from .errors import RepoError, ValidationError

RECORD_SUFFIX = ".yaml.age"
INDEX_NAME = "index.yaml"
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = re.compile(r"^[0-9]{4}-[0-9a-hjkmnp-tv-z]{4}$")
POLICY_FILE = "cocrec.yaml"
MEMBERS_FILE = "members.yaml"
WORKSPACE_MANIFEST = ".cocrec-open.yaml"  # ciphertext hashes at `cocrec open`, no plaintext


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
    def find(cls, explicit: Optional[str], cwd: Optional[Path] = None) -> Repo:
        """The repository named by --repo, else the nearest parent holding cocrec.yaml."""
        if explicit is not None:
            root = Path(explicit).resolve()
            if not (root / POLICY_FILE).is_file():
                raise RepoError(f"{root}: not a cocrec records repository (no {POLICY_FILE}); run `cocrec init {explicit}`")
            return cls(root)
        start = (cwd or Path.cwd()).resolve()
        for candidate in (start, *start.parents):
            if (candidate / POLICY_FILE).is_file():
                return cls(candidate)
        raise RepoError(f"{start}: not inside a cocrec records repository; pass --repo PATH or run `cocrec init PATH`")

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

        By string prefix, as `Path.relative_to` does but 6x faster: `check` names every file several times."""
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
        with os.scandir(self.records_dir) as entries:  # the entries know their type: no stat per file
            listed = sorted((entry.name, entry.is_symlink(), entry.is_file(follow_symlinks=False)) for entry in entries if entry.name.endswith(RECORD_SUFFIX))
        for name, is_symlink, is_file in listed:
            path = self.records_dir / name
            if is_symlink:
                raise RepoError(f"{self.rel(path)}: records may not be symlinks; replace it with the file itself")
            if not is_file:
                raise RepoError(f"{self.rel(path)}: not a file (a directory?), but named like a record; move it out of records/")
            record_id = path.name[: -len(RECORD_SUFFIX)]
            if not ID_PATTERN.match(record_id):
                raise ValidationError(self.rel(path), "", "file name is not a record id (YYYY-xxxx.yaml.age); rename it")
            found[record_id] = path
        return found

    def stray_files(self) -> list[str]:
        """Names in records/ that are neither record files nor the index (plaintext left behind, say)."""
        if not self.records_dir.is_dir():
            return []
        with os.scandir(self.records_dir) as entries:
            return sorted(
                self.rel(Path(entry.path))
                for entry in entries
                if entry.is_symlink() or not (entry.name.endswith(RECORD_SUFFIX) or entry.name == INDEX_NAME)
            )

    def workspace_files(self) -> list[Path]:
        """Plaintext a member opened with `cocrec open` and has not sealed yet."""
        if not self.workspace_dir.is_dir():
            return []
        return sorted(p for p in self.workspace_dir.rglob("*") if p.is_file() and p != self.workspace_manifest)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One cocrec writer at a time. flock is released by the kernel if the holder dies, so no stale lock."""
        lock_dir = self.git_dir if self.git_dir.is_dir() else self.root
        path = lock_dir / "cocrec.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise RepoError(
                        f"{self.rel(path)}: another cocrec command is writing to this repository; wait for it to finish"
                    ) from None
                raise
            yield
        finally:
            os.close(fd)
