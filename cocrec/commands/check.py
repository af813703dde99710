"""cocrec check: everything that can be checked; exit 1 on any error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from .. import checks, output
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError
from ..store import Problem


def collect(ctx: Context, as_of: dt.date, no_decrypt: bool) -> tuple[list[Problem], int]:
    store, repo = ctx.store, ctx.repo
    files = repo.record_files()
    if no_decrypt:
        problems = checks.keyless(store, as_of) + checks.tracked_problems(store)
        return problems + _repository_problems(ctx), len(files)
    return _decrypted(ctx, files, as_of), len(files)


def _repository_problems(ctx: Context) -> list[Problem]:
    """What no record's plaintext decides: the history of the signed statements, workspace/, the hooks."""
    return (
        checks.history_problems(ctx.store)
        + checks.workspace_warnings(ctx.repo)
        + checks.clone_warnings(ctx.repo)
    )


def _decrypted(ctx: Context, files: Mapping[str, Path], as_of: dt.date) -> list[Problem]:
    """What `keyless` finds, then what needs a key. The workers that decrypt also hash each file and count
    its recipients, and look for its people in the other tracked files; meanwhile this process reads
    the index, verifies its signatures and checks the history."""
    store, repo = ctx.store, ctx.repo
    tracked = checks.read_tracked(repo)  # the workers look for each record's people in it
    with checks.Decrypting(store, files, tracked) as decrypting:
        try:
            idx = store.read_index()
            store.verification  # noqa: B018 - the signatures are checked while the workers decrypt
        except CocrecError as exc:
            unreadable = Problem(repo.rel(repo.index_path), str(exc), exc.exit_code)
            return [*decrypting.finish().problems, unreadable, *_repository_problems(ctx)]
        repository = _repository_problems(ctx)
        read = decrypting.finish()
    keyless = checks.keyless(store, as_of, read.facts, idx)
    authentic = {
        rid: item for rid, item in read.loaded.items() if store.why_not(rid, item.file_sha) is None
    }
    tree = checks.tracked_problems(store, authentic, read.named_in, tracked)
    with_keys = checks.with_keys(store, authentic, as_of, idx, files, read.refs, read.text_hits)
    return keyless + tree + read.problems + with_keys + repository


def run(ctx: Context, as_of: dt.date, no_decrypt: bool, fmt: str) -> int:
    problems, count = collect(ctx, as_of, no_decrypt)
    errors = [str(p) for p in problems if not p.warning]
    warnings = [str(p) for p in problems if p.warning]
    if fmt == "json":
        ctx.out(
            output.to_json(
                {
                    "as_of": as_of.isoformat(),
                    "records": count,
                    "errors": errors,
                    "warnings": warnings,
                }
            )
        )
    else:
        for line in errors:
            ctx.out(f"error: {line}")
        for line in warnings:
            ctx.out(f"warning: {line}")
        mode = "without keys" if no_decrypt else "decrypted"
        if (
            ctx.store.withheld
        ):  # recused, named in them or not cleared: checked without a key, not errors
            mode += f"; {len(ctx.store.withheld)} not yours to open, checked without a key"
        ctx.out(
            f"{count} record(s) checked ({mode}, as of {as_of.isoformat()}): {len(errors)} error(s), {len(warnings)} warning(s)"
        )
    return EXIT_PROBLEMS if errors else EXIT_OK
