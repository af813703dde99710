"""cocrec check: everything that can be checked; exit 1 on any error."""

from __future__ import annotations

import datetime as dt

from .. import checks, crypto, output
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..store import Problem


def collect(ctx: Context, as_of: dt.date, no_decrypt: bool) -> tuple[list[Problem], int]:
    store = ctx.store
    repo = ctx.repo
    key_count = len({crypto.normalize_key(k) for k in store.members.keys})
    problems = checks.keyless(repo, store.read_index(), key_count, store.fingerprint, store.policy, as_of)
    if not no_decrypt:
        loaded, opened = store.open_files()
        problems += opened
        problems += checks.with_keys(store, loaded, store.schedules(loaded, as_of))
    problems += checks.workspace_warnings(repo)
    return problems, len(repo.record_files())


def run(ctx: Context, as_of: dt.date, no_decrypt: bool, fmt: str) -> int:
    problems, count = collect(ctx, as_of, no_decrypt)
    errors = [str(p) for p in problems if not p.warning]
    warnings = [str(p) for p in problems if p.warning]
    if fmt == "json":
        ctx.out(output.to_json({"as_of": as_of.isoformat(), "records": count, "errors": errors, "warnings": warnings}))
    else:
        for line in errors:
            ctx.out(f"error: {line}")
        for line in warnings:
            ctx.out(f"warning: {line}")
        mode = "without keys" if no_decrypt else "decrypted"
        ctx.out(f"{count} record(s) checked ({mode}, as of {as_of.isoformat()}): {len(errors)} error(s), {len(warnings)} warning(s)")
    return EXIT_PROBLEMS if errors else EXIT_OK
