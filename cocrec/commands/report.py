"""cocrec report --year Y [--with-summaries]: the public transparency report, in Markdown or as a
self-contained HTML page. Outcome summaries only with --with-summaries.

What it contains and leaves out is decided in cocrec.transparency; a year
without records is a usage error (exit 2).
"""

from __future__ import annotations

import datetime as dt

from .. import transparency
from ..context import Context
from ..errors import EXIT_OK


def run(ctx: Context, year: int, as_of: dt.date, fmt: str, with_summaries: bool = False) -> int:
    records = [item.record for item in ctx.store.load().values()]
    ctx.store.tell_withheld(" from this report")
    report = transparency.build(records, year, as_of, ctx.store.policy, with_summaries)
    if fmt == "html":
        from ..report_html import render

        ctx.out(render(report))
    else:
        ctx.out(transparency.markdown(report))
    return EXIT_OK
