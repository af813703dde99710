"""Recusing members from records, and undoing it: the workflow `recuse` and `members clear` share.

A record's `recused` list changes in its plaintext, so the record is re-encrypted (through the store's
signed write path) to every current member but those it now leaves out (cocrec.access). Versions a
member received before stay readable to them: git history keeps them (README, "Conflicts of interest").
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from . import access
from .context import Context
from .errors import UsageError
from .model import Members, Record
from .store import LEFT_OUT


def require_current(members: Members, member_ids: Sequence[str], command: str = "recuse") -> None:
    """Each id names a current member (a former member receives nothing any more: nothing to recuse);
    a refusal names the `command` that was run."""
    current = members.current_ids
    former = {m.id for m in members.former}
    for member_id in member_ids:
        if member_id in former:
            raise UsageError(
                f"{command}: '{member_id}' is a former member: they receive no record any more; nothing was changed"
            )
        if member_id not in current:
            raise UsageError(
                f"{command}: no current member has id '{member_id}'; `cocrec members list` shows the ids; nothing was changed"
            )


def recused_doc(
    doc: dict[str, object], member_ids: Sequence[str], reason: str | None, undo: bool
) -> dict[str, object]:
    """The record document with these members added to (or, with `undo`, removed from) `recused` (pure)."""
    changed = copy.deepcopy(doc)
    before = [str(m) for m in changed.get("recused") or []]  # type: ignore[attr-defined]
    after = [m for m in before if m not in member_ids] if undo else sorted({*before, *member_ids})
    if after:
        changed["recused"] = after
    else:
        changed.pop("recused", None)
        changed.pop("recusal_reason", None)
    if reason is not None and not undo:
        changed["recusal_reason"] = reason
    return changed


def recuse(
    ctx: Context,
    ids: Sequence[str],
    member_ids: Sequence[str],
    reason: str | None,
    yes: bool,
    undo: bool = False,
    command: str = "recuse",
) -> list[str]:
    """Recuse the members from each record (or undo it) and re-encrypt what changed; returns written ids.
    `command` is what the member ran (`recuse`, `members clear`): refusals name it."""
    store = ctx.store
    require_current(store.members, member_ids, command)
    if reason is not None and not reason.strip():
        raise UsageError("--reason: empty: give the reason, or leave --reason out")
    with ctx.writing(yes).writer():
        store.require(ids)
        loaded = store.load()
        docs = []
        for rid in ids:
            doc = loaded[rid].doc
            if undo:
                _require_recused(rid, doc, member_ids, store.repo.record_source(rid))
            changed = recused_doc(doc, member_ids, reason, undo)
            _require_readers(Record.from_doc(changed), store.members, store.repo.record_source(rid))
            docs.append(changed)
        written = store.save(docs, loaded)
    if undo:
        for rid in ids:
            still = set(
                access.excluded(Record.from_doc(docs[list(ids).index(rid)]), store.members)
            ) & set(member_ids)
            if still:
                ctx.err(
                    f"cocrec: {store.repo.record_source(rid)}: still not encrypted to {', '.join(sorted(still))}: it names them, or they are not cleared yet"
                )
    return written


def _require_recused(
    rid: str, doc: dict[str, object], member_ids: Sequence[str], source: str
) -> None:
    listed = {str(m) for m in doc.get("recused") or []}  # type: ignore[attr-defined]
    for member_id in member_ids:
        if member_id not in listed:
            raise UsageError(
                f"{source}: recused: '{member_id}' is not recused from {rid}; nothing was changed"
            )


def _require_readers(record: Record, members: Members, source: str) -> None:
    if not access.readers(access.excluded(record, members), members):
        raise UsageError(
            f"{source}: recused: that would leave nobody who may open it ({LEFT_OUT}); nothing was changed"
        )
