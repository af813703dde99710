"""cocrec members list / add: members.yaml, and every record re-encrypted to the new set."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Optional, Sequence

from .. import crypto, output, validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..fsutil import atomic_write
from ..model import Member, Members

HEADER = (
    "# Committee members and their public keys (public keys are not secret).\n"
    "# Change it with `cocrec members add` / `cocrec members remove`: they re-encrypt every record.\n"
)


def run_list(ctx: Context, fmt: str) -> int:
    members = ctx.store.members
    rows: list[tuple[object, ...]] = [(m.id, m.name, "current", len(m.keys), m.since, None) for m in members.current]
    rows += [(m.id, m.name, "former", 0, m.since, m.until) for m in members.former]
    headers = ["id", "name", "status", "keys", "since", "until"]
    if fmt == "json":
        ctx.out(output.to_json([dict(zip(headers, [_iso(v) for v in row])) for row in rows]))
    else:
        ctx.out(output.table(headers, rows))
    return EXIT_OK


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def added(members: Members, member_id: str, name: str, keys: Sequence[str], since: dt.date) -> Members:
    """members.yaml after adding one member; refuses duplicates (pure)."""
    if any(m.id == member_id for m in members.current):
        raise UsageError(f"members.yaml: members: a current member already has id '{member_id}'; choose another id")
    normalized = [crypto.normalize_key(k) for k in keys]
    if len(set(normalized)) != len(normalized):
        raise UsageError("--key: the same key is given twice; give each key once")
    taken = {crypto.normalize_key(k) for k in members.keys}
    for position, key in enumerate(normalized, 1):
        if key in taken:
            raise UsageError(f"--key #{position}: already belongs to a current member; each key belongs to one member")
    former = tuple(m for m in members.former if m.id != member_id)  # a former member may come back
    return replace(members, current=members.current + (Member(member_id, name, tuple(keys), since),), former=former)


def render_members(ctx: Context, members: Members) -> bytes:
    """members.yaml as it will be written, validated first like a hand-edited one."""
    data = (HEADER + yaml_io.dumps(members.to_doc())).encode("utf-8")
    validate.load_members(data, ctx.repo.rel(ctx.repo.members_path), key_check=crypto.parse_recipient)
    return data


def change_members(ctx: Context, new_members: Members) -> int:
    """Re-encrypt every record to `new_members`: read all first, then write members.yaml, records and index."""
    store = ctx.store
    with ctx.repo.lock():
        store.cleanup()
        loaded = store.load() if ctx.repo.record_files() else {}
        store.members  # validate the old file before replacing it
        data = render_members(ctx, new_members)
        store.__dict__["members"] = new_members
        plaintexts = {rid: item.plaintext for rid, item in loaded.items()}
        atomic_write(ctx.repo.members_path, data)
        store.write_ciphertexts(plaintexts)
        store.write_index(loaded, written=plaintexts.keys())
    return len(loaded)


def run_add(ctx: Context, member_id: str, name: str, keys: Sequence[str], since: Optional[dt.date]) -> int:
    if not keys:
        raise UsageError("members add: give at least one --key (an age1... or ssh public key)")
    for key in keys:
        crypto.parse_recipient(key)
    new_members = added(ctx.store.members, member_id, name, keys, since or dt.date.today())
    count = change_members(ctx, new_members)
    ctx.out(f"Added {member_id}; re-encrypted {count} record(s) to {len(new_members.current)} member(s)")
    return EXIT_OK
