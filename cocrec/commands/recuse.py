"""cocrec recuse ID MEMBER... [--reason TEXT] / cocrec recuse ID --undo MEMBER: conflicts of interest.

A recused member is left out of the record's recipients: the record is re-encrypted without their keys
(SPEC section 11). What they received before stays readable to them (git history): see the README.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import recusal
from ..context import Context
from ..errors import EXIT_OK, UsageError


def run(
    ctx: Context,
    record_id: str,
    member_ids: Sequence[str],
    reason: str | None,
    undo: bool,
    yes: bool = False,
) -> int:
    if not member_ids:
        raise UsageError(
            "recuse: give the id of at least one member (`cocrec members list` shows the ids)"
        )
    if undo and reason is not None:
        raise UsageError("--reason: goes with a recusal, not with --undo; leave it out")
    record_id = ctx.store.resolve(record_id)  # an id, or its code name
    written = recusal.recuse(ctx, [record_id], list(dict.fromkeys(member_ids)), reason, yes, undo)
    who = ", ".join(dict.fromkeys(member_ids))
    if not written:
        ctx.out(f"{record_id}: nothing changed")
    elif undo:
        ctx.out(f"{record_id}: {who} no longer recused; re-encrypted")
    else:
        ctx.out(
            f"{record_id}: {who} recused; re-encrypted without their keys (what they received before stays readable to them)"
        )
    return EXIT_OK
