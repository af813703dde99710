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
from .errors import CocrecError
from .fsutil import fsync_dir, remove_stray_temps, stage
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
    stanzas: Optional[int] = None  # recipients in the age header (None: not counted, or the header does not parse)
    plaintext: bytes = b""
    doc: Any = None
    error: Optional[str] = None
    exit_code: int = 0
    invalid: tuple[tuple[str, str], ...] = ()
    text_hits: tuple[tuple[StepName, str], ...] = ()


@dataclass(frozen=True)
class Checker:
    """Validates one record in a worker: schema validation costs more than decrypting, so it is spread too.

    With `for_check`, the worker also gathers what only `check` reports: the text fields it warns
    about (`redact.general_text_hits`) and the number of recipients in the file's age header.
    """

    policy: Policy
    members: Members
    for_check: bool = False

    def __call__(self, doc: Any, source: str, expected_id: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[StepName, str], ...]]:
        errors = validate.record_errors(doc, source, self.policy, self.members, expected_id=expected_id)
        if errors:  # plain strings cross process boundaries; ValidationError does not unpickle
            return tuple((e.file, str(e)) for e in errors), ()
        if not self.for_check:
            return (), ()
        return (), tuple(redact.general_text_hits(doc))


@dataclass(frozen=True)
class Staged:
    """A new ciphertext, verified and waiting in `tmp` beside `path`; or the one-line error that stopped it."""

    path: Path
    source: str
    tmp: Optional[Path] = None
    sha256: str = ""
    error: Optional[str] = None
    exit_code: int = 0


@dataclass(frozen=True)
class _Worker:
    identities: crypto.Identities
    keys: tuple[str, ...] = ()
    checker: Optional[Checker] = None
    unless_count: Optional[int] = None  # reencrypt: leave files whose header already holds this many recipients


_worker: Optional[_Worker] = None


# -- the pool -------------------------------------------------------------------


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _context() -> Any:
    """fork: workers start in milliseconds and need not re-import pyrage (Linux, macOS)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _init_worker(secrets: list[str], keys: tuple[str, ...], checker: Optional[Checker], unless_count: Optional[int], parent: int) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent)
    _worker = _Worker(crypto.Identities.from_secrets(secrets), keys, checker, unless_count)


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


def _chunk(func: Callable[[T, _Worker], R], items: list[T]) -> list[R]:
    assert _worker is not None
    return [func(item, _worker) for item in items]


@contextlib.contextmanager
def _advance(given: Progress, total: int, label: str) -> Iterator[Callable[[int], None]]:
    if given is not None:
        yield given
        return
    with progress.bar(total, label) as advance:
        yield advance


def _map(func: Callable[[T, _Worker], R], items: Sequence[T], worker: _Worker, given: Progress, label: str) -> list[R]:
    return list(_imap(func, items, worker, given, label))


def _imap(
    func: Callable[[T, _Worker], R], items: Sequence[T], worker: _Worker, given: Progress, label: str, started: Callable[[], None] = lambda: None
) -> Generator[R, None, None]:
    """`func` over `items`, in order, each result as soon as it is ready: in this process for small
    batches, else in a process pool (the caller's work on one result overlaps the workers' on the next).
    `started` runs once the work is handed out: work of the caller's that it starts (in a thread, say)
    then overlaps the workers' rather than delaying them."""
    with _advance(given, len(items), label) as advance:
        if len(items) < POOL_THRESHOLD or workers() == 1:
            started()
            for item in items:
                yield func(item, worker)
                advance(1)
            return
        yield from _pooled(func, items, worker, advance, started)


def _pooled(func: Callable[[T, _Worker], R], items: Sequence[T], worker: _Worker, advance: Callable[[int], None], started: Callable[[], None]) -> Iterator[R]:
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    setup = (worker.identities.to_secrets(), worker.keys, worker.checker, worker.unless_count, os.getpid())
    pool = ProcessPoolExecutor(workers(), _context(), _init_worker, setup)
    try:
        results = pool.map(partial(_chunk, func), chunks)
        started()
        for batch in results:
            yield from batch
            advance(len(batch))
    except BrokenProcessPool:
        raise CocrecError("a worker process stopped (killed, or out of memory): nothing was changed; run the command again") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C or an abandoned iterator, do not run the queued chunks


# -- decrypting -------------------------------------------------------------------


def _open_one(item: tuple[Path, str], worker: _Worker) -> Opened:
    path, source = item
    ciphertext = path.read_bytes()
    file_sha = index.sha256(ciphertext)
    counting = worker.checker is not None and worker.checker.for_check
    try:
        plaintext = crypto.decrypt(ciphertext, worker.identities, source)
    except CocrecError as exc:
        return Opened(file_sha, _recipient_count(ciphertext) if counting else None, error=str(exc), exit_code=exc.exit_code)
    stanzas = crypto.recipient_count(ciphertext) if counting else None  # it opened: its header is sound
    try:
        doc = yaml_io.loads(plaintext, source)
    except CocrecError as exc:
        return Opened(file_sha, stanzas, error=str(exc), exit_code=exc.exit_code)
    if worker.checker is None:
        return Opened(file_sha, stanzas, plaintext, doc)
    invalid, hits = worker.checker(doc, source, path.name[: -len(RECORD_SUFFIX)])
    return Opened(file_sha, stanzas, plaintext, doc, invalid=invalid, text_hits=hits)


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
    return _imap(_open_one, items, _Worker(identities, (), checker), progress, "decrypting", started)


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
        tmp = stage(path, ciphertext)
    except OSError as exc:
        return Staged(path, source, error=f"{source}: cannot write beside it ({exc.strerror}): nothing was replaced")
    return Staged(path, source, tmp, index.sha256(ciphertext))


def _reencrypt_one(item: tuple[Path, str], worker: _Worker) -> Staged:
    path, source = item
    try:
        ciphertext = path.read_bytes()
        if worker.unless_count is not None and _recipient_count(ciphertext) == worker.unless_count:
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


def _recipient_count(ciphertext: bytes) -> Optional[int]:
    try:
        return len(crypto.header_stanzas(ciphertext))
    except CocrecError:
        return None


def reencrypt_all(
    items: Sequence[tuple[Path, str]],
    keys: Sequence[str],
    identities: crypto.Identities,
    progress: Progress = None,
    unless_count: Optional[int] = None,
) -> list[Staged]:
    """Decrypt each (path, display name), encrypt it to `keys`, verify and stage it; the plaintext stays in the worker.

    With `unless_count`, a file whose age header holds that many recipients is left as it is
    (a Staged with neither `tmp` nor `error`): which of those are stale only the index can tell.
    """
    worker = _Worker(identities, writer_first(keys, identities.public_keys), unless_count=unless_count)
    return _map(_reencrypt_one, items, worker, progress, "re-encrypting")


def failures(staged: Sequence[Staged]) -> list[Staged]:
    return [item for item in staged if item.error is not None]


def staged_only(staged: Sequence[Staged]) -> list[Staged]:
    """What `reencrypt_all(..., unless_count=...)` did stage or fail on, without the files it left."""
    return [item for item in staged if item.tmp is not None or item.error is not None]


def discard(staged: Sequence[Staged]) -> None:
    """Remove the temp files of a batch that will not be written."""
    for item in staged:
        if item.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                item.tmp.unlink()


def replace_all(staged: Sequence[Staged]) -> None:
    """Rename every staged file over its record (each rename is atomic), then make the renames durable."""
    for item in staged:
        assert item.tmp is not None, "replace_all takes a batch without failures"
        os.replace(item.tmp, item.path)
    for directory in sorted({item.path.parent for item in staged}):
        fsync_dir(directory)


class NotStaged(CocrecError):
    """Some files could not be encrypted and verified, so none was replaced. Reads as the first failure."""

    def __init__(self, failed: Sequence[Staged]) -> None:
        super().__init__(str(failed[0].error), exit_code=failed[0].exit_code)
        self.failed = list(failed)


def write_staged(stage_all: Callable[[], list[Staged]], directory: Path, before_write: Optional[Callable[[], None]] = None) -> list[Staged]:
    """Stage every file; only when all are verified, run `before_write` and replace them.

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
        raise NotStaged(failed)
    try:
        if before_write is not None:
            before_write()
        replace_all(staged)
    except BaseException:
        discard(staged)
        raise
    return staged
