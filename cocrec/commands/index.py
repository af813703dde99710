"""cocrec index: regenerate records/index.yaml from the records as they are."""

from __future__ import annotations

from ..context import Context
from ..errors import EXIT_OK


def run(ctx: Context) -> int:
    store = ctx.store
    with ctx.repo.lock():
        store.cleanup()
        changed = store.write_index(store.load())
    ctx.out("records/index.yaml regenerated" if changed else "records/index.yaml is up to date")
    return EXIT_OK
