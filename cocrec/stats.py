"""The committee's statistics (SPEC sections 7 and 12): counts over records, by year or half-year
received, region, outcome, consequence or category, with the median days to acknowledge and decide.

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
  of records), or `uncategorised` for a record without any;
- half: the half-year received, `2026-H1` (January to June) or `2026-H2`;
- consequence: the outcome's consequence (the policy's ladder order), `unspecified`
  for a decided case without one, `open` for a case not yet decided.

Each row also counts each of the policy's consequences (when it has any), and gives
`median_days_to_acknowledge` (reported_on to acknowledged_on) and
`median_days_to_decide` (reported_on to outcome.decided_on), None where no record
of the row has the dates. An imported record whose sheet gave no decision date
(`imported.decided_on_assumed`) is left out of the latter while its decision date is
still only its report date (a member who corrects the date brings it back in).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Record
from .vocabulary import OUTCOME_TYPES, CountBy

By = CountBy
Key = int | str
Median = int | float | None

OPEN = "open"
UNCATEGORISED = "uncategorised"
UNSPECIFIED = "unspecified"
ACTIVITY = ("reports", "people_named", "actions_by_committee", "actions_by_local_rep", "open")
COUNTS: tuple[str, ...] = ACTIVITY + OUTCOME_TYPES
"""Every count of a row, in the order of SPEC section 7."""


MEDIANS = ("median_days_to_acknowledge", "median_days_to_decide")


@dataclass(frozen=True)
class Row:
    key: Key
    counts: Mapping[str, int]
    consequences: Mapping[str, int] = field(default_factory=dict)
    """One count per consequence of the policy, in its ladder order (empty when it has none)."""
    medians: Mapping[str, Median] = field(default_factory=lambda: dict.fromkeys(MEDIANS))

    def to_json(self, by: By) -> dict[str, Any]:
        data: dict[str, Any] = {by: self.key, **{name: self.counts[name] for name in COUNTS}}
        if self.consequences:
            data["consequences"] = dict(self.consequences)
        return {**data, **{name: self.medians[name] for name in MEDIANS}}

    def count_of(self, name: str) -> int:
        """A count by name: an activity, an outcome type or a consequence."""
        return self.counts[name] if name in self.counts else self.consequences.get(name, 0)


def half_of(record: Record) -> str:
    return f"{record.year}-H{1 if record.reported_on.month <= 6 else 2}"


def consequence_of(record: Record) -> str:
    if record.outcome is None:
        return OPEN
    return record.outcome.consequence or UNSPECIFIED


def keys_of(record: Record, by: By) -> tuple[Key, ...]:
    """The row(s) a record counts in."""
    if by == "year":
        return (record.year,)
    if by == "half":
        return (half_of(record),)
    if by == "region":
        return (record.region,)
    if by == "outcome":
        return (record.outcome.type if record.outcome else OPEN,)
    if by == "consequence":
        return (consequence_of(record),)
    return tuple(dict.fromkeys(record.categories)) or (UNCATEGORISED,)


def days_to_acknowledge(record: Record) -> int | None:
    if record.acknowledged_on is None:
        return None
    return (record.acknowledged_on - record.reported_on).days


def days_to_decide(record: Record) -> int | None:
    """None for an open case, and for an imported one whose decision date is still its report date
    only because the sheet had none."""
    if record.outcome is None:
        return None
    if record.decided_on_assumed and record.outcome.decided_on == record.reported_on:
        return None
    return (record.outcome.decided_on - record.reported_on).days


def median(values: Sequence[int]) -> Median:
    """The median, a whole number where it is one; None for no values."""
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else float(middle)


def medians_of(records: Sequence[Record]) -> dict[str, Median]:
    acknowledge = [d for d in map(days_to_acknowledge, records) if d is not None]
    decide = [d for d in map(days_to_decide, records) if d is not None]
    return {
        "median_days_to_acknowledge": median(acknowledge),
        "median_days_to_decide": median(decide),
    }


def record_counts(record: Record) -> dict[str, int]:
    """What one record adds to its row(s)."""
    counts = dict.fromkeys(COUNTS, 0)
    counts["reports"] = 1
    counts["people_named"] = len(record.subjects)
    counts["actions_by_committee"] = int(record.action_by_committee)
    counts["actions_by_local_rep"] = int(record.action_by_local_rep)
    counts[record.outcome.type if record.outcome else OPEN] = 1
    return counts


def _order(by: By, key: Key, ladder: Sequence[str]) -> tuple[int, Key]:
    """Years ascending; outcomes in the policy's order, open last; consequences in the ladder's order,
    `unspecified` and `open` last; names alphabetically, `uncategorised` last."""
    fixed = {"outcome": (*OUTCOME_TYPES, OPEN), "consequence": (*ladder, UNSPECIFIED, OPEN)}.get(by)
    if fixed is not None:
        return (fixed.index(str(key)) if key in fixed else len(fixed), str(key))
    if by == "category" and key == UNCATEGORISED:
        return (1, str(key))
    return (0, key)


def row_of(key: Key, records: Sequence[Record], ladder: Sequence[str] = ()) -> Row:
    """The row of `key` over `records`: the counts, each consequence of `ladder`, the medians."""
    counts = dict.fromkeys(COUNTS, 0)
    for record in records:
        for name, value in record_counts(record).items():
            counts[name] += value
    consequences = {name: sum(consequence_of(r) == name for r in records) for name in ladder}
    return Row(key, counts, consequences, medians_of(records))


def count(records: Sequence[Record], by: By, ladder: Sequence[str] = ()) -> list[Row]:
    """One row per key that occurs, sorted (years ascending, names alphabetically); `ladder` is the
    policy's consequences, in order."""
    grouped: dict[Key, list[Record]] = defaultdict(list)
    for record in records:
        for key in keys_of(record, by):
            grouped[key].append(record)
    keys = sorted(grouped, key=lambda k: _order(by, k, ladder))
    return [row_of(key, grouped[key], ladder) for key in keys]


def total(rows: Sequence[Row]) -> dict[str, int]:
    """The column sums (the number of records only for year, region and outcome: categories overlap)."""
    return {name: sum(row.counts[name] for row in rows) for name in COUNTS}


def by_year(
    records: Sequence[Record], first: int, last: int, ladder: Sequence[str] = ()
) -> list[Row]:
    """One row for every year from `first` to `last`, years without records as zeros (a trend has no gaps)."""
    found = {row.key: row for row in count(records, "year", ladder)}
    return [found.get(year, row_of(year, [], ladder)) for year in range(first, last + 1)]


def to_json(rows: Sequence[Row], by: By) -> dict[str, Any]:
    """`cocrec stats --format json` exactly (SPEC section 7)."""
    return {"by": by, "rows": [row.to_json(by) for row in rows]}


def received_in(records: Sequence[Record], year: int) -> list[Record]:
    return [r for r in records if r.year == year]


def first_year(records: Sequence[Record], default: int) -> int:
    return min((r.year for r in records), default=default)
