"""Asking the member on the terminal: the questions commands and workflows share.

A question is asked through a `Confirm` the command line gives (click's prompt on a terminal);
it answers None when there is no terminal to ask on, and then nothing is done without `--yes`.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import UsageError

# A yes/no on the terminal; None when there is none to ask on.
Confirm = Callable[[str], bool | None]


def no_terminal(_question: str) -> None:
    """The `Confirm` of a run with no terminal to ask on."""
    return None


def confirmed(confirm: Confirm | None, question: str, refusal: str, yes: bool = False) -> bool:
    """A yes from `--yes` or on the terminal; without a terminal (`confirm` is None or answers None),
    refused with `refusal`, which says to pass --yes."""
    if yes:
        return True
    answer = (confirm or no_terminal)(question)
    if answer is None:
        raise UsageError(refusal)
    return answer
