from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..conftest import Cocrec, outcome, record
from .scenario import add_all

COUNT_KEYS = [
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
]
MEDIANS = ["median_days_to_acknowledge", "median_days_to_decide"]


def stats_json(repo: Cocrec, *args: str) -> dict[str, Any]:
    result = repo("stats", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def add_expunged(repo: Cocrec) -> str:
    """A no-violation record from 2024 whose personal data is gone: it still counts."""
    return repo.add(
        record(
            reported_on="2024-01-10",
            reporter={"kind": "public"},
            summary=None,
            subjects=[{"expunged": True}, {"expunged": True}],
            outcome=outcome("no-violation", "2024-01-20"),
            expunged={"reporter": "2024-01-21", "subjects": "2024-01-21"},
        )
    )


def test_by_year_json_is_exactly_the_spec_shape_and_the_hand_count(repo: Cocrec) -> None:
    add_all(repo)
    add_expunged(repo)
    data = stats_json(repo)
    assert list(data) == ["by", "rows"] and data["by"] == "year"
    assert all(list(row) == ["year", *COUNT_KEYS, *MEDIANS] for row in data["rows"])
    assert all(isinstance(row[key], int) for row in data["rows"] for key in ["year", *COUNT_KEYS])
    medians = [row.pop("median_days_to_decide") for row in data["rows"]]
    assert [row.pop("median_days_to_acknowledge") for row in data["rows"]] == [
        0,
        0,
        0,
    ]  # each acknowledged the day it came
    # 2024: I took 9 days, the expunged record 10; 2025: A 19, B 30; 2026: C 22, D 5, E 27, G 19, H 9 (F is open)
    assert medians == [9.5, 24.5, 19]
    # by hand from tests/commands/scenario.py: 2024 = I + the expunged record; 2025 = A, B; 2026 = C D E F G H
    assert data["rows"] == [
        {
            "year": 2024,
            "reports": 2,
            "people_named": 3,
            "actions_by_committee": 2,
            "actions_by_local_rep": 0,
            "open": 0,
            "no-violation": 1,
            "unidentified": 0,
            "resolved": 0,
            "flagged": 1,
            "banned": 0,
        },
        {
            "year": 2025,
            "reports": 2,
            "people_named": 2,
            "actions_by_committee": 2,
            "actions_by_local_rep": 1,
            "open": 0,
            "no-violation": 0,
            "unidentified": 0,
            "resolved": 0,
            "flagged": 1,
            "banned": 1,
        },
        {
            "year": 2026,
            "reports": 6,
            "people_named": 6,
            "actions_by_committee": 4,
            "actions_by_local_rep": 0,
            "open": 1,
            "no-violation": 1,
            "unidentified": 1,
            "resolved": 1,
            "flagged": 0,
            "banned": 2,
        },
    ]


def test_by_region_outcome_and_category(repo: Cocrec) -> None:
    add_all(repo)
    regions = {row["region"]: row for row in stats_json(repo, "--by", "region")["rows"]}
    assert list(regions) == ["asia", "europe", "north-america", "online"]
    assert (
        regions["europe"]["reports"] == 6
        and regions["europe"]["open"] == 1
        and regions["north-america"]["actions_by_local_rep"] == 1
    )
    outcomes = {row["outcome"]: row for row in stats_json(repo, "--by", "outcome")["rows"]}
    assert list(outcomes) == [
        "no-violation",
        "unidentified",
        "resolved",
        "flagged",
        "banned",
        "open",
    ]
    assert (
        outcomes["banned"]["reports"] == 3
        and outcomes["banned"]["people_named"] == 4
        and outcomes["unidentified"]["people_named"] == 0
    )
    categories = {
        row["category"]: row["reports"] for row in stats_json(repo, "--by", "category")["rows"]
    }
    # B has two categories (counted in each), D has none
    assert categories == {
        "discrimination": 1,
        "disruptive-behaviour": 1,
        "harassment": 5,
        "other": 1,
        "unwanted-contact": 1,
        "uncategorised": 1,
    }


def test_csv_has_the_json_keys_as_header(repo: Cocrec) -> None:
    add_all(repo)
    result = repo("stats", "--by", "outcome", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["outcome", *COUNT_KEYS, *MEDIANS]
    assert [r["outcome"] for r in rows][-1] == "open" and rows[-1]["reports"] == "1"


def test_table_has_a_total_line_and_names_nobody(repo: Cocrec) -> None:
    add_all(repo)
    result = repo("stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["YEAR", "REPORTS", "PEOPLE_NAMED"]
    assert lines[-1].split()[:2] == ["total", "9"]
    assert "example.org" not in result.output and "Flora" not in result.output


def test_an_empty_repository_has_no_rows(repo: Cocrec) -> None:
    assert stats_json(repo, "--by", "category") == {"by": "category", "rows": []}
    assert repo("stats").stdout.strip() == "No records yet."


def test_by_half_year_received(repo: Cocrec) -> None:
    add_all(repo)
    rows = stats_json(repo, "--by", "half")["rows"]
    assert [(row["half"], row["reports"]) for row in rows] == [
        ("2024-H1", 1),
        ("2025-H1", 1),
        ("2025-H2", 1),
        ("2026-H1", 3),
        ("2026-H2", 3),
    ]
    assert list(rows[0])[:2] == ["half", "reports"]


def test_the_two_medians_count_only_what_was_recorded(repo: Cocrec) -> None:
    repo.add(
        record(
            reported_on="2026-01-01",
            acknowledged_on="2026-01-02",
            outcome=outcome("resolved", "2026-01-11"),
        )
    )
    repo.add(
        record(
            reported_on="2026-02-01",
            acknowledged_on="2026-02-04",
            subjects=[{"name": "B", "emails": ["b@example.org"]}],
            outcome=outcome("resolved", "2026-02-21"),
        )
    )
    repo.add(
        record(
            reported_on="2026-03-01",
            acknowledged_on=None,
            subjects=[{"name": "C", "emails": ["c@example.org"]}],
        )
    )  # open, never acknowledged
    repo.add(
        record(
            reported_on="2025-03-01",
            acknowledged_on=None,
            subjects=[{"name": "D", "emails": ["d@example.org"]}],
        )
    )
    rows = {row["year"]: row for row in stats_json(repo)["rows"]}
    assert (rows[2026]["median_days_to_acknowledge"], rows[2026]["median_days_to_decide"]) == (
        2,
        15,
    )
    assert (rows[2025]["median_days_to_acknowledge"], rows[2025]["median_days_to_decide"]) == (
        None,
        None,
    )
    table = repo("stats").stdout.splitlines()
    assert table[0].split()[-2:] == ["MEDIAN_DAYS_TO_ACKNOWLEDGE", "MEDIAN_DAYS_TO_DECIDE"]
    assert table[-1].split()[-2:] == ["2", "15"]  # the total line: over every record


def test_by_consequence_in_the_ladder_s_order(repo: Cocrec) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text().replace(
            "consequences: {}",
            "consequences:\n  warning: {outcomes: [resolved, flagged]}\n  ban: {outcomes: [banned]}",
        )
    )
    assert repo("adopt", "--yes").exit_code == 0
    repo.add(
        record(
            reported_on="2026-01-01",
            outcome={**outcome("resolved", "2026-01-11"), "consequence": "warning"},
        )
    )
    repo.add(
        record(
            reported_on="2026-02-01",
            subjects=[{"name": "B", "emails": ["b@example.org"]}],
            outcome={
                **outcome("banned", "2026-02-11", ban={"permanent": True}),
                "consequence": "ban",
            },
        )
    )
    repo.add(
        record(
            reported_on="2026-03-01",
            subjects=[{"name": "C", "emails": ["c@example.org"]}],
            outcome=outcome("flagged", "2026-03-11"),
        )
    )
    repo.add(
        record(reported_on="2026-04-01", subjects=[{"name": "D", "emails": ["d@example.org"]}])
    )
    rows = stats_json(repo, "--by", "consequence")["rows"]
    assert [(row["consequence"], row["reports"]) for row in rows] == [
        ("warning", 1),
        ("ban", 1),
        ("unspecified", 1),
        ("open", 1),
    ]
    assert rows[0]["consequences"] == {"warning": 1, "ban": 0}
    by_year = stats_json(repo)["rows"]
    assert by_year[0]["consequences"] == {"warning": 1, "ban": 1}
