"""The transparency report as one self-contained HTML page: inline CSS, an inline SVG chart, no external resource.

Pure: a `transparency.Report` in, a string out. Every text is escaped. The
chart respects the same suppression as the table: a year with fewer reports
than `min_cell` gets no bar, only its `<N` label, and within a bar each
outcome below `min_cell` is merged into one grey "fewer than N each" segment
(its size is what the table already gives: reports minus the counts shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from . import stats
from .transparency import Report, cell, intro, labels, outcomes_note, published_rows

SERIES: tuple[tuple[str, str, str], ...] = (
    ("no-violation", "No violation", "#9aa5b1"),
    ("unidentified", "Unidentified", "#8e7cc3"),
    ("resolved", "Resolved", "#3d9a50"),
    ("flagged", "Flagged", "#e69a28"),
    ("banned", "Banned", "#c8453d"),
    ("open", "Open", "#4a90d9"),
)
MERGED_COLOUR = "#d0d0d0"
BAR, GAP, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 44, 26, 180, 36, 24, 28

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
p.intro { color: #3d4650; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d8dde2; padding: .35rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { font-size: .8rem; font-weight: 600; color: #3d4650; vertical-align: bottom; }
tr.current td, tr.current th { font-weight: 600; background: #f3f6f9; }
figure { margin: 1.5rem 0; }
figcaption { font-size: .85rem; color: #3d4650; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1rem; list-style: none; padding: 0; font-size: .85rem; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; border-radius: 2px; }
ul.outcomes li { margin-bottom: .5rem; }
footer { margin-top: 2rem; font-size: .8rem; color: #5b6670; }
svg text { font: 11px system-ui, sans-serif; fill: #1d2329; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .table-wrap { overflow: visible; }
  table, figure, ul.outcomes li { break-inside: avoid; }
  h2 { break-after: avoid; }
  @page { margin: 1.5cm; }
}
"""


def _segments(row: stats.Row, min_cell: int) -> list[tuple[str, str, int]]:
    """(label, colour, count) of one bar: each outcome at or above min_cell, the rest merged."""
    shown = [
        (label, colour, row.counts[key])
        for key, label, colour in SERIES
        if row.counts[key] >= min_cell and row.counts[key] > 0
    ]
    rest = row.counts["reports"] - sum(count for _, _, count in shown)
    return shown + ([(f"Fewer than {min_cell} each", MERGED_COLOUR, rest)] if rest > 0 else [])


def _bar(row: stats.Row, index: int, unit: float, min_cell: int) -> list[str]:
    x = LEFT + GAP + index * (BAR + GAP)
    base = TOP + PLOT_HEIGHT
    parts = [f'<text x="{x + BAR / 2}" y="{base + 16}" text-anchor="middle">{row.key}</text>']
    reports = row.counts["reports"]
    if reports < min_cell:
        parts.append(
            f'<text x="{x + BAR / 2}" y="{base - 6}" text-anchor="middle">{escape(cell(reports, min_cell))}</text>'
        )
        return parts
    y = float(base)
    for label, colour, count in _segments(row, min_cell):
        height = count * unit
        y -= height
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{BAR}" height="{height:.1f}" fill="{colour}"><title>{escape(label)}</title></rect>'
        )
    parts.append(f'<text x="{x + BAR / 2}" y="{y - 5:.1f}" text-anchor="middle">{reports}</text>')
    return parts


def chart(report: Report) -> str:
    """Reports per year, stacked by outcome, as inline SVG."""
    rows = report.rows
    peak = max([row.counts["reports"] for row in rows] + [report.min_cell, 1])
    unit = (PLOT_HEIGHT - 14) / peak
    width = LEFT + GAP + len(rows) * (BAR + GAP)
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT
    body = [f'<line x1="{LEFT}" y1="{base}" x2="{width}" y2="{base}" stroke="#8a949e"/>']
    for index, row in enumerate(rows):
        body += _bar(row, index, unit, report.min_cell)
    label = f"Reports received per year, {rows[0].key} to {rows[-1].key}, by outcome"
    return (
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        + "".join(body)
        + "</svg>"
    )


def legend(min_cell: int) -> str:
    items = [(label, colour) for _, label, colour in SERIES] + [
        (f"Fewer than {min_cell} each", MERGED_COLOUR)
    ]
    return (
        '<ul class="legend">'
        + "".join(
            f'<li><span style="background:{c}"></span>{escape(label)}</li>' for label, c in items
        )
        + "</ul>"
    )


def table(report: Report) -> str:
    head = "".join(f'<th scope="col">{escape(label)}</th>' for label in ("Year", *labels(report)))
    rows = []
    for values in published_rows(report):
        current = ' class="current"' if values[0] == str(report.year) else ""
        cells = "".join(f"<td>{escape(v)}</td>" for v in values[1:])
        rows.append(f'<tr{current}><th scope="row">{escape(values[0])}</th>{cells}</tr>')
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def outcomes(texts: Sequence[str]) -> str:
    return (
        '<ul class="outcomes">' + "".join(f"<li>{escape(t)}</li>" for t in texts) + "</ul>"
        if texts
        else ""
    )


def summaries(report: Report) -> str:
    """The outcomes section, only when asked for (`--with-summaries`)."""
    if not report.with_summaries:
        return ""
    note = f"<p>{escape(outcomes_note(report))}</p>"
    return f"<h2>Outcomes in {report.year}</h2>{note}{outcomes(report.outcomes)}"


def render(report: Report) -> str:
    title = f"Code of Conduct transparency report {report.year}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{CSS}</style></head>",
            "<body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="intro">{escape(intro(report))}</p>',
            table(report),
            f"<figure>{chart(report)}<figcaption>Reports received per year by outcome.</figcaption>{legend(report.min_cell)}</figure>",
            summaries(report),
            f"<footer>Report date: {report.as_of.isoformat()}. Generated by cocrec from the committee's records.</footer>",
            "</body>",
            "</html>",
        ]
    )
