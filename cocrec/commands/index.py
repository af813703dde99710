"""cocrec index: regenerate records/index.yaml from the records as they are.

It signs only what follows from records a member already signed (or this clone wrote): a record no
member signed stops it, named, with `cocrec adopt` as the way to review and sign it. A missing or
malformed index is rebuilt from the one last committed, so its signatures and recipients are kept.
A record without a code name (made before cocrec gave them) gets one; nothing else about it changes.
"""

from __future__ import annotations

from ..context import Context
from ..errors import EXIT_OK


def run(ctx: Context) -> int:
    store = ctx.writing()
    with store.writer():
        changed = store.write_index(store.load(), name_all=True)
    ctx.out("records/index.yaml regenerated" if changed else "records/index.yaml is up to date")
    return EXIT_OK
