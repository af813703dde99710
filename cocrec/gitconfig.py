"""A clone's git configuration for cocrec: the diff driver, the index merge driver and the hooks
(what `cocrec setup` sets, and `cocrec init` in a new repository)."""

from __future__ import annotations

from . import git, hooks
from .repo import Repo

CONFIG = {
    "diff.cocrec.textconv": "cocrec textconv",
    "diff.cocrec.binary": "true",
    # A cached textconv is stored in git (refs/notes/textconv): that would be plaintext in git.
    "diff.cocrec.cachetextconv": "false",
    "merge.cocrec-index.name": "cocrec index: a generated lock file, merged by record id",
    # Three-way by record id; where both sides changed one entry, a conflict to settle with `cocrec index`.
    # The pre-merge-commit hook then refuses a merge whose index does not match its records.
    "merge.cocrec-index.driver": "cocrec hook merge-index %O %A %B",
}
OLD_HOOKS_PATH = "hooks"  # what cocrec before signing set: hooks taken from the tree, which any commit could change


def configure(repo: Repo) -> list[str]:
    """Set each value that differs and install the hooks; return what changed (idempotent)."""
    changed = []
    if git.get_config(repo.root, "core.hooksPath") == OLD_HOOKS_PATH:
        git.unset_config(repo.root, "core.hooksPath")
        changed.append("core.hooksPath (removed: hooks now live in this clone's git directory)")
    for key, value in CONFIG.items():
        if git.get_config(repo.root, key) != value:
            git.set_config(repo.root, key, value)
            changed.append(key)
    changed += [f"hook {name}" for name in hooks.install(repo)]
    return changed
