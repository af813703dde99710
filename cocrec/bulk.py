"""An ordered parallel map: a function over many items, a chunk at a time, on every core.

pyrage holds the GIL, so threads would not help: large batches go to a pool of processes,
small ones run in this process (starting processes would cost more than it saves). Results
come back in the order of the items, each chunk's as soon as it is ready, so the caller's work
on one chunk overlaps the workers' on the next.

What the batches of one map share (identities, a policy) is made once per worker, by a
`setup` that crosses to the worker: it must pickle, and pyrage objects do not, so a setup holds
plain data (secret strings, say) and builds the rest when called. Only plain data should come
back from a worker: a result is pickled in the worker and unpickled here.

Workers are forked (they start at once and need not import anything again), so they
share the repository lock's open file: a worker outliving a SIGKILLed parent would keep the
lock held. Workers therefore ask the kernel to kill them when their parent dies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import fsutil, progress
from .errors import CocrecError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

POOL_THRESHOLD = 96  # fewer items than this run in this process
CHUNK = 32

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")
Progress = Callable[[int], None] | None
Batch = Callable[[list[T], C], list[R]]  # one chunk of items and the shared context: a result each

_shared: Any = None  # in a worker: what its setup made


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def each(func: Callable[[T, C], R]) -> Batch[T, C, R]:
    """The batch that does `func` to one item after the other (`func` must pickle: a module's
    function, say)."""
    return partial(_each, func)


def _each(func: Callable[[T, C], R], items: list[T], shared: C) -> list[R]:
    return [func(item, shared) for item in items]


class Results(Generic[R]):
    """The results of `ordered`, in order; `close()` (or leaving a `with`) stops the workers."""

    def __init__(self, chunks: Iterator[list[R]], stop: Callable[[], None]) -> None:
        self._chunks = chunks
        self._stop = stop
        self._current: Iterator[R] = iter(())

    def __iter__(self) -> Results[R]:
        return self

    def __next__(self) -> R:
        while True:
            try:
                return next(self._current)
            except StopIteration:
                pass
            try:
                self._current = iter(next(self._chunks))
            except BaseException:  # the end (StopIteration), or a failure: the workers stop
                self.close()
                raise

    def close(self) -> None:
        """No more results: the workers run no further chunk."""
        stop, self._stop = self._stop, lambda: None
        self._chunks, self._current = iter(()), iter(())
        stop()

    def __enter__(self) -> Results[R]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def ordered(
    batch: Batch[T, C, R],
    items: Sequence[T],
    setup: Callable[[], C],
    progress_to: Progress = None,
    label: str = "working",
) -> Results[R]:
    """`batch` over `items`, in chunks, the results in the order of `items`.

    In a pool the work is handed out before this returns, so what the caller does next overlaps
    the workers'; in this process each chunk runs as its results are asked for. `progress_to` is
    told how many items are done (else a progress bar labelled `label` draws on a terminal).
    """
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    bar = contextlib.ExitStack()
    advance = (
        progress_to
        if progress_to is not None
        else bar.enter_context(progress.bar(len(items), label))
    )
    if len(items) < POOL_THRESHOLD or workers() == 1:
        return Results(_counted(_here(batch, chunks, setup), advance), bar.close)
    pool = _pool(setup)
    try:
        done = pool.map(partial(_chunk, batch), chunks)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        raise

    def stop() -> None:
        # At the end, on Ctrl-C, or when the caller stops early: run no more chunks.
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()

    return Results(_counted(_unbroken(done), advance), stop)


def _here(
    batch: Batch[T, C, R], chunks: list[list[T]], setup: Callable[[], C]
) -> Iterator[list[R]]:
    """Each chunk's results, worked out in this process when asked for."""
    if chunks:
        shared = setup()
        for chunk in chunks:
            yield batch(chunk, shared)


def _counted(chunks: Iterator[list[R]], advance: Callable[[int], None]) -> Iterator[list[R]]:
    for chunk in chunks:
        advance(len(chunk))
        yield chunk


def _unbroken(chunks: Iterator[list[R]]) -> Iterator[list[R]]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield from chunks
    except BrokenProcessPool:
        raise CocrecError(
            "a worker process stopped (killed, or out of memory): nothing was changed; "
            "run the command again"
        ) from None


def _pool(setup: Callable[[], Any]) -> ProcessPoolExecutor:
    # Imported here: a command that never needs a pool does not pay for loading them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(workers(), context, _init_worker, (setup, os.getpid()))


def _init_worker(setup: Callable[[], Any], parent: int) -> None:
    global _shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # An orphaned worker would hold the repository lock (a shared flock): it dies with its parent.
    if not fsutil.die_with_parent(parent):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _shared = setup()


def _chunk(batch: Batch[T, Any, R], items: list[T]) -> list[R]:
    return batch(items, _shared)


def _watch_parent(parent: int) -> None:
    """Where the kernel cannot be asked: exit once the parent is gone."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)
