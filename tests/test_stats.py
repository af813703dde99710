"""Statistics (SPEC section 7), pure: against a hand count, and invariants over any records."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import stats
from cocrec.model import Record
from cocrec.vocabulary import OUTCOME_TYPES


def rec(
    rid: str,
    reported_on: str,
    kind: str | None = None,
    region: str = "europe",
    categories: tuple[str, ...] = (),
    subjects: int = 1,
    expunged: int = 0,
    committee: bool = False,
    local: bool = False,
) -> Record:
    doc: dict[str, Any] = {
        "id": rid,
        "reported_on": reported_on,
        "region": region,
        "reporter": {"kind": "private"},
        "categories": list(categories),
        "subjects": [
            {"name": f"Person {n}", "emails": [f"p{n}@example.org"]} for n in range(subjects)
        ]
        + [{"expunged": True}] * expunged,
        "action_by_committee": {"taken": committee},
        "action_by_local_rep": {"taken": local},
    }
    if kind is not None:
        doc["outcome"] = {
            "type": kind,
            "decided_on": reported_on,
            **({"ban": {"permanent": True}} if kind == "banned" else {}),
        }
    return Record.from_doc(doc)


RECORDS = [
    rec("2025-aaaa", "2025-03-01", "flagged", categories=("harassment",), committee=True),
    rec(
        "2025-bbbb",
        "2025-06-01",
        "resolved",
        region="online",
        categories=("harassment", "unwanted-contact"),
        subjects=2,
        local=True,
    ),
    # expunged: its general facts and its (expunged) subjects still count
    rec("2025-cccc", "2025-07-01", "no-violation", subjects=0, expunged=2, committee=True),
    rec(
        "2026-dddd",
        "2026-01-10",
        None,
        region="asia",
        categories=("other",),
        committee=True,
        local=True,
    ),
    rec(
        "2026-eeee", "2026-02-10", "banned", categories=("harassment",), subjects=1, committee=True
    ),
    rec("2026-ffff", "2026-03-10", "unidentified", region="online", subjects=0),
]


def as_dicts(by: stats.By) -> list[dict[str, Any]]:
    return stats.to_json(stats.count(RECORDS, by), by)["rows"]  # type: ignore[no-any-return]


def zeros(**counts: int) -> dict[str, int]:
    return {**dict.fromkeys(stats.COUNTS, 0), **counts}


# Every decided record above was decided on its report day; none was acknowledged.
SAME_DAY = {"median_days_to_acknowledge": None, "median_days_to_decide": 0}


def test_by_year_matches_a_hand_count() -> None:
    assert as_dicts("year") == [
        {
            "year": 2025,
            **zeros(
                reports=3,
                people_named=5,
                actions_by_committee=2,
                actions_by_local_rep=1,
                flagged=1,
                resolved=1,
                **{"no-violation": 1},
            ),
            **SAME_DAY,
        },
        {
            "year": 2026,
            **zeros(
                reports=3,
                people_named=2,
                actions_by_committee=2,
                actions_by_local_rep=1,
                open=1,
                banned=1,
                unidentified=1,
            ),
            **SAME_DAY,
        },
    ]


def test_json_shape_is_exactly_the_spec() -> None:
    data = stats.to_json(stats.count(RECORDS, "region"), "region")
    assert list(data) == ["by", "rows"] and data["by"] == "region"
    assert list(data["rows"][0]) == [
        "region",
        "reports",
        "people_named",
        "actions_by_committee",
        "actions_by_local_rep",
        "open",
        "no-violation",
        "unidentified",
        "resolved",
        "flagged",
        "banned",
        "median_days_to_acknowledge",
        "median_days_to_decide",
    ]
    assert [row["region"] for row in data["rows"]] == ["asia", "europe", "online"]


def test_by_category_counts_a_record_in_each_of_its_categories_and_uncategorised_last() -> None:
    rows = {row["category"]: row for row in as_dicts("category")}
    assert list(rows) == ["harassment", "other", "unwanted-contact", "uncategorised"]
    assert rows["harassment"]["reports"] == 3 and rows["unwanted-contact"]["reports"] == 1
    assert rows["uncategorised"] == {
        "category": "uncategorised",
        **zeros(
            reports=2, people_named=2, actions_by_committee=1, unidentified=1, **{"no-violation": 1}
        ),
        **SAME_DAY,
    }


def test_by_outcome_in_policy_order_with_open_last() -> None:
    assert [row["outcome"] for row in as_dicts("outcome")] == [
        "no-violation",
        "unidentified",
        "resolved",
        "flagged",
        "banned",
        "open",
    ]


def test_by_year_fills_the_years_without_records() -> None:
    rows = stats.by_year(RECORDS, 2023, 2026)
    assert [row.key for row in rows] == [2023, 2024, 2025, 2026]
    assert rows[0].counts == zeros() and rows[2].counts["reports"] == 3


def test_no_records_no_rows() -> None:
    assert stats.to_json(stats.count([], "year"), "year") == {"by": "year", "rows": []}


KINDS = st.sampled_from([None, *OUTCOME_TYPES])
record_args = st.tuples(
    st.integers(2020, 2030),
    KINDS,
    st.sampled_from(["europe", "asia", "online"]),
    st.lists(st.sampled_from(["harassment", "other", "discrimination"]), max_size=3, unique=True),
    st.integers(0, 3),
    st.integers(0, 2),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(record_args, max_size=25))
def test_totals_equal_the_records(args: list[tuple[Any, ...]]) -> None:
    records = [
        rec(
            f"{year}-{n:04d}",
            f"{year}-05-01",
            kind,
            region,
            tuple(cats),
            named,
            gone,
            committee,
            local,
        )
        for n, (year, kind, region, cats, named, gone, committee, local) in enumerate(args)
    ]
    for by in ("year", "region", "outcome"):
        rows = stats.count(records, by)  # type: ignore[arg-type]
        total = stats.total(rows)
        assert total["reports"] == len(records)
        assert total["people_named"] == sum(len(r.subjects) for r in records)
        assert total["open"] == sum(r.is_open for r in records)
        assert total["actions_by_committee"] == sum(r.action_by_committee for r in records)
        for row in rows:
            assert row.counts["reports"] == row.counts["open"] + sum(
                row.counts[k] for k in OUTCOME_TYPES
            )
    by_category = stats.total(stats.count(records, "category"))
    assert by_category["reports"] == sum(max(1, len(r.categories)) for r in records)


def test_an_imported_decision_date_counts_only_once_a_member_corrects_it() -> None:
    def imported(decided_on: str) -> Record:
        doc: dict[str, Any] = {
            "id": "2026-aaaa",
            "reported_on": "2026-01-01",
            "region": "europe",
            "reporter": {"kind": "private"},
            "outcome": {"type": "resolved", "decided_on": decided_on},
            "imported": {"row_sha256": "0" * 64, "date": "2026-12-01", "decided_on_assumed": True},
        }
        return Record.from_doc(doc)

    assert stats.medians_of([imported("2026-01-01")])["median_days_to_decide"] is None
    assert stats.medians_of([imported("2026-01-15")])["median_days_to_decide"] == 14
