"""The closed sets of names that the record, the policy and the command line share.

Each is a `Literal` type with the tuple of its values beside it, so that mypy checks every use and
the command line offers exactly these choices. This module holds no dataclass and imports nothing
of cocrec's, so `cocrec --help` can list the choices without loading the model.
"""

from __future__ import annotations

from typing import Literal, get_args

OutcomeType = Literal["no-violation", "unidentified", "resolved", "flagged", "banned"]
OUTCOME_TYPES: tuple[OutcomeType, ...] = get_args(OutcomeType)
StepName = Literal["reporter", "subjects"]
STEPS: tuple[StepName, ...] = get_args(StepName)
ReporterKind = Literal["official", "public", "private"]
DeadlineKind = Literal["acknowledge", "decide", "review_unilateral", "appeal_window"]
DEADLINE_KINDS: tuple[DeadlineKind, ...] = get_args(DeadlineKind)
RecordStatus = Literal["open", "closed"]  # open: no outcome yet
RECORD_STATUSES: tuple[RecordStatus, ...] = get_args(RecordStatus)
CountBy = Literal["year", "half", "region", "outcome", "consequence", "category"]  # `stats --by`
COUNT_BY: tuple[CountBy, ...] = get_args(CountBy)

# `cocrec init --policy NAME`: each preset is a template shipped in cocrec/templates, naming its
# source in a comment.
PRESETS: dict[str, str] = {
    "dsf-2018": "cocrec.yaml",
    "django-2026": "cocrec.django-2026.yaml",
    "contributor-covenant-2.1": "cocrec.contributor-covenant-2.1.yaml",
}
DEFAULT_PRESET = "dsf-2018"
