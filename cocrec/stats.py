"""The committee's statistics (SPEC section 7): counts over records, by year received, region, outcome or category.

Pure: records in, rows out. Every record counts, expunged ones included: an
expunge removes personal data, not the general facts (year, region,
categories, outcome, actions) nor the number of people named (an expunged
subject stays as `{expunged: true}`).

The key of a row:
- year: the year the report was received (`reported_on`), an integer;
- region: the record's region;
- outcome: the outcome type, or `open` for a case not yet decided;
- category: each of the record's categories (a record with several counts once
  in each, so the rows of `--by category` can add up to more than the number
  of records), or `uncategorised` for a record without any.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence, Union, get_args

from .model import OUTCOME_TYPES, Record

By = Literal["year", "region", "outcome", "category"]
BY_CHOICES: tuple[By, ...] = get_args(By)
Key = Union[int, str]

OPEN = "open"
UNCATEGORISED = "uncategorised"
ACTIVITY = ("reports", "people_named", "actions_by_committee", "actions_by_local_rep", "open")
COUNTS: tuple[str, ...] = ACTIVITY + OUTCOME_TYPES
"""Every count of a row, in the order of SPEC section 7."""


@dataclass(frozen=True)
class Row:
    key: Key
    counts: Mapping[str, int]

    def to_json(self, by: By) -> dict[str, Any]:
        return {by: self.key, **{name: self.counts[name] for name in COUNTS}}


def keys_of(record: Record, by: By) -> tuple[Key, ...]:
    """The row(s) a record counts in."""
    if by == "year":
        return (record.year,)
    if by == "region":
        return (record.region,)
    if by == "outcome":
        return (record.outcome.type if record.outcome else OPEN,)
    return tuple(dict.fromkeys(record.categories)) or (UNCATEGORISED,)


def record_counts(record: Record) -> dict[str, int]:
    """What one record adds to its row(s)."""
    counts = dict.fromkeys(COUNTS, 0)
    counts["reports"] = 1
    counts["people_named"] = len(record.subjects)
    counts["actions_by_committee"] = int(record.action_by_committee)
    counts["actions_by_local_rep"] = int(record.action_by_local_rep)
    counts[record.outcome.type if record.outcome else OPEN] = 1
    return counts


def _order(by: By, key: Key) -> tuple[int, Key]:
    """Years ascending; outcomes in the policy's order, open last; names alphabetically, `uncategorised` last."""
    if by == "outcome":
        return ((OUTCOME_TYPES + (OPEN,)).index(str(key)) if key in OUTCOME_TYPES + (OPEN,) else 99, str(key))
    if by == "category" and key == UNCATEGORISED:
        return (1, str(key))
    return (0, key)


def count(records: Sequence[Record], by: By) -> list[Row]:
    """One row per key that occurs, sorted (years ascending, names alphabetically)."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for record in records:
        adds = record_counts(record)
        for key in keys_of(record, by):
            row = totals[key]
            for name, value in adds.items():
                row[name] += value
    return [Row(key, dict(totals[key])) for key in sorted(totals, key=lambda k: _order(by, k))]


def total(rows: Sequence[Row]) -> dict[str, int]:
    """The column sums (the number of records only for year, region and outcome: categories overlap)."""
    return {name: sum(row.counts[name] for row in rows) for name in COUNTS}


def by_year(records: Sequence[Record], first: int, last: int) -> list[Row]:
    """One row for every year from `first` to `last`, years without records as zeros (a trend has no gaps)."""
    found = {row.key: row for row in count(records, "year")}
    return [found.get(year, Row(year, dict.fromkeys(COUNTS, 0))) for year in range(first, last + 1)]


def to_json(rows: Sequence[Row], by: By) -> dict[str, Any]:
    """`cocrec stats --format json` exactly (SPEC section 7)."""
    return {"by": by, "rows": [row.to_json(by) for row in rows]}


def received_in(records: Sequence[Record], year: int) -> list[Record]:
    return [r for r in records if r.year == year]


def first_year(records: Sequence[Record], default: int) -> int:
    return min((r.year for r in records), default=default)

