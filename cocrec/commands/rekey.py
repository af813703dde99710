"""cocrec rekey [--check]: re-encrypt exactly the records not encrypted to the keys they should be.

The engine is cocrec.rekeying; `--check` asks the same questions as `check --no-decrypt` (cocrec.checks)
and prints only the answers about recipients. Needs no key.
"""

from __future__ import annotations

from .. import rekeying
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS


def run(ctx: Context, check_only: bool, yes: bool = False) -> int:
    if check_only:
        return report(ctx)
    store = ctx.writing(yes)
    with store.writer():
        written, total = rekeying.rekey_stale(store)
    if not written:
        ctx.out(
            f"All {total} record(s) are encrypted to the current members: nothing to re-encrypt"
        )
        return EXIT_OK
    ctx.out(f"Re-encrypted {written} of {total} record(s) to {rekeying.describe(store.members)}")
    rekeying.pack(ctx.repo, ctx.err)
    return EXIT_OK


def report(ctx: Context) -> int:
    """`rekey --check`: list what is stale or unsigned (file names and reasons only); exit 1 if anything is."""
    store = ctx.store
    for flaw in store.verification.flaws:
        ctx.out(str(flaw))
    stale, doubts = rekeying.find_stale(store, store.previous_index())
    total = len(ctx.repo.record_files())
    for item in [*map(str, doubts), *map(str, stale)]:
        ctx.out(item)
    if doubts or store.verification.flaws:
        ctx.out(
            f"{len(doubts)} of {total} record(s) are not signed by a current member: a rekey would refuse them; see `cocrec adopt`"
        )
        return EXIT_PROBLEMS
    if stale:
        ctx.out(
            f"{len(stale)} of {total} record(s) are not encrypted to the current members: run `cocrec rekey`"
        )
        return EXIT_PROBLEMS
    ctx.out(
        f"All {total} record(s) are encrypted to the current members ({rekeying.describe(store.members)})"
    )
    return EXIT_OK
