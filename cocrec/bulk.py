"""Decrypting and encrypting many records at once, on every core.

pyrage holds the GIL (threads gave 0.96x here) while two processes gave
1.85-2.0x, so large batches go to a process pool. pyrage objects cannot be
pickled: workers rebuild the identities once from their secret strings, and
get the recipients as key strings.

Encryption is staged: each worker encrypts, verifies the result by
decrypting it with the writer's identity, and writes it to a fsynced temp
file beside the record (`fsutil.stage`). Nothing is replaced until every
file is staged; `replace_all` then renames them, which takes milliseconds.
A writer killed while staging leaves only temp files, which the next
writer's `Store.cleanup()` removes.

Workers are forked, so they share the repository lock's open file: a worker
outliving a SIGKILLed parent would keep the lock held. Workers therefore ask
the kernel to kill them when their parent dies.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, NamedTuple, Optional, Sequence, TypeVar

from . import crypto, index, progress, redact, validate, yaml_io
from .errors import EXIT_REPO, CocrecError, RepoError
from .fsutil import advice, fsync_dir, remove_stray_temps, stage, sync_files
from .model import Members, StepName
from .policy import Policy
from .repo import RECORD_SUFFIX

POOL_THRESHOLD = 96  # below this, starting processes costs more than it saves
CHUNK = 32
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

T = TypeVar("T")
R = TypeVar("R")
Progress = Optional[Callable[[int], None]]


class Opened(NamedTuple):
    """One file decrypted and parsed, or the one-line error that stopped it (in the order of the files asked for).

    With a `Checker`, the worker also validates the document: `invalid` holds
    (file, message) of each problem; `text_hits` the (step, field path) of
    text that survives expunge and names that step's people. Only plain data
    crosses back from a worker: pickling a Record costs more than building it,
    and unpickling a Path a quarter of that (the caller has the paths). A named
    tuple unpickles in under half the time a dataclass takes.
    """

    file_sha: str
    stanzas: Optional[tuple[crypto.Stanza, ...]] = None  # the age header's recipients (None: not read, or it does not parse)
    plaintext: bytes = b""
    doc: Any = None
    error: Optional[str] = None
    exit_code: int = 0
    invalid: tuple[tuple[str, str], ...] = ()
    text_hits: tuple[tuple[StepName, str], ...] = ()


@dataclass(frozen=True)
class Checker:
    """Validates the records a worker opens: schema validation costs about a third of decrypting, so it is spread too.

    With `for_check`, the worker also gathers what only `check` reports: the text fields it warns
    about (`redact.general_text_hits`) and the number of recipients in the file's age header.
    """

    policy: Policy
    members: Members
    for_check: bool = False

    def check_all(self, opened: list[Opened], items: list[tuple[Path, str]]) -> list[Opened]:
        """`opened` with each parsed document's problems, then (`for_check`) its text hits: one step over all, then the next."""
        invalid = [() if item.error else self._errors(item.doc, source, path.name[: -len(RECORD_SUFFIX)]) for item, (path, source) in zip(opened, items)]
        opened = [item._replace(invalid=problems) if problems else item for item, problems in zip(opened, invalid)]
        if not self.for_check:
            return opened
        return [item if item.error or item.invalid else item._replace(text_hits=tuple(redact.general_text_hits(item.doc))) for item in opened]

    def _errors(self, doc: Any, source: str, expected_id: str) -> tuple[tuple[str, str], ...]:
        errors = validate.record_errors(doc, source, self.policy, self.members, expected_id=expected_id)
        return tuple((e.file, str(e)) for e in errors)  # plain strings cross process boundaries; ValidationError does not unpickle


@dataclass(frozen=True)
class Staged:
    """A new ciphertext, verified and waiting in `tmp` beside `path`; or the one-line error that stopped it."""

    path: Path
    source: str
    tmp: Optional[Path] = None
    sha256: str = ""
    error: Optional[str] = None
    exit_code: int = 0
    unwritable: bool = False  # the error is the disk's (full, read-only), not the record's


@dataclass(frozen=True)
class _Worker:
    identities: crypto.Identities
    keys: tuple[str, ...] = ()
    checker: Optional[Checker] = None
    unless: Optional[tuple[crypto.Stanza, ...]] = None  # reencrypt: leave files whose header names exactly these recipients


_worker: Optional[_Worker] = None


# -- the pool -------------------------------------------------------------------


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _context() -> Any:
    """fork: workers start in milliseconds and need not re-import pyrage (Linux, macOS)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _init_worker(secrets: list[str], keys: tuple[str, ...], checker: Optional[Checker], unless: Optional[tuple[crypto.Stanza, ...]], parent: int) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent)
    _worker = _Worker(crypto.Identities.from_secrets(secrets), keys, checker, unless)


def _die_with_parent(parent: int) -> None:
    """Exit when the parent dies: an orphaned worker would hold the repository lock (a shared flock)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


Batch = Callable[[list[T], _Worker], list[R]]  # the work on one chunk of items, a result for each


def _chunk(batch: Batch[T, R], items: list[T]) -> list[R]:
    assert _worker is not None
    return batch(items, _worker)


def _each(func: Callable[[T, _Worker], R], items: list[T], worker: _Worker) -> list[R]:
    """The batch that does `func` to one item after the other."""
    return [func(item, worker) for item in items]


@contextlib.contextmanager
def _advance(given: Progress, total: int, label: str) -> Iterator[Callable[[int], None]]:
    if given is not None:
        yield given
        return
    with progress.bar(total, label) as advance:
        yield advance


def _map(func: Callable[[T, _Worker], R], items: Sequence[T], worker: _Worker, given: Progress, label: str) -> list[R]:
    return list(_imap(partial(_each, func), items, worker, given, label))


def _imap(
    batch: Batch[T, R], items: Sequence[T], worker: _Worker, given: Progress, label: str, started: Callable[[], None] = lambda: None
) -> Generator[R, None, None]:
    """`batch` over `items` a chunk at a time, in order, each chunk's results as soon as they are ready:
    in this process for small batches, else in a process pool (the caller's work on one chunk overlaps the
    workers' on the next). `started` runs once the work is handed out: work of the caller's that it starts
    (in a thread, say) then overlaps the workers' rather than delaying them."""
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    with _advance(given, len(items), label) as advance:
        if len(items) < POOL_THRESHOLD or workers() == 1:
            started()
            for chunk in chunks:
                yield from batch(chunk, worker)
                advance(len(chunk))
            return
        yield from _pooled(batch, chunks, worker, advance, started)


def _pooled(batch: Batch[T, R], chunks: list[list[T]], worker: _Worker, advance: Callable[[int], None], started: Callable[[], None]) -> Iterator[R]:
    setup = (worker.identities.to_secrets(), worker.keys, worker.checker, worker.unless, os.getpid())
    pool = ProcessPoolExecutor(workers(), _context(), _init_worker, setup)
    try:
        results = pool.map(partial(_chunk, batch), chunks)
        started()
        for done in results:
            yield from done
            advance(len(done))
    except BrokenProcessPool:
        raise CocrecError("a worker process stopped (killed, or out of memory): nothing was changed; run the command again") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C or an abandoned iterator, do not run the queued chunks


# -- decrypting -------------------------------------------------------------------


def _open_batch(items: list[tuple[Path, str]], worker: _Worker) -> list[Opened]:
    """Each step over the whole chunk before the next. Done file by file, decrypting (in Rust) and parsing
    and validating (in Python) evict each other's code and data from the CPU's caches: `check`'s workers
    took 10-15% more CPU that way (and 15-20% more in one process)."""
    counting = worker.checker is not None and worker.checker.for_check
    ciphertexts = [path.read_bytes() for path, _ in items]
    plaintexts = [_attempt(crypto.decrypt, ciphertext, worker.identities, source) for ciphertext, (_, source) in zip(ciphertexts, items)]
    docs = [plain if isinstance(plain, CocrecError) else _attempt(yaml_io.loads, plain, source) for plain, (_, source) in zip(plaintexts, items)]
    opened = [_opened(*each, counting) for each in zip(ciphertexts, plaintexts, docs)]
    return opened if worker.checker is None else worker.checker.check_all(opened, items)


def _opened(ciphertext: bytes, plaintext: bytes | CocrecError, doc: Any, counting: bool) -> Opened:
    file_sha = index.sha256(ciphertext)
    if isinstance(plaintext, CocrecError):
        return Opened(file_sha, _recipients(ciphertext) if counting else None, error=str(plaintext), exit_code=plaintext.exit_code)
    stanzas = crypto.recipient_stanzas(ciphertext) if counting else None  # it opened: its header is sound
    if isinstance(doc, CocrecError):
        return Opened(file_sha, stanzas, error=str(doc), exit_code=doc.exit_code)
    return Opened(file_sha, stanzas, plaintext, doc)


def _attempt(step: Callable[..., Any], *args: Any) -> Any:
    """The step's result, or the CocrecError it raised (the file's own one-line error)."""
    try:
        return step(*args)
    except CocrecError as exc:
        return exc


def open_all(
    items: Sequence[tuple[Path, str]], identities: crypto.Identities, progress: Progress = None, checker: Optional[Checker] = None
) -> list[Opened]:
    """Decrypt and parse each (path, display name), in order, validating with `checker`; errors are returned, not raised."""
    return list(open_each(items, identities, progress, checker))


def open_each(
    items: Sequence[tuple[Path, str]],
    identities: crypto.Identities,
    progress: Progress = None,
    checker: Optional[Checker] = None,
    started: Callable[[], None] = lambda: None,
) -> Generator[Opened, None, None]:
    """`open_all`, yielding each file as soon as it is opened; exhaust or close the iterator to stop the workers.
    `started` runs once the workers have their work (see `_imap`)."""
    return _imap(_open_batch, items, _Worker(identities, (), checker), progress, "decrypting", started)


# -- encrypting -------------------------------------------------------------------


def writer_first(keys: Sequence[str], writer: Sequence[str]) -> tuple[str, ...]:
    """The keys with the writer's own first: verifying then finds its stanza at once (each one skipped costs ~50 us)."""
    mine = {crypto.normalize_key(k) for k in writer}
    return tuple(sorted(keys, key=lambda k: crypto.normalize_key(k) not in mine))


def _encrypt_one(item: tuple[Path, str, bytes], worker: _Worker) -> Staged:
    path, source, plaintext = item
    try:
        ciphertext = crypto.encrypt(plaintext, worker.keys)
        crypto.verify_roundtrip(ciphertext, plaintext, worker.identities, source)
    except CocrecError as exc:
        return Staged(path, source, error=str(exc), exit_code=exc.exit_code)
    try:
        tmp = stage(path, ciphertext, durable=False)  # the whole batch is made durable at once (write_staged)
    except OSError as exc:
        error = f"{source}: cannot write beside it ({exc.strerror}): nothing was replaced; {advice(exc)}"
        return Staged(path, source, error=f"{error}, then run the command again", exit_code=EXIT_REPO, unwritable=True)
    return Staged(path, source, tmp, index.sha256(ciphertext))


def _reencrypt_one(item: tuple[Path, str], worker: _Worker) -> Staged:
    path, source = item
    try:
        ciphertext = path.read_bytes()
        if worker.unless is not None and _same(_recipients(ciphertext), worker.unless):
            return Staged(path, source)  # left as it is
        plaintext = crypto.decrypt(ciphertext, worker.identities, source)
    except CocrecError as exc:
        return Staged(path, source, error=str(exc), exit_code=exc.exit_code)
    except OSError as exc:
        return Staged(path, source, error=f"{source}: cannot read it ({exc.strerror})", exit_code=4)
    return _encrypt_one((path, source, plaintext), worker)


def encrypt_all(
    items: Sequence[tuple[Path, str, bytes]], keys: Sequence[str], identities: crypto.Identities, progress: Progress = None
) -> list[Staged]:
    """Encrypt each (path, display name, plaintext) to `keys`, verify it and stage it beside `path`."""
    return _map(_encrypt_one, items, _Worker(identities, writer_first(keys, identities.public_keys)), progress, "encrypting")


def _recipients(ciphertext: bytes) -> Optional[tuple[crypto.Stanza, ...]]:
    try:
        return tuple(crypto.header_recipients(ciphertext))
    except CocrecError:
        return None


def reencrypt_all(
    items: Sequence[tuple[Path, str]],
    keys: Sequence[str],
    identities: crypto.Identities,
    progress: Progress = None,
    unless: Optional[tuple[crypto.Stanza, ...]] = None,
) -> list[Staged]:
    """Decrypt each (path, display name), encrypt it to `keys`, verify and stage it; the plaintext stays in the worker.

    With `unless`, a file whose age header names exactly those recipients is left as it is
    (a Staged with neither `tmp` nor `error`): which of those are stale only the index can tell.
    """
    worker = _Worker(identities, writer_first(keys, identities.public_keys), unless=unless)
    return _map(_reencrypt_one, items, worker, progress, "re-encrypting")


def _same(found: Optional[tuple[crypto.Stanza, ...]], wanted: tuple[crypto.Stanza, ...]) -> bool:
    return found is not None and sorted(found) == sorted(wanted)


def expected_stanzas(keys: Sequence[str]) -> tuple[crypto.Stanza, ...]:
    """The (type, tag) stanzas a file encrypted to exactly these keys carries (cocrec.crypto.header_recipients)."""
    return tuple(sorted(crypto.stanza_of(k) for k in {crypto.normalize_key(k) for k in keys}))


def failures(staged: Sequence[Staged]) -> list[Staged]:
    return [item for item in staged if item.error is not None]


def staged_only(staged: Sequence[Staged]) -> list[Staged]:
    """What `reencrypt_all(..., unless=...)` did stage or fail on, without the files it left."""
    return [item for item in staged if item.tmp is not None or item.error is not None]


def discard(staged: Sequence[Staged]) -> None:
    """Remove the temp files of a batch that will not be written."""
    for item in staged:
        if item.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                item.tmp.unlink()


def replace_all(staged: Sequence[Staged]) -> None:
    """Make every staged file durable (one pass), rename each over its record (each rename is atomic),
    then make the renames durable."""
    sync_files([item.tmp for item in staged if item.tmp is not None])
    for item in staged:
        assert item.tmp is not None, "replace_all takes a batch without failures"
        os.replace(item.tmp, item.path)
    for directory in sorted({item.path.parent for item in staged}):
        fsync_dir(directory)


class NotWritten(RepoError):
    """The disk refused a write (full, read-only): one line for the whole batch, exit 4, whatever the command."""


class NotStaged(CocrecError):
    """Some files could not be encrypted and verified, so none was replaced. Reads as the first failure."""

    def __init__(self, failed: Sequence[Staged]) -> None:
        super().__init__(str(failed[0].error), exit_code=failed[0].exit_code)
        self.failed = list(failed)


def write_staged(
    stage_all: Callable[[], list[Staged]], directory: Path, before_write: Optional[Callable[[list[Staged]], None]] = None
) -> list[Staged]:
    """Stage every file; only when all are verified, run `before_write` (given what was staged) and replace them.

    Any failure leaves every record as it was and no temp file behind
    (`directory` is swept when staging itself is interrupted). Raises NotStaged.
    """
    try:
        staged = stage_all()
    except BaseException:  # a worker died, or Ctrl-C: the caller holds the lock, every temp file there is ours
        remove_stray_temps(directory)
        raise
    failed = failures(staged)
    if failed:
        discard(staged)
        unwritable = [item for item in failed if item.unwritable]
        if unwritable:  # the same cause for every file: one line, not a list
            raise NotWritten(str(unwritable[0].error))
        raise NotStaged(failed)
    try:
        if before_write is not None:
            before_write(staged)
    except OSError as exc:
        discard(staged)
        where = exc.filename or directory
        raise NotWritten(
            f"{where}: cannot write it ({exc.strerror}): nothing was replaced; {advice(exc)}, then run the command again"
        ) from None
    except BaseException:
        discard(staged)
        raise
    try:
        replace_all([item for item in staged if item.tmp is not None])
    except OSError as exc:
        discard(staged)
        raise NotWritten(
            f"{directory}: renaming the new files into place failed ({exc.strerror}): each record is its old or its new version, "
            f"none is lost; {advice(exc)}, then run the command again"
        ) from None
    except BaseException:
        discard(staged)
        raise
    return staged
