"""The record, its parts and the members, as frozen dataclasses (SPEC sections 3 and 6).

`Record.from_doc` reads a document that has already passed schema validation
(cocrec.schema); the document itself (a plain dict) stays the source of truth
for writing and redaction, the dataclasses are what the pure core computes on.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import (
    Any,
    TypeVar,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from .dates import parse_date
from .vocabulary import OutcomeType, ReporterKind, StepName

Doc = dict[str, Any]


def _opt_date(value: Any) -> dt.date | None:
    return parse_date(value) if value is not None else None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(map(str, value)) if value else ()


@dataclass(frozen=True, slots=True)
class Subject:
    name: str | None = None
    emails: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    also_in: tuple[str, ...] = ()
    expunged: bool = False

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Subject:
        return _from_mapping(cls, doc)


@dataclass(frozen=True, slots=True)
class Reporter:
    kind: ReporterKind
    name: str | None = None
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    type: OutcomeType
    decided_on: dt.date
    ban_until: dt.date | None = None
    ban_permanent: bool = False
    consequence: str | None = None
    recommendations: str | None = None
    shareable_summary: str | None = None


@dataclass(frozen=True, slots=True)
class UnilateralAction:
    taken_on: dt.date
    reviewed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Appeal:
    received_on: dt.date
    decided_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Override:
    reason: str
    decided_on: dt.date | None = None
    reporter: dt.date | None = None
    subjects: dt.date | None = None

    def date_for(self, step: StepName) -> dt.date | None:
        return self.reporter if step == "reporter" else self.subjects


@dataclass(frozen=True, slots=True)
class Hold:
    reason: str
    since: dt.date
    review_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Disclosure:
    on: dt.date
    to: str | None
    what: str


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    reported_on: dt.date
    region: str
    reporter: Reporter
    subjects: tuple[Subject, ...] = ()
    outcome: Outcome | None = None
    event: str | None = None
    categories: tuple[str, ...] = ()
    channel: str | None = None
    handled_by: str | None = None
    recused: tuple[str, ...] = ()
    action_by_committee: bool = False
    action_by_local_rep: bool = False
    override: Override | None = None
    hold: Hold | None = None
    disclosures: tuple[Disclosure, ...] = ()
    expunged: Mapping[StepName, dt.date] = field(default_factory=dict)
    acknowledged_on: dt.date | None = None
    unilateral_action: UnilateralAction | None = None
    appeal: Appeal | None = None
    decided_on_assumed: bool = False
    """Imported from a sheet without a decision date: outcome.decided_on is only the report date."""

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def year(self) -> int:
        return self.reported_on.year

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Record:
        """Build from a schema-valid document: each field from the key of its name, but for what
        the record keeps in a nested mapping."""
        retention = doc.get("retention") or {}
        return _from_mapping(
            cls,
            doc,
            reporter={"kind": "private", **(doc.get("reporter") or {})},
            action_by_committee=(doc.get("action_by_committee") or {}).get("taken", False),
            action_by_local_rep=(doc.get("action_by_local_rep") or {}).get("taken", False),
            override=retention.get("override"),
            hold=retention.get("hold"),
            expunged={k: parse_date(v) for k, v in (doc.get("expunged") or {}).items()},
            decided_on_assumed=(doc.get("imported") or {}).get("decided_on_assumed", False),
        )


def _outcome(doc: Mapping[str, Any] | None) -> Outcome | None:
    if not doc:
        return None
    ban = doc.get("ban") or {}
    return _from_mapping(
        Outcome, doc, ban_until=ban.get("until"), ban_permanent=ban.get("permanent", False)
    )


T = TypeVar("T")


def _from_mapping(cls: type[T], doc: Mapping[str, Any], **nested: Any) -> T:
    """The dataclass `cls` from the keys of `doc` named like its fields (`nested` gives those kept
    elsewhere), each converted by its field's type; an absent optional field is its default."""
    given = {**doc, **nested}
    return cls(
        **{
            name: convert(given[name]) if name in given else None
            for name, convert, optional in _converters(cast(Any, cls))
            if name in given or optional
        }
    )


@functools.cache
def _converters(cls: type[Any]) -> tuple[tuple[str, Callable[[Any], Any], bool], ...]:
    """Each field's name, converter, and whether it is optional without a default (then None)."""
    hints = get_type_hints(cls)
    return tuple(
        (
            f.name,
            _converter(hints[f.name]),
            f.default is MISSING and type(None) in get_args(hints[f.name]),
        )
        for f in fields(cls)
    )


def _converter(hint: Any) -> Callable[[Any], Any]:
    """How a document's value becomes a field of type `hint`: dates parsed, lists as tuples,
    mappings as the dataclass they hold; anything else as it is."""
    if hint is dt.date:
        return parse_date
    if hint is bool:
        return bool
    if hint == tuple[str, ...]:
        return _strings
    inner = [arg for arg in get_args(hint) if arg is not type(None)]
    if get_origin(hint) is tuple and is_dataclass(inner[0]):
        return lambda value: tuple(_build(inner[0], item) for item in value or ())
    if len(inner) == 1 and type(None) in get_args(hint):  # Optional[X]
        convert = _converter(inner[0])
        return lambda value: None if value is None or value == {} else convert(value)
    if is_dataclass(hint):
        return lambda value: _build(hint, value)
    return lambda value: value


def _build(cls: Any, value: Any) -> Any:
    return _outcome(value) if cls is Outcome else _from_mapping(cls, value)


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    keys: tuple[str, ...]
    since: dt.date | None = None
    identifiers: Subject = Subject()  # the member's own emails, usernames and urls (no name)

    def to_doc(self) -> Doc:
        doc: Doc = {"id": self.id, "name": self.name, "keys": list(self.keys)}
        if self.since:
            doc["since"] = self.since.isoformat()
        own = {
            k: list(v)
            for k, v in (
                ("emails", self.identifiers.emails),
                ("usernames", self.identifiers.usernames),
                ("urls", self.identifiers.urls),
            )
            if v
        }
        if own:
            doc["identifiers"] = own
        return doc


@dataclass(frozen=True)
class FormerMember:
    id: str
    name: str
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Pending:
    """A member who joined under `access.onboarding: declare`: not yet cleared for these earlier records."""

    id: str
    records: tuple[str, ...]


@dataclass(frozen=True)
class Members:
    current: tuple[Member, ...] = ()
    former: tuple[FormerMember, ...] = ()
    pending: tuple[Pending, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for m in self.current for k in m.keys)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.current) | frozenset(m.id for m in self.former)

    @functools.cached_property
    def current_ids(self) -> frozenset[str]:
        """Asked for every record a command reads: worked out once."""
        return frozenset(m.id for m in self.current)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Members:
        return cls(
            current=tuple(
                Member(
                    str(m["id"]),
                    str(m["name"]),
                    _strings(m.get("keys")),
                    _opt_date(m.get("since")),
                    Subject.from_doc(m.get("identifiers") or {}),
                )
                for m in doc.get("members") or ()
            ),
            former=tuple(
                FormerMember(
                    str(m["id"]),
                    str(m["name"]),
                    _opt_date(m.get("since")),
                    _opt_date(m.get("until")),
                )
                for m in doc.get("former") or ()
            ),
            pending=tuple(
                Pending(str(p["id"]), _strings(p.get("records"))) for p in doc.get("pending") or ()
            ),
        )

    def to_doc(self) -> Doc:
        former = [
            {
                "id": m.id,
                "name": m.name,
                **({"since": m.since.isoformat()} if m.since else {}),
                **({"until": m.until.isoformat()} if m.until else {}),
            }
            for m in self.former
        ]
        doc: Doc = {"members": [m.to_doc() for m in self.current], "former": former}
        if self.pending:
            doc["pending"] = [{"id": p.id, "records": list(p.records)} for p in self.pending]
        return doc
