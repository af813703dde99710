"""cocrec check: everything that can be checked; exit 1 on any error."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Mapping

from .. import checks, output
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError
from ..index import Index
from ..store import Problem


def collect(ctx: Context, as_of: dt.date, no_decrypt: bool) -> tuple[list[Problem], int]:
    store, repo = ctx.store, ctx.repo
    files = repo.record_files()
    if no_decrypt:
        problems = checks.keyless(store, as_of) + checks.tracked_problems(store)
    else:
        problems = _decrypted(ctx, files, as_of)
    return problems + checks.history_problems(store) + checks.workspace_warnings(repo) + checks.clone_warnings(repo), len(files)


def _decrypted(ctx: Context, files: Mapping[str, Path], as_of: dt.date) -> list[Problem]:
    """What `keyless` finds, then what needs a key. The workers that decrypt also hash each file and count
    its recipients; meanwhile a thread reads the index and checks what it says alone. The thread starts
    once the workers have their work: started earlier, it holds up handing it out (0.25 s at 10,000 records)."""
    store, repo = ctx.store, ctx.repo

    def index_alone() -> Index:
        idx = store.read_index()
        store.verification  # the signatures are checked while the workers decrypt
        return idx

    with ThreadPoolExecutor(1) as side:
        from_index: list[Future[Index]] = []
        loaded, opened = store.open_files(for_check=True, files=files, started=lambda: from_index.append(side.submit(index_alone)))
        try:
            idx = from_index[0].result()
        except CocrecError as exc:
            return [*opened, Problem(repo.rel(repo.index_path), str(exc), exc.exit_code)]
    known = {rid: (item.file_sha, item.stanzas) for rid, item in loaded.items() if item.stanzas is not None}
    keyless = checks.keyless(store, as_of, known, idx)
    authentic = {rid: item for rid, item in loaded.items() if store.why_not(rid, item.file_sha) is None}
    tree = checks.tracked_problems(store, authentic)
    return keyless + tree + opened + checks.with_keys(store, authentic, as_of, idx, files)


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
