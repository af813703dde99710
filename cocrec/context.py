"""What every command receives: the global options, resolved once, and lazy access to the repository."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from . import crypto
from .repo import Repo
from .store import Store


def ask_passphrase(path: str) -> str:
    """Ask once per command: each unlock runs scrypt, which is slow on purpose."""
    prompt = f"Passphrase for {path}: "
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n") if sys.stdin is not None else ""


@dataclass
class Context:
    repo_flag: str | None = None
    identity_flags: tuple[str, ...] = ()
    debug: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    passphrase: Callable[[str], str] = ask_passphrase
    yes: bool = False  # the member's --yes: encrypt to member keys this clone has not accepted, without asking

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
        store = Store(self.repo, lambda: self.identities, self.err)
        store.env = self.env
        return store

    def writing(self, yes: bool | None = None) -> Store:
        """The store, for a command that writes: it refuses what no member signed, and asks before
        encrypting to keys this clone has not accepted (`yes` answers for the member)."""
        store = self.store
        store.strict = True
        store.consent = (lambda _question: True) if (self.yes if yes is None else yes) else self.ask
        return store

    def ask(self, question: str) -> bool:
        """Yes or no on the member's terminal; False where there is none (then `--yes` is needed)."""
        if sys.stdin is None or not sys.stdin.isatty():
            return False
        import click

        return bool(click.confirm(question, default=False, err=True))

    def exit_code(self, code: int) -> int:
        """A reading command that left out a record no member signed exits 1 (SPEC section 10)."""
        store = self.__dict__.get("store")
        if code == 0 and store is not None and store.left_out:
            return 1
        return code


def resolve(path: str) -> Path:
    return Path(path).expanduser().resolve()
