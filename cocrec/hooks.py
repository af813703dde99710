"""The git hooks of a clone: small scripts in its own git directory that run `cocrec hook ...`.

They are never taken from the tree: a commit can change files in the repository, never the code a
member's `git commit` runs. `cocrec setup` writes them (and drops an old `core.hooksPath=hooks`);
`status` and `check` warn when they are missing or not these.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .fsutil import atomic_write
from .repo import Repo

MARK = "# Installed by cocrec (`cocrec setup`)"
HOOKS = {
    "pre-commit": "refuses plaintext, unsigned or invalid records and a stale index",
    "pre-merge-commit": "a merge commit gets the pre-commit checks",
    "commit-msg": "refuses a commit message that names anyone in the records",
}
COMMANDS = {
    "pre-commit": "cocrec hook pre-commit",
    "pre-merge-commit": "cocrec hook pre-commit",
    "commit-msg": 'cocrec hook commit-msg "$1"',
}


def script(name: str) -> str:
    return (
        "#!/bin/sh\n"
        f"{MARK}: {HOOKS[name]}.\n"
        "# It lives in this clone's git directory, where no commit can change it.\n"
        'command -v cocrec >/dev/null 2>&1 || { echo "cocrec: not on PATH; install it to commit here" >&2; exit 1; }\n'
        f"exec {COMMANDS[name]}\n"
    )


def hooks_dir(repo: Repo) -> Path:
    return repo.git_dir / "hooks"


def install(repo: Repo) -> list[str]:
    """Write each hook that is not already cocrec's (a different one is kept beside it as NAME.before-cocrec)."""
    directory = hooks_dir(repo)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in HOOKS:
        path = directory / name
        text = script(name)
        if path.is_file() and not path.is_symlink() and path.read_text(errors="replace") == text:
            continue
        if path.exists() or path.is_symlink():
            backup = directory / f"{name}.before-cocrec"
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, backup)
        atomic_write(path, text.encode(), 0o755)
        os.chmod(path, 0o755)
        written.append(name)
    return written


def installed_problem(repo: Repo) -> tuple[str, str] | None:
    """(where, what to do) when this clone's hooks are missing, not cocrec's, or bypassed by core.hooksPath."""
    if not repo.git_dir.is_dir():
        return None
    from . import git

    hooks_path = git.get_config(repo.root, "core.hooksPath")
    if hooks_path:
        return (
            "git config core.hooksPath",
            f"points git at {hooks_path}, not this clone's own cocrec hooks: run `cocrec setup`",
        )
    directory = hooks_dir(repo)
    for name in HOOKS:
        path = directory / name
        if (
            path.is_symlink()
            or not path.is_file()
            or path.read_text(errors="replace") != script(name)
        ):
            state = "missing" if not path.exists() else "not cocrec's"
            return (
                f".git/hooks/{name}",
                f"{state}: commits here are not checked; run `cocrec setup`",
            )
    return None
