"""Encrypting many records at once, on every core (cocrec.bulk), replacing none until all are safe.

Encryption is staged: each worker encrypts, verifies the result by decrypting it with the
writer's identity, and writes it to a temp file beside the record (`fsutil.stage`).
Nothing is replaced until every file is staged; `replace_all` then makes the batch durable
(one syncfs) and renames the files (each rename is atomic). A writer killed while staging leaves only temp files, which the next writer's
`Store.cleanup()` removes. A file that cannot be staged is a Problem in its place; the batch
then fails as one error, with nothing replaced.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import bulk, crypto, index
from .errors import EXIT_REPO, CocrecError, RepoError
from .fsutil import advice, fsync_dir, remove_stray_temps, stage, sync_files
from .problems import Problem


@dataclass(frozen=True)
class Staged:
    """A new ciphertext, verified and waiting in `tmp` beside `path`; or what stopped it.
    Neither: `reencrypt_all` left the file as it was."""

    path: Path
    source: str
    tmp: Path | None = None
    sha256: str = ""
    problem: Problem | None = None
    unwritable: bool = False  # the problem is the disk's (full, read-only), not the record's


@dataclass(frozen=True)
class Sealing:
    """What the batches of one worker share: the writer's identities (to verify each new file),
    the keys to encrypt to, and which files to leave as they are."""

    identities: crypto.Identities
    keys: tuple[str, ...]
    unless: tuple[crypto.Stanza, ...] | None = None  # leave files whose header names these


@dataclass(frozen=True)
class Sealer:
    """The setup of a bulk map that encrypts: plain data (pyrage keys do not pickle, their secret
    strings do) that builds the worker's `Sealing`."""

    secrets: tuple[str, ...] = field(repr=False)
    keys: tuple[str, ...]
    unless: tuple[crypto.Stanza, ...] | None = None

    @classmethod
    def of(
        cls,
        identities: crypto.Identities,
        keys: Sequence[str],
        unless: tuple[crypto.Stanza, ...] | None = None,
    ) -> Sealer:
        return cls(
            tuple(identities.to_secrets()), writer_first(keys, identities.public_keys), unless
        )

    def __call__(self) -> Sealing:
        return Sealing(crypto.Identities.from_secrets(self.secrets), self.keys, self.unless)


def writer_first(keys: Sequence[str], writer: Sequence[str]) -> tuple[str, ...]:
    """The keys with the writer's own first: verifying then finds its stanza at once (each X25519
    stanza tried before it costs a key agreement)."""
    mine = {crypto.normalize_key(k) for k in writer}
    return tuple(sorted(keys, key=lambda k: crypto.normalize_key(k) not in mine))


def _encrypt_one(item: tuple[Path, str, bytes], sealing: Sealing) -> Staged:
    path, source, plaintext = item
    try:
        ciphertext = crypto.encrypt(plaintext, sealing.keys)
        crypto.verify_roundtrip(ciphertext, plaintext, sealing.identities, source)
    except CocrecError as exc:
        return Staged(path, source, problem=Problem.of(exc, source))
    try:
        tmp = stage(path, ciphertext, durable=False)  # the batch is made durable at once
    except OSError as exc:
        said = (
            f"cannot write beside it ({exc.strerror}): nothing was replaced; {advice(exc)}, "
            "then run the command again"
        )
        return Staged(path, source, problem=Problem(source, said, EXIT_REPO), unwritable=True)
    return Staged(path, source, tmp, index.sha256(ciphertext))


def _reencrypt_one(item: tuple[Path, str], sealing: Sealing) -> Staged:
    path, source = item
    try:
        ciphertext = path.read_bytes()
        if sealing.unless is not None and _same(_recipients(ciphertext), sealing.unless):
            return Staged(path, source)  # left as it is
        plaintext = crypto.decrypt(ciphertext, sealing.identities, source)
    except CocrecError as exc:
        return Staged(path, source, problem=Problem.of(exc, source))
    except OSError as exc:
        return Staged(
            path, source, problem=Problem(source, f"cannot read it ({exc.strerror})", EXIT_REPO)
        )
    return _encrypt_one((path, source, plaintext), sealing)


def encrypt_all(
    items: Sequence[tuple[Path, str, bytes]],
    keys: Sequence[str],
    identities: crypto.Identities,
    progress: bulk.Progress = None,
) -> list[Staged]:
    """Encrypt each (path, display name, plaintext) to `keys`, verify it, stage it beside `path`."""
    with bulk.ordered(
        bulk.each(_encrypt_one), items, Sealer.of(identities, keys), progress, "encrypting"
    ) as staged:
        return list(staged)


def _recipients(ciphertext: bytes) -> tuple[crypto.Stanza, ...] | None:
    try:
        return tuple(crypto.header_recipients(ciphertext))
    except CocrecError:
        return None


def reencrypt_all(
    items: Sequence[tuple[Path, str]],
    keys: Sequence[str],
    identities: crypto.Identities,
    progress: bulk.Progress = None,
    unless: tuple[crypto.Stanza, ...] | None = None,
) -> list[Staged]:
    """Decrypt each (path, display name), encrypt it to `keys`, verify and stage it; the plaintext
    stays in the worker.

    With `unless`, a file whose age header names exactly those recipients is left as it is
    (a Staged with neither `tmp` nor `problem`): which of those are stale only the index can tell.
    """
    setup = Sealer.of(identities, keys, unless)
    with bulk.ordered(bulk.each(_reencrypt_one), items, setup, progress, "re-encrypting") as staged:
        return list(staged)


def _same(found: tuple[crypto.Stanza, ...] | None, wanted: tuple[crypto.Stanza, ...]) -> bool:
    return found is not None and sorted(found) == sorted(wanted)


def expected_stanzas(keys: Sequence[str]) -> tuple[crypto.Stanza, ...]:
    """The (type, tag) stanzas a file encrypted to exactly these keys carries (as
    crypto.header_recipients reads them)."""
    return tuple(sorted(crypto.stanza_of(k) for k in {crypto.normalize_key(k) for k in keys}))


def problems(staged: Sequence[Staged]) -> list[Problem]:
    return [item.problem for item in staged if item.problem is not None]


def discard(staged: Sequence[Staged]) -> None:
    """Remove the temp files of a batch that will not be written."""
    for item in staged:
        if item.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                item.tmp.unlink()


def replace_all(staged: Sequence[Staged]) -> None:
    """Make every staged file durable (one pass), rename each over its record (each rename is
    atomic), then make the renames durable."""
    sync_files([item.tmp for item in staged if item.tmp is not None])
    for item in staged:
        assert item.tmp is not None, "replace_all takes a batch without failures"
        os.replace(item.tmp, item.path)
    for directory in sorted({item.path.parent for item in staged}):
        fsync_dir(directory)


class NotWritten(RepoError):
    """The disk refused a write (full, read-only): one line for the whole batch, exit 4, whatever
    the command."""


class NotStaged(CocrecError):
    """Some files could not be encrypted and verified, so none was replaced. Reads as the first
    problem; `problems` holds each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(str(problems[0]), exit_code=problems[0].exit_code)
        self.problems = list(problems)


def write_staged(
    stage_all: Callable[[], list[Staged]],
    directory: Path,
    before_write: Callable[[list[Staged]], None] | None = None,
) -> list[Staged]:
    """Stage every file; only when all are verified, run `before_write` (given what was staged)
    and replace them.

    Any failure leaves every record as it was and no temp file behind
    (`directory` is swept when staging itself is interrupted). Raises NotStaged.
    """
    try:
        staged = stage_all()
    except BaseException:  # a worker died, or Ctrl-C: we hold the lock, every temp file is ours
        remove_stray_temps(directory)
        raise
    failed = [item for item in staged if item.problem is not None]
    if failed:
        discard(staged)
        unwritable = [item for item in failed if item.unwritable]
        if unwritable:  # the same cause for every file: one line, not a list
            raise NotWritten(str(unwritable[0].problem))
        raise NotStaged(problems(failed))
    try:
        if before_write is not None:
            before_write(staged)
    except OSError as exc:
        discard(staged)
        where = exc.filename or directory
        raise NotWritten(
            f"{where}: cannot write it ({exc.strerror}): nothing was replaced; {advice(exc)}, "
            "then run the command again"
        ) from None
    except BaseException:
        discard(staged)
        raise
    try:
        replace_all([item for item in staged if item.tmp is not None])
    except OSError as exc:
        discard(staged)
        raise NotWritten(
            f"{directory}: renaming the new files into place failed ({exc.strerror}): "
            "each record is its old or its new version, "
            f"none is lost; {advice(exc)}, then run the command again"
        ) from None
    except BaseException:
        discard(staged)
        raise
    return staged
