"""A member's typing that could not be written, kept encrypted to their own key until they come back to it.

When `edit` or `new` cannot write what the member typed (someone else changed the record meanwhile,
a problem they chose not to fix, a disk that refused the write), the text is kept in the clone's git
directory, `.git/cocrec/drafts/`, where no commit can reach it: age-encrypted to the public keys of
the identity in use (so only that member opens it), mode 0600 in a 0700 directory. A draft of an
edit is named by its record id (`ID.age`), a draft of a new record by a random id (`new-XXXXXXXX.age`):
no name says anything about what is in it. Beside the text, a draft of an edit keeps the record as
it was when the edit began, so that resuming can say which fields someone else changed meanwhile.

The next `cocrec edit ID` or `cocrec new` offers to resume it; a draft goes once its text is written
(or the member discards it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import crypto, editor, yaml_io
from .errors import CocrecError, DecryptError, UsageError, ValidationError
from .fsutil import atomic_write
from .prompts import Confirm

DIRECTORY = "drafts"
NEW_PREFIX = "new-"
SUFFIX = ".age"
SHOWN = ".git/cocrec/drafts"


@dataclass(frozen=True)
class Draft:
    """What the member typed (`text`), and for an edit the record's text it started from (`base`)."""

    path: Path
    record_id: str | None  # None: a new record
    text: bytes
    base: bytes | None = None


def directory_of(git_dir: Path) -> Path | None:
    """Where drafts live (None outside a git clone: there is nowhere private to keep them)."""
    return git_dir / "cocrec" / DIRECTORY if git_dir.is_dir() else None


def keep(
    git_dir: Path,
    identities: crypto.Identities,
    text: bytes,
    record_id: str | None = None,
    base: bytes | None = None,
) -> Path | None:
    """Encrypt `text` to the member's own keys and keep it; returns where, or None when it cannot be kept."""
    directory = directory_of(git_dir)
    mine = identities.public_keys
    if directory is None or not mine:
        return None
    name = f"{record_id}{SUFFIX}" if record_id else f"{NEW_PREFIX}{secrets.token_hex(4)}{SUFFIX}"
    header = {
        "version": 1,
        "record": record_id,
        "text": len(text),
        "base": None if base is None else len(base),
    }
    payload = json.dumps(header).encode() + b"\n" + text + (base or b"")
    try:
        ciphertext = crypto.encrypt(payload, mine)
        directory.parent.mkdir(mode=0o700, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        atomic_write(directory / name, ciphertext, 0o600)
    except (OSError, CocrecError):
        return None
    return directory / name


def for_record(git_dir: Path, record_id: str) -> Path | None:
    directory = directory_of(git_dir)
    path = directory / f"{record_id}{SUFFIX}" if directory is not None else None
    return path if path is not None and path.is_file() else None


def new_records(git_dir: Path) -> list[Path]:
    """Drafts of new records, oldest first."""
    directory = directory_of(git_dir)
    if directory is None or not directory.is_dir():
        return []
    found = [p for p in directory.glob(f"{NEW_PREFIX}*{SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def load(path: Path, identities: crypto.Identities, drop: str = "") -> Draft:
    """Decrypt a draft (CocrecError when it cannot be read: the member is told where it is, and `drop`, how to drop it)."""
    shown = f"{SHOWN}/{path.name}"
    try:
        payload = crypto.decrypt(path.read_bytes(), identities, shown)
    except CocrecError:
        raise DecryptError(
            f"{shown}: your identity cannot open it (text typed here, kept encrypted to the key used then): "
            f"use that identity (`-i PATH`), or drop it with `{drop}`"
        ) from None
    head, _, rest = payload.partition(b"\n")
    try:
        header: dict[str, Any] = json.loads(head)
        length = int(header["text"])
        base_length = header.get("base")
        text = rest[:length]
        base = rest[length : length + int(base_length)] if base_length is not None else None
        record_id = header.get("record")
    except (ValueError, KeyError, TypeError):
        raise CocrecError(f"{shown}: not a draft cocrec wrote: run `{drop}`") from None
    return Draft(path, str(record_id) if record_id else None, text, base)


@dataclass(frozen=True)
class Offer:
    """How `edit` or `new` offers a kept draft back: `what` it is ("your edit of 2026-k7qd"), the
    `command` that resumes or drops it, what dropping it starts from (`afresh`), and what is said
    when --discard-draft drops it (`dropped`)."""

    what: str
    command: str
    afresh: str
    dropped: str

    @property
    def drop(self) -> str:
        return f"{self.command} --discard-draft"

    def question(self, note: str) -> str:
        return f"{self.what[:1].upper()}{self.what[1:]} is kept from an earlier run that could not write it{note}. Resume it? (no discards it)"

    def refusal(self, path: Path, note: str) -> UsageError:
        return UsageError(
            f"{SHOWN}/{path.name}: {self.what} is kept from an earlier run{note}: run `{self.command} --resume` "
            f"to continue it, or `{self.drop}` to {self.afresh}"
        )


def resumes(
    path: Path,
    resume: bool | None,
    confirm: Confirm,
    offer: Offer,
    err: Callable[[str], None],
    note: Callable[[], str] = lambda: "",
) -> bool:
    """Whether the member resumes the draft kept at `path`: --resume (`resume` True), --discard-draft
    (False), else their answer on the terminal (`note` adds to the question what they should know);
    refused without a terminal, saying what to run. A draft not resumed is discarded."""
    if resume is False:
        discard(path)
        err(f"cocrec: {offer.dropped}")
        return False
    if resume is None:
        said = note()
        answer = confirm(offer.question(said))
        if answer is None:
            raise offer.refusal(path, said)
        if not answer:
            discard(path)
            return False
    return True


def discard(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def changed_fields(base: bytes | None, now: bytes, drop: str = "--discard-draft") -> list[str]:
    """The top-level fields that differ between the record as the edit began and as it is now (names only).

    A record expunged since (a step in its `expunged` that the edit's start had not) is refused instead:
    the kept text still holds what retention removed, and resuming it would write that back (`drop`
    is the command that drops it)."""
    if base is None or base == now:
        return []
    try:
        before, after = yaml_io.loads(base, "draft"), yaml_io.loads(now, "record")
    except CocrecError:
        return ["(the record)"]
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ["(the record)"]
    steps = set(_expunged(after)) - set(_expunged(before))
    if steps:
        raise CocrecError(
            f"{SHOWN}: the record was expunged ({', '.join(sorted(steps))}) since your edit was kept, and your "
            f"kept text still holds what was removed: drop it with `{drop}` and make your change again"
        )
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def _expunged(doc: dict[str, Any]) -> list[str]:
    marker = doc.get("expunged")
    return [str(step) for step in marker] if isinstance(marker, (dict, list)) else []


def kept_line(path: Path | None, resume: str) -> str:
    """What the member is told of their kept text (or that it could not be kept)."""
    if path is None:
        return "your text could not be kept (no git directory, or no public key of your identity is known)"
    return (
        f"your text is kept, encrypted to your key, in {SHOWN}/{path.name}: `{resume}` continues it"
    )


@contextlib.contextmanager
def kept_if_refused(keep: Callable[[bytes], str], text: bytes) -> Iterator[None]:
    """Writing the member's text: when it fails, the text is kept (`keep`) and the error says where."""
    try:
        yield
    except CocrecError as exc:
        raise CocrecError(
            f"{exc}; {keep(text)}", exit_code=exc.exit_code, details=exc.details
        ) from None


T = TypeVar("T")


def edit_keeping(
    initial: bytes,
    name: str,
    accept: Callable[[bytes], T],
    env: Mapping[str, str],
    draft: Draft | None,
    keep: Callable[[bytes], str],
    not_done: str,
) -> editor.Edited[T]:
    """The member's editor on `initial` until `accept` takes it (cocrec.editor.edit_loop). Text
    they choose not to fix is kept (`keep` says where, and the error says so with `not_done`:
    "nothing was written"); a resumed draft looked at and left as it was counts as changed."""
    kept: list[str] = []
    try:
        result = editor.edit_loop(
            initial,
            name,
            accept,
            editor.editor_command(env),
            editor.ask_reopen,
            declined=lambda text: kept.append(keep(text)),
        )
    except ValidationError as exc:
        if not kept:
            raise
        raise CocrecError(f"{exc}; {not_done}; {kept[0]}", exit_code=exc.exit_code) from None
    if result.status == "unchanged" and draft is not None:  # resumed, looked at, left as it was
        return editor.Edited("changed", accept(draft.text), draft.text)
    return result
