"""The committee's policy, cocrec.yaml (SPEC sections 4 and 12), with the defaults of POLICY.md.

Besides retention and the lists, a policy holds the committee's enforcement
ladder (`consequences`, each naming the outcome types it may go with), its
deadlines in days, and the columns of its public report. `cocrec init
--policy NAME` starts from one of PRESETS.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .vocabulary import DEADLINE_KINDS, DeadlineKind, OutcomeType, StepName

Months = int | None  # None means "never"
Days = int | None  # None turns a deadline off
BanKind = Literal["until", "permanent"]
Onboarding = Literal[
    "all", "declare"
]  # a new member receives earlier records at once, or once cleared

# The counts a report column may name besides outcome types and consequences (cocrec.stats.ACTIVITY).
REPORT_COLUMNS_DEFAULT: dict[str, str] = {
    "Reports": "reports",
    "People named": "people_named",
    "Action by the committee": "actions_by_committee",
    "Action by local organisers": "actions_by_local_rep",
    "Open": "open",
    "No violation": "no-violation",
    "Unidentified": "unidentified",
    "Resolved": "resolved",
    "Flagged": "flagged",
    "Banned": "banned",
}

DEFAULT_DOC: dict[str, Any] = {
    "retention": {
        "starts": "decided_on",
        "terms": {
            "no-violation": {"reporter": 0, "subjects": 0},
            "unidentified": {"reporter": 6, "subjects": "never"},
            "resolved": {"reporter": 14, "subjects": 14},
            "flagged": {"reporter": 26, "subjects": 26},
            "banned": {"after_ban": 26},
        },
        "repeat_violation_extends": True,
        "stale_open_case_days": 90,
    },
    "regions": [
        "europe",
        "north-america",
        "africa",
        "asia",
        "oceania",
        "latin-america",
        "online",
        "other",
    ],
    "categories": [
        "harassment",
        "discrimination",
        "inappropriate-content",
        "disruptive-behaviour",
        "unwanted-contact",
        "other",
    ],
    "channels": ["email", "event-staff", "online-moderators", "other"],
    "consequences": {},
    "deadlines": {"acknowledge": 1, "decide": 30, "review_unilateral": 1, "appeal_window": 30},
    "report": {"min_cell": 3, "columns": REPORT_COLUMNS_DEFAULT},
    "extra_files": [],
    "invented_files": [],
    "access": {"onboarding": "all"},
}


def _months(value: Any) -> Months:
    return None if value == "never" else int(value)


@dataclass(frozen=True)
class Consequence:
    """One step of the enforcement ladder: the outcome types it goes with, and for a ban which kind."""

    name: str
    outcomes: tuple[OutcomeType, ...]
    ban: BanKind | None = None

    def allows(self, outcome: OutcomeType, ban_permanent: bool) -> bool:
        if outcome not in self.outcomes:
            return False
        if outcome != "banned" or self.ban is None:
            return True
        return ban_permanent == (self.ban == "permanent")


@dataclass(frozen=True)
class ReportColumn:
    """A column of the public report: its label and the count(s) it adds up."""

    label: str
    counts: tuple[str, ...]


def _consequences(doc: Mapping[str, Any]) -> dict[str, Consequence]:
    return {name: Consequence(name, tuple(c["outcomes"]), c.get("ban")) for name, c in doc.items()}


def _report_columns(doc: Mapping[str, Any]) -> tuple[ReportColumn, ...]:
    return tuple(
        ReportColumn(str(label), (counts,) if isinstance(counts, str) else tuple(counts))
        for label, counts in doc.items()
    )


@dataclass(frozen=True)
class Policy:
    starts: Literal["decided_on", "reported_on"]
    terms: Mapping[OutcomeType, Mapping[StepName, Months]]
    after_ban: Months
    repeat_violation_extends: bool
    stale_open_case_days: int
    regions: tuple[str, ...]
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    min_cell: int
    consequences: Mapping[str, Consequence]
    deadlines: Mapping[DeadlineKind, Days]
    report_columns: tuple[ReportColumn, ...]
    extra_files: tuple[str, ...] = ()  # globs: what the committee keeps besides cocrec's own files
    invented_files: tuple[
        str, ...
    ] = ()  # globs: files of invented people (a demo, tests), not searched for record data
    onboarding: Onboarding = "all"

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Policy:
        """Build from a schema-valid cocrec.yaml document, filling in defaults."""
        merged = merge_defaults(doc)
        retention = merged["retention"]
        terms = retention["terms"]
        return cls(
            starts=retention["starts"],
            terms={
                outcome: {"reporter": _months(t["reporter"]), "subjects": _months(t["subjects"])}
                for outcome, t in terms.items()
                if outcome != "banned"
            },
            after_ban=_months(terms["banned"]["after_ban"]),
            repeat_violation_extends=bool(retention["repeat_violation_extends"]),
            stale_open_case_days=int(retention["stale_open_case_days"]),
            regions=tuple(merged["regions"]),
            categories=tuple(merged["categories"]),
            channels=tuple(merged["channels"]),
            min_cell=int(merged["report"]["min_cell"]),
            consequences=_consequences(merged["consequences"]),
            deadlines={kind: merged["deadlines"].get(kind) for kind in DEADLINE_KINDS},
            report_columns=_report_columns(merged["report"]["columns"]),
            extra_files=tuple(merged["extra_files"]),
            invented_files=tuple(merged["invented_files"]),
            onboarding=merged["access"]["onboarding"],
        )


def merge_defaults(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults, overlaid by what the committee wrote (two levels deep, terms per outcome)."""
    merged = copy.deepcopy(DEFAULT_DOC)
    for key, value in doc.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            for sub, subvalue in value.items():
                if sub == "terms" and isinstance(subvalue, dict):
                    merged[key]["terms"].update(subvalue)
                else:
                    merged[key][sub] = subvalue
        else:
            merged[key] = value
    return merged


DEFAULT_POLICY = Policy.from_doc({})
