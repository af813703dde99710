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
    "merge.cocrec-index.name": "cocrec index: a generated lock file, regenerated after a merge",
    # Keep "ours" on conflict; the pre-commit hook then insists on `cocrec index`.
    "merge.cocrec-index.driver": "true",
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
