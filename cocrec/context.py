"""What every command receives: the global options, resolved once, and lazy access to the repository."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Mapping, Optional, TextIO

from . import crypto
from .repo import Repo
from .store import Store


def ask_passphrase(path: str) -> str:
    """Ask once per command: each scrypt unlock costs about 2 s."""
    prompt = f"Passphrase for {path}: "
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n") if sys.stdin is not None else ""


@dataclass
class Context:
    repo_flag: Optional[str] = None
    identity_flags: tuple[str, ...] = ()
    debug: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdout: Optional[TextIO] = None
    stderr: Optional[TextIO] = None
    passphrase: Callable[[str], str] = ask_passphrase

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout or sys.stdout)

    def err(self, text: str) -> None:
        print(text, file=self.stderr or sys.stderr)

    @cached_property
    def repo(self) -> Repo:
        return Repo.find(self.repo_flag)

    @cached_property
    def identities(self) -> crypto.Identities:
        paths = crypto.resolve_identity_paths(self.identity_flags, self.env)
        return crypto.load_identities(paths, self.passphrase)

    @cached_property
    def store(self) -> Store:
        return Store(self.repo, lambda: self.identities)


def as_of_or_today(value: Optional[dt.date]) -> dt.date:
    from .dates import today

    return value if value is not None else today()


def resolve(path: str) -> Path:
    return Path(path).expanduser().resolve()
