"""cocrec lookup QUERY: is this person flagged or banned? Match a name, email, username or url.

Emails, usernames and urls match in any case, through every record that
holds the same person (cocrec.people); names match fuzzily and are shown as
weaker matches to confirm. Only people flagged or banned now are listed
(cocrec.flags decides), with what may be shared: never the reporter, never
the confidential summary.
"""

from __future__ import annotations

import datetime as dt

from .. import output
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..flags import FlagIndex, match_json, match_lines


def past_retention_note(index: FlagIndex, query: str) -> str:
    ids = index.past_retention_matches(query)
    return (
        f"note: matching record(s) {', '.join(ids)} are past their retention date and not shown; run `cocrec expunge`"
        if ids
        else ""
    )


def run(ctx: Context, query: str, as_of: dt.date, fmt: str) -> int:
    if not query.strip():
        raise UsageError("QUERY: give a name, email, username or url to look up")
    index = FlagIndex.as_of(
        [item.record for item in ctx.store.load().values()], ctx.store.policy, as_of
    )
    ctx.store.tell_withheld(" from this look-up")
    matches = index.match(query, as_of)
    note = past_retention_note(index, query)
    if note:
        ctx.err(f"cocrec: {note}")
    if fmt == "json":
        ctx.out(output.to_json([match_json(m) for m in matches]))
    elif not matches:
        ctx.out(f"No flagged or banned person matches as of {as_of.isoformat()}.")
    else:
        ctx.out("\n\n".join("\n".join(match_lines(m)) for m in matches))
    return EXIT_OK
