"""A progress bar for long bulk runs: on a terminal only, on stderr, never in pipes or tests.

It draws nothing for the first half second, so quick runs stay silent, and
redraws at most ten times a second. It names a count, never a record.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

Advance = Callable[[int], None]

DELAY = 0.5  # seconds before the bar appears
INTERVAL = 0.1  # seconds between redraws
WIDTH = 30


class Bar:
    def __init__(
        self, total: int, label: str, stream: TextIO, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream
        self.clock = clock
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None

    def advance(self, count: int) -> None:
        self.done = min(self.done + count, self.total)
        now = self.clock()
        if now - self.started < DELAY:
            return
        if self.drawn_at is None or now - self.drawn_at >= INTERVAL or self.done == self.total:
            self.draw(now)

    def draw(self, now: float) -> None:
        filled = WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()
        self.drawn_at = now

    def close(self) -> None:
        if self.drawn_at is not None:
            self.stream.write(
                "\r" + " " * (len(self.label) + WIDTH + 2 * len(str(self.total)) + 5) + "\r"
            )
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def bar(total: int, label: str, stream: TextIO | None = None) -> Iterator[Advance]:
    """Yields `advance(n)`; draws on `stream` (default stderr) only when it is a terminal."""
    out = stream if stream is not None else sys.stderr
    if not _is_terminal(out):
        yield lambda count: None
        return
    drawing = Bar(total, label, out)
    try:
        yield drawing.advance
    finally:
        drawing.close()
