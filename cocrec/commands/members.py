"""cocrec members list / add / remove: members.yaml, and every record re-encrypted to the new set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from .. import access, crypto, dates, membership, output, recusal, rekeying, validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..model import FormerMember, Member, Members, Pending

HEADER = (
    "# Committee members and their public keys (public keys are not secret).\n"
    "# Change it with `cocrec members add` / `cocrec members remove`: they re-encrypt every record.\n"
)


def run_list(ctx: Context, fmt: str) -> int:
    members = ctx.store.members
    rows: list[tuple[object, ...]] = [
        (
            m.id,
            m.name,
            "pending" if access.is_pending(m.id, members) else "current",
            len(m.keys),
            m.since,
            None,
        )
        for m in members.current
    ]
    rows += [(m.id, m.name, "former", 0, m.since, m.until) for m in members.former]
    headers = ["id", "name", "status", "keys", "since", "until"]
    if fmt == "json":
        ctx.out(
            output.to_json(
                [
                    dict(zip(headers, [dates.iso(v) if isinstance(v, dt.date) else v for v in row]))
                    for row in rows
                ]
            )
        )
    else:
        ctx.out(output.table(headers, rows))
    return EXIT_OK


def added(
    members: Members,
    member_id: str,
    name: str,
    keys: Sequence[str],
    since: dt.date,
    identifiers: Sequence[str] = (),
    earlier: Sequence[str] | None = None,
) -> Members:
    """members.yaml after adding one member; refuses duplicates (pure). `earlier`: the records they are
    not cleared for yet (`access.onboarding: declare`), None when they receive every record."""
    if any(m.id == member_id for m in members.current):
        raise UsageError(
            f"members.yaml: members: a current member already has id '{member_id}'; choose another id "
            "(if an earlier `members add` was interrupted, any cocrec command that writes finishes it)"
        )
    normalized = [crypto.normalize_key(k) for k in keys]
    if len(set(normalized)) != len(normalized):
        raise UsageError("--key: the same key is given twice; give each key once")
    taken = {crypto.normalize_key(k) for k in members.keys}
    for position, key in enumerate(normalized, 1):
        if key in taken:
            raise UsageError(
                f"--key #{position}: already belongs to a current member; each key belongs to one member"
            )
    former = tuple(m for m in members.former if m.id != member_id)  # a former member may come back
    member = access.with_identifiers(Member(member_id, name, tuple(keys), since), identifiers)
    pending = members.pending + (
        (Pending(member_id, tuple(sorted(earlier))),) if earlier is not None else ()
    )
    return replace(members, current=members.current + (member,), former=former, pending=pending)


def render_members(ctx: Context, members: Members) -> bytes:
    """members.yaml as it will be written, validated first like a hand-edited one."""
    data = (HEADER + yaml_io.dumps(members.to_doc())).encode("utf-8")
    validate.load_members(
        data, ctx.repo.rel(ctx.repo.members_path), key_check=crypto.parse_recipient
    )
    return data


# A change of members as a function of members.yaml as it is once the lock is held; None: it is made
# already (an interrupted run of the same command), so only the records are left to re-encrypt.
Change = Callable[[Members], Members | None]


def change_members(
    ctx: Context,
    change: Change,
    yes: bool,
    consented: tuple[str, Sequence[str]] = ("", ()),
    full: bool = False,
) -> tuple[int, Members]:
    """members.yaml and trust.yaml changed, signed by the acting member (current before the change), and
    every record re-encrypted to the new members (a rekey with the new set); returns (re-encrypted, members).

    The change is made to members.yaml as read under the lock, after an interrupted change is finished.
    Every new ciphertext is verified before members.yaml is written, and members.yaml before any record:
    a run killed at any moment leaves either nothing changed or a state that the next writer finishes.
    `consented` are the keys the member gave on the command line: encrypting to them needs no question.
    """
    store = ctx.writing(yes)
    with store.writer():
        new_members = change(store.members)  # validates the old file before replacing it
        store.accept_keys(*consented)
        if new_members is None:
            written, _ = rekeying.rekey_stale(store, full=full)
            new_members = store.members
        else:
            data = render_members(ctx, new_members)
            changed = membership.signed_change(store, new_members, data)
            store.__dict__["members"] = new_members
            store.__dict__.pop("_expected", None)
            written, _ = rekeying.rekey_stale(
                store, before_write=lambda: membership.write(store, changed, data), full=full
            )
            if not written:
                membership.write(store, changed, data)
                store.write_index(store.load())
    if written:
        rekeying.pack(ctx.repo, ctx.err)
    return written, new_members


def run_add(
    ctx: Context,
    member_id: str,
    name: str,
    keys: Sequence[str],
    since: dt.date | None,
    yes: bool = False,
    identifiers: Sequence[str] = (),
) -> int:
    if not keys:
        raise UsageError("members add: give at least one --key (an age1... or ssh public key)")
    for position, key in enumerate(keys, 1):
        if key != key.strip() or "\n" in key or "\r" in key:
            raise UsageError(
                f"--key #{position}: has spaces or a line break around it: pass the key alone, on one line"
            )
        crypto.parse_recipient(key)
    found: dict[str, list[str] | None] = {}

    def change(members: Members) -> Members | None:
        if already_added(members, member_id, keys):
            ctx.err(
                f"cocrec: {member_id} is a member with these keys already (an earlier `members add` was interrupted?): re-encrypting what is left"
            )
            return None
        declare = ctx.store.policy.onboarding == "declare" and bool(members.current)
        found["earlier"] = earlier = sorted(ctx.repo.record_files()) if declare else None
        return added(members, member_id, name, keys, since or dates.today(), identifiers, earlier)

    # Records that name the new member (by the identifiers just given) must not reach them: only each
    # record's plaintext tells, so every record is opened and its excluded set computed anew.
    written, new_members = change_members(
        ctx, change, yes, consented=(member_id, keys), full=bool(identifiers)
    )
    earlier = found.get("earlier")
    ctx.out(
        f"Added {member_id}; re-encrypted {written} record(s) to {rekeying.describe(new_members)}"
    )
    if earlier:
        ctx.out(
            f"{member_id} receives the records written from now on, not the {len(earlier)} earlier one(s) "
            f"(access.onboarding: declare): once they have declared their conflicts, run `cocrec members clear {member_id} "
            "[--conflicts ID,...]`; `cocrec list` shows them the ids and dates"
        )
    return EXIT_OK


def cleared(members: Members, member_id: str) -> Members:
    """members.yaml once a pending member is cleared for every earlier record (pure)."""
    if not access.is_pending(member_id, members):
        known = any(m.id == member_id for m in members.current)
        what = (
            "is not pending (they already receive every record they may)"
            if known
            else "is not a current member"
        )
        raise UsageError(
            f"members clear: '{member_id}' {what}; `cocrec members list` shows who is pending"
        )
    return replace(members, pending=tuple(p for p in members.pending if p.id != member_id))


def run_clear(ctx: Context, member_id: str, conflicts: Sequence[str], yes: bool = False) -> int:
    """A pending member declared their conflicts: the conflicted records become recused for them, then
    every other earlier record is re-encrypted to them.

    Run again after it was stopped, it finishes the work: this clone notes the clearing until it is
    done, so a member no longer pending because a killed run wrote members.yaml is finished (what is
    left re-encrypted, each conflict recused again: nothing changes where it is); anyone else not
    pending is refused, as bad input."""
    store = ctx.store
    ctx.writing(yes).recover()  # an interrupted change of members finished: members.yaml as signed
    conflicts = list(dict.fromkeys(store.resolve_all(conflicts)))  # each record once
    again = already_cleared(store.members, member_id) and member_id in store.clone.clearing()
    if again:
        ctx.err(
            f"cocrec: {member_id} is not pending any more: the `members clear` this clone started was "
            "interrupted; re-encrypting what is left"
        )
    else:
        # Someone not pending (never, or cleared already) is refused before anything is written.
        cleared(store.members, member_id)
        if store.reader_id == member_id:
            raise UsageError(
                f"members clear: you cannot clear yourself ({member_id}): once you have declared your "
                "conflicts, another member runs it; nothing was changed"
            )
        earlier = next(p.records for p in store.members.pending if p.id == member_id)
        for position, rid in enumerate(conflicts, 1):
            if rid not in earlier:
                raise UsageError(
                    f"--conflicts #{position}: {rid} is not one of the records written before {member_id} joined; "
                    "give ids that `cocrec list` shows them"
                )
        store.clone.start_clearing(member_id)
    if conflicts:
        recusal.recuse(ctx, list(conflicts), [member_id], None, yes, command="members clear")

    def change(members: Members) -> Members | None:
        return None if already_cleared(members, member_id) else cleared(members, member_id)

    written, _ = change_members(ctx, change, yes, full=True)
    store.clone.done_clearing(member_id)
    ctx.out(
        f"Cleared {member_id}; re-encrypted {written} record(s); recused from {len(set(conflicts))} record(s)"
    )
    return EXIT_OK


def already_cleared(members: Members, member_id: str) -> bool:
    """A current member who is not pending: clearing them again finishes the rekey (pure)."""
    return any(m.id == member_id for m in members.current) and not access.is_pending(
        member_id, members
    )


def already_added(members: Members, member_id: str, keys: Sequence[str]) -> bool:
    """A current member has this id and exactly these keys: running `members add` again finishes the rekey (pure)."""
    wanted = {crypto.normalize_key(k) for k in keys}
    return any(
        m.id == member_id and {crypto.normalize_key(k) for k in m.keys} == wanted
        for m in members.current
    )


def removed(members: Members, member_id: str, until: dt.date) -> Members:
    """members.yaml after a member leaves: moved to former with `until`, keys dropped (pure)."""
    leaving = [m for m in members.current if m.id == member_id]
    if not leaving:
        if any(m.id == member_id for m in members.former):
            raise UsageError(
                f"members remove: '{member_id}' is already a former member; if an earlier removal was interrupted, run `cocrec rekey` to finish it"
            )
        raise UsageError(
            f"members remove: no current member has id '{member_id}'; `cocrec members list` shows the ids"
        )
    if len(members.current) == 1:
        raise UsageError(
            f"members remove: '{member_id}' is the last member and nobody could open the records; add their successor first"
        )
    member = leaving[0]
    if member.since is not None and until < member.since:
        raise UsageError(
            f"--on: {until.isoformat()} is before {member_id} joined ({member.since.isoformat()}); give a later date"
        )
    current = tuple(m for m in members.current if m.id != member_id)
    pending = tuple(
        p for p in members.pending if p.id != member_id
    )  # a former member receives nothing
    former = members.former + (FormerMember(member.id, member.name, member.since, until),)
    return replace(members, current=current, former=former, pending=pending)


def already_removed(members: Members, member_id: str, until: dt.date | None) -> bool:
    """A former member with this id (who left on `until`, when given) and no current one: running `members
    remove` again finishes the rekey (pure)."""
    if any(m.id == member_id for m in members.current):
        return False
    return any(m.id == member_id and (until is None or m.until == until) for m in members.former)


def run_remove(ctx: Context, member_id: str, on: dt.date | None, yes: bool = False) -> int:
    def change(members: Members) -> Members | None:
        if already_removed(members, member_id, on):
            ctx.err(
                f"cocrec: {member_id} is a former member already (an earlier `members remove` was interrupted?): re-encrypting what is left"
            )
            return None
        return removed(members, member_id, on or dates.today())

    written, new_members = change_members(ctx, change, yes)
    ctx.out(
        f"Removed {member_id}; re-encrypted {written} record(s) to {rekeying.describe(new_members)}"
    )
    ctx.out(
        f"What {member_id} already cloned or decrypted stays readable to them: remove their access to the git remote too."
    )
    return EXIT_OK
