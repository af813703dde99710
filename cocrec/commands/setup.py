"""cocrec setup: per-clone git configuration (hooks in the git directory, diff driver, index merge)."""

from __future__ import annotations

from collections.abc import Callable

from .. import git, gitconfig, trust
from ..context import Context
from ..errors import EXIT_OK, RepoError, UsageError


def run(
    ctx: Context,
    repin: bool = False,
    yes: bool = False,
    confirm: Callable[[str], bool] = lambda _: False,
) -> int:
    changed = gitconfig.configure(ctx.repo)
    other = git.get_config(ctx.repo.root, "core.hooksPath")
    if other:
        ctx.err(
            f"cocrec: warning: core.hooksPath is {other}: git runs the hooks there, not cocrec's; unset it (`git config --unset core.hooksPath`) or call `cocrec hook ...` from them"
        )
    ctx.out("git already set up for cocrec" if not changed else "set " + ", ".join(changed))
    if repin:
        return _repin(ctx, yes, confirm)
    return EXIT_OK


def _repin(ctx: Context, yes: bool, confirm: Callable[[str], bool]) -> int:
    """Pin the repository's current trust root in this clone, on purpose, after showing it."""
    store = ctx.store
    tf = store.trust_file
    if not tf.log:
        raise RepoError("trust.yaml: this repository has no trust root yet: nothing to pin")
    members, flaws = trust.verify_log(tf, store.verifier)
    if members is None:
        raise RepoError(f"{flaws[0]}; nothing was pinned")
    first = tf.log[0]
    prints = ", ".join(store_describe(k) for k in first.keys.get(first.by, ()))
    ctx.err(
        f"cocrec: the repository's trust root is its first member, {first.by} ({prints}); pinned now: {store.clone.root or 'nothing'}"
    )
    if not yes and not confirm("Pin this trust root for this clone?"):
        raise UsageError(
            "nothing was pinned: pass --yes, or answer yes on a terminal, once you have checked the root with its member"
        )
    store.clone.pin_root(members.root)
    # The keys stay as this clone last accepted them: the next command that encrypts lists what the
    # new root's members add or remove, and asks.
    ctx.out(f"pinned the trust root {members.root}")
    return EXIT_OK


def store_describe(key: str) -> str:
    from ..store import describe_key

    return describe_key(key)
