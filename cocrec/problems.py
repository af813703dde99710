"""One thing a check reports about one file: the one error (or warning) type that crosses process
boundaries (plain fields, picklable), and the wording every check shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A file, and a one-line message that names no personal data; `exit_code` is SPEC section 7's."""

    source: str
    message: str
    exit_code: int = 1
    warning: bool = False

    def __str__(self) -> str:
        return self.message if self.message.startswith(self.source) else f"{self.source}: {self.message}"
