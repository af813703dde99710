"""The committee's policy, cocrec.yaml (SPEC section 4), with the defaults of POLICY.md."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Optional

from .model import OutcomeType, StepName

Months = Optional[int]  # None means "never"

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
    "regions": ["europe", "north-america", "africa", "asia", "oceania", "latin-america", "online", "other"],
    "categories": [
        "harassment",
        "discrimination",
        "inappropriate-content",
        "disruptive-behaviour",
        "unwanted-contact",
        "other",
    ],
    "channels": ["email", "event-staff", "online-moderators", "other"],
    "report": {"min_cell": 3},
    "extra_files": [],
}


def _months(value: Any) -> Months:
    return None if value == "never" else int(value)


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
    extra_files: tuple[str, ...] = ()  # globs: what the committee keeps besides cocrec's own files

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
            extra_files=tuple(merged["extra_files"]),
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
