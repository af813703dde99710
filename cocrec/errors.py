"""One error hierarchy; each class carries the exit code of SPEC section 7.

Messages name the file, the field path and what to do next, and never quote
a value from a record: any value may be personal data.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_DECRYPT = 3
EXIT_REPO = 4
EXIT_INTERRUPTED = 130


class CocrecError(Exception):
    """Base class: a user-facing, one-line error; `details` are lines printed before it (one per file, say)."""

    exit_code = EXIT_PROBLEMS

    def __init__(
        self, message: str, exit_code: int | None = None, details: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.details = details
        if exit_code is not None:
            self.exit_code = exit_code


class ValidationError(CocrecError):
    """A record, members.yaml or cocrec.yaml is invalid (exit 1)."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.path = path
        self.message = message
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}")


class UsageError(CocrecError):
    """Bad arguments or input given on the command line (exit 2)."""

    exit_code = EXIT_USAGE


class DecryptError(CocrecError):
    """No identity, not a recipient, or a corrupt age file (exit 3)."""

    exit_code = EXIT_DECRYPT


class RepoError(CocrecError):
    """Not a records repository, locked, or dirty where clean is needed (exit 4)."""

    exit_code = EXIT_REPO
