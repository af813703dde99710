"""cocrec setup: per-clone git configuration (hooks, diff driver, index merge)."""

from __future__ import annotations

from .. import git
from ..context import Context
from ..errors import EXIT_OK
from ..repo import Repo

CONFIG = {
    "core.hooksPath": "hooks",
    "diff.cocrec.textconv": "cocrec textconv",
    "diff.cocrec.binary": "true",
    # A cached textconv is stored in git (refs/notes/textconv): that would be plaintext in git.
    "diff.cocrec.cachetextconv": "false",
    "merge.cocrec-index.name": "cocrec index: a generated lock file, merged by record id",
    # Three-way by record id; where both sides changed one entry, a conflict to settle with `cocrec index`.
    # The pre-merge-commit hook then refuses a merge whose index does not match its records.
    "merge.cocrec-index.driver": "cocrec hook merge-index %O %A %B",
}


def configure(repo: Repo) -> list[str]:
    """Set each value that differs; return the keys changed (idempotent)."""
    changed = []
    for key, value in CONFIG.items():
        if git.get_config(repo.root, key) != value:
            git.set_config(repo.root, key, value)
            changed.append(key)
    return changed


def run(ctx: Context) -> int:
    changed = configure(ctx.repo)
    ctx.out("git already set up for cocrec" if not changed else "set " + ", ".join(changed))
    return EXIT_OK
