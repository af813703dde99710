"""One thing wrong with one file, as a value: what a check reports, what a worker process sends back
about a file it could not open or write, and what a bulk run lists before it refuses. Plain fields,
so it pickles; the wording every check shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import EXIT_PROBLEMS, CocrecError

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """A file, and a one-line message that names no personal data; `exit_code` is SPEC 7's."""

    source: str
    message: str
    exit_code: int = EXIT_PROBLEMS
    warning: bool = False

    def __str__(self) -> str:
        return (
            self.message
            if self.message.startswith(self.source)
            else f"{self.source}: {self.message}"
        )

    @classmethod
    def of(cls, exc: CocrecError, source: str) -> Problem:
        """What `exc`, raised about `source`, says (a validation error names its own file)."""
        return cls(getattr(exc, "file", source), str(exc), exc.exit_code)

    def error(self, then: str = "") -> CocrecError:
        """This problem as the error a command stops with: its line (and `then`), its exit code."""
        return CocrecError(f"{self}{then}", exit_code=self.exit_code)


def attempt(step: Callable[[], T], source: str) -> T | Problem:
    """What `step` returns, or the problem its CocrecError states about `source`."""
    try:
        return step()
    except CocrecError as exc:
        return Problem.of(exc, source)
