"""The public transparency report (`cocrec report`): pure, records in, Markdown out (HTML: cocrec.report_html).

What it holds, and nothing else: the statistics by year received for Y and
every year before it back to the first record (years without records as
zeros, so the trend has no gaps), in the columns of the policy's
`report.columns` (each a count, or counts added up), each count below the policy's
`report.min_cell` shown as `<N`. No free text by default: outcome summaries
("... was banned", "... was flagged") would give the suppressed counts back.
With `with_summaries`, the year's outcomes follow as their shareable
summaries with every identifier taken out (cocrec.matcher's forms: accents,
+tags, inflections...); that list is left out when the year has fewer
summaries than `min_cell`, and it is sorted by text and not labelled by
outcome type. No record id, record date, event, name, email, username, url
or reporter is printed.
A year without records is a usage error (exit 2): there is nothing to report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from . import output, stats
from .anonymise import anonymise, known_words, pii_of, redact_words
from .errors import UsageError
from .model import Record
from .policy import Policy, ReportColumn
from .redact import Pii


@dataclass(frozen=True)
class Report:
    year: int
    as_of: dt.date
    min_cell: int
    columns: tuple[ReportColumn, ...]
    rows: tuple[stats.Row, ...]
    outcomes: tuple[str, ...]
    """Anonymised shareable summaries of the year's outcomes; empty when withheld."""
    summaries_withheld: bool
    with_summaries: bool = False
    """The outcomes section is printed at all (`--with-summaries`)."""


def cell(value: int, min_cell: int) -> str:
    """A count as published: below `min_cell` it reads `<min_cell`."""
    return f"<{min_cell}" if value < min_cell else str(value)


def everyone(records: Sequence[Record]) -> Pii:
    """Every identifying value held: every subject's and every reporter's, of every record."""
    each = [pii_of(record.subjects, record.reporter) for record in records]
    return Pii(
        frozenset().union(*(p.identifiers for p in each)),
        frozenset().union(*(p.names for p in each)),
    )


def outcome_summaries(records: Sequence[Record], year: int) -> list[str]:
    """The year's shareable summaries on one line each, sorted by text, with the record's own people's values,
    anything that looks like an email, url or @handle, and any name word or username of anyone in any record redacted."""
    words = known_words(everyone(records))
    texts = [
        " ".join(redact_words(anonymise(r.outcome.shareable_summary, everyone([r])), words).split())
        for r in stats.received_in(records, year)
        if r.outcome is not None and r.outcome.shareable_summary
    ]
    return sorted(t for t in texts if t)


def build(
    records: Sequence[Record],
    year: int,
    as_of: dt.date,
    policy: Policy,
    with_summaries: bool = False,
) -> Report:
    if not stats.received_in(records, year):
        raise UsageError(
            f"--year {year}: no records were received in {year}, so there is nothing to report; `cocrec stats` lists the years"
        )
    rows = stats.by_year(records, stats.first_year(records, year), year, tuple(policy.consequences))
    min_cell = policy.min_cell
    if not with_summaries:
        return Report(year, as_of, min_cell, policy.report_columns, tuple(rows), (), False)
    summaries = outcome_summaries(records, year)
    withheld = len(summaries) < min_cell
    listed = () if withheld else tuple(summaries)
    return Report(
        year,
        as_of,
        min_cell,
        policy.report_columns,
        tuple(rows),
        listed,
        withheld and bool(summaries),
        True,
    )


def column_count(row: stats.Row, column: ReportColumn) -> int:
    return sum(row.count_of(name) for name in column.counts)


def labels(report: Report) -> list[str]:
    return [column.label for column in report.columns]


def published_rows(report: Report) -> list[list[str]]:
    """The table as published: the year, then each column's count (suppressed below min_cell)."""
    return [
        [str(row.key), *(cell(column_count(row, c), report.min_cell) for c in report.columns)]
        for row in report.rows
    ]


def intro(report: Report) -> str:
    return (
        f"Reports received by the Code of Conduct committee in {report.year} and the years before, "
        "counted by the year each report was received. "
        f'Counts below {report.min_cell} are shown as "<{report.min_cell}", so that nobody can be identified by a small number.'
    )


def outcomes_note(report: Report) -> str:
    if report.outcomes:
        return "Outcomes as summarised for sharing, with every name and identifier removed:"
    if report.summaries_withheld:
        return f"Fewer than {report.min_cell} outcomes have a summary to share this year; they are not listed, so that none identifies anyone."
    return "No outcome of this year has a summary to share yet."


def markdown(report: Report) -> str:
    lines = [f"# Code of Conduct transparency report {report.year}", "", intro(report), ""]
    lines.append(output.markdown(["Year", *labels(report)], published_rows(report)))
    if report.with_summaries:
        lines += ["", f"## Outcomes in {report.year}", "", outcomes_note(report)]
        lines += [""] + [f"- {text}" for text in report.outcomes] if report.outcomes else []
    lines += ["", f"_Report date: {report.as_of.isoformat()}._"]
    return "\n".join(lines)
