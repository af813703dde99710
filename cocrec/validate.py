"""Every check of a document: the schema first, then the rules a schema cannot express.

Pure: no files, no crypto, no clock. Each problem is a ValidationError naming
the file, the field path and what to do, and never quoting a value from the
document (any value may be personal data). Also here: loading a record,
members.yaml or cocrec.yaml from bytes, and the canonical key order of a
record, so that re-saving an unchanged record is byte-identical.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import dates, schema, yaml_io
from .dates import parse_date
from .errors import CocrecError, ValidationError
from .model import Members, Record
from .policy import Policy
from .record_layout import Shape, layout
from .vocabulary import OUTCOME_TYPES

Doc = dict[str, Any]
FieldPath = tuple[str | int, ...]
KeyCheck = Callable[[str], object]
_layout = layout()

# The record's dates, their order and which are of what has happened (SPEC section 8), and what to
# say of a date outside dates.RANGE: declared in the record schema (cocrec.record_layout).
RECORD_DATES: tuple[Shape, ...] = _layout.dates
RECORD_DATE_ORDER: tuple[tuple[Shape, Shape, str], ...] = _layout.date_order
RECORD_PAST_DATES: tuple[tuple[Shape, str], ...] = _layout.past_dates
OUT_OF_RANGE_ADVICE: Mapping[Shape, str] = _layout.out_of_range_advice
MEMBER_DATES: tuple[tuple[str, ...], ...] = (
    ("members", "*", "since"),
    ("former", "*", "since"),
    ("former", "*", "until"),
)
ALSO_IN = ("subjects", "*", "also_in", "*")
RECIPIENT_HELP = "not a valid recipient: use an age1... public key (age-keygen, cocrec keygen) or an ssh-ed25519/ssh-rsa public key"


# -- records ---------------------------------------------------------------------------------


def record_errors(
    doc: Any, source: str, policy: Policy, members: Members, expected_id: str | None = None
) -> list[ValidationError]:
    """Every problem of one record: schema errors alone if there are any, else the cross-field rules."""
    errors = schema.iter_errors("record", doc, source)
    if errors:
        return errors
    return [
        *_id_errors(doc, source, expected_id),
        *calendar_errors(doc, source, RECORD_DATES),
        *_order_errors(doc, source),
        *_policy_errors(doc, source, policy),
        *_member_errors(doc, source, members),
        *_self_link_errors(doc, source),
    ]


Refs = tuple[str | None, tuple[tuple[FieldPath, Any], ...]]
"""What other records' rules need of one record: its id, and each also_in with its field path."""


def refs(doc: Any) -> Refs:
    return _record_id(doc), tuple(find(doc, ALSO_IN)) if isinstance(doc, Mapping) else ()


def collection_errors(docs_by_source: Mapping[str, Any]) -> list[ValidationError]:
    """Rules across records: each id used once, each also_in naming a record that exists."""
    return refs_errors({source: refs(doc) for source, doc in docs_by_source.items()})


def refs_errors(refs_by_source: Mapping[str, Refs]) -> list[ValidationError]:
    """`collection_errors`, of each record's `refs` (what `check`'s workers send back instead of the
    document)."""
    first_source: dict[str, str] = {}
    errors: list[ValidationError] = []
    for source in sorted(refs_by_source):
        record_id = refs_by_source[source][0]
        if record_id in first_source:
            errors.append(
                ValidationError(
                    source,
                    "id",
                    f"the same id as {first_source[record_id]}: give one of them a new id",
                )
            )
        elif record_id is not None:
            first_source[record_id] = source
    for source in sorted(refs_by_source):
        for path, target in refs_by_source[source][1]:
            if target not in first_source:
                errors.append(
                    ValidationError(
                        source,
                        schema.field_path(path),
                        "no record has this id: fix the id or remove it",
                    )
                )
    return errors


def load_record(
    data: bytes, source: str, policy: Policy, members: Members, expected_id: str | None = None
) -> tuple[Doc, Record]:
    """Parse and validate one plaintext record; raise its first problem."""
    doc = yaml_io.loads(data, source)
    errors = record_errors(doc, source, policy, members, expected_id)
    if errors:
        raise errors[0]
    return doc, Record.from_doc(doc)


def _record_id(doc: Any) -> str | None:
    value = doc.get("id") if isinstance(doc, Mapping) else None
    return value if isinstance(value, str) else None


def _id_errors(doc: Doc, source: str, expected_id: str | None) -> list[ValidationError]:
    if expected_id is None or doc["id"] == expected_id:
        return []
    return [
        ValidationError(
            source,
            "id",
            "does not match the file name: a record's id is its file name without .yaml.age",
        )
    ]


def _order_errors(doc: Doc, source: str) -> list[ValidationError]:
    errors = []
    for earlier_path, later_path, advice in RECORD_DATE_ORDER:
        earlier, later = _date_at(doc, earlier_path), _date_at(doc, later_path)
        if earlier is not None and later is not None and later < earlier:
            where = schema.field_path(later_path)
            errors.append(
                ValidationError(
                    source, where, f"is before {schema.field_path(earlier_path)}: {advice}"
                )
            )
    return errors


def _date_at(doc: Doc, path: tuple[str, ...]) -> Any:
    """The date at `path` as a date, or None when absent or not a calendar date (reported apart)."""
    for _, value in find(doc, path):
        try:
            return parse_date(value)
        except ValueError:
            return None
    return None


def _policy_errors(doc: Doc, source: str, policy: Policy) -> list[ValidationError]:
    errors = []
    if doc["region"] not in policy.regions:
        errors.append(_not_in_policy(source, "region", "regions", policy.regions))
    for index, category in enumerate(doc.get("categories", [])):
        if category not in policy.categories:
            errors.append(
                _not_in_policy(source, f"categories[{index}]", "categories", policy.categories)
            )
    if "channel" in doc and doc["channel"] not in policy.channels:
        errors.append(_not_in_policy(source, "channel", "channels", policy.channels))
    return (
        errors
        + _consequence_errors(doc, source, policy)
        + _appeal_window_errors(doc, source, policy)
    )


def _consequence_errors(doc: Doc, source: str, policy: Policy) -> list[ValidationError]:
    outcome = doc.get("outcome") or {}
    if "consequence" not in outcome:
        return []
    where = "outcome.consequence"
    chosen = policy.consequences.get(outcome["consequence"])
    if chosen is None:
        return [_not_in_policy(source, where, "consequences", tuple(policy.consequences))]
    permanent = bool((outcome.get("ban") or {}).get("permanent"))
    if chosen.allows(outcome["type"], permanent):
        return []
    fits = (
        ", ".join(
            name for name, c in policy.consequences.items() if c.allows(outcome["type"], permanent)
        )
        or "(none)"
    )
    kind = {"until": " (a ban until a date)", "permanent": " (a permanent ban)", None: ""}[
        chosen.ban
    ]
    goes = ", ".join(chosen.outcomes) + kind
    advice = f"does not go with this outcome: it goes with {goes}; use one of {fits}, or change outcome.type"
    return [ValidationError(source, where, advice)]


def _appeal_window_errors(doc: Doc, source: str, policy: Policy) -> list[ValidationError]:
    days = policy.deadlines["appeal_window"]
    decided, received = (
        _date_at(doc, ("outcome", "decided_on")),
        _date_at(doc, ("appeal", "received_on")),
    )
    if days is None or decided is None or received is None or (received - decided).days <= days:
        return []
    advice = f"is after the appeal window ({days} days after outcome.decided_on, deadlines.appeal_window in cocrec.yaml): fix the date"
    return [ValidationError(source, "appeal.received_on", advice)]


def _not_in_policy(source: str, path: str, listing: str, allowed: Sequence[str]) -> ValidationError:
    choices = ", ".join(allowed) if allowed else "(none yet)"
    return ValidationError(
        source,
        path,
        f"not one of the {listing} in cocrec.yaml: use one of {choices}, or add it there",
    )


def _member_errors(doc: Doc, source: str, members: Members) -> list[ValidationError]:
    advice = "not a current or former member id in members.yaml: use one that `cocrec members list` shows"
    errors = []
    if "handled_by" in doc and doc["handled_by"] not in members.ids:
        errors.append(ValidationError(source, "handled_by", advice))
    for path, member_id in find(doc, ("recused", "*")):
        if (
            member_id not in members.ids
        ):  # a recused member who has left stays listed: the record says who was conflicted
            errors.append(ValidationError(source, schema.field_path(path), advice))
    return errors


def _self_link_errors(doc: Doc, source: str) -> list[ValidationError]:
    return [
        ValidationError(
            source,
            schema.field_path(path),
            "names this record itself: also_in links to other records; remove it",
        )
        for path, target in find(doc, ALSO_IN)
        if target == doc["id"]
    ]


# -- shared helpers --------------------------------------------------------------------------


def find(node: Any, pattern: Sequence[str], path: FieldPath = ()) -> list[tuple[FieldPath, Any]]:
    """Each value at `pattern` ("*" = every list item), with its path, in document order.

    A level at a time rather than recursively, and a path without "*" straight down: validation runs it
    eighteen times per record."""
    if "*" not in pattern:
        for head in pattern:
            if not isinstance(node, (dict, Mapping)) or head not in node:
                return []
            node = node[head]
        return [((*path, *pattern), node)]
    found: list[tuple[FieldPath, Any]] = [(path, node)]
    for head in pattern:
        deeper: list[tuple[FieldPath, Any]] = []
        for where, value in found:
            if head == "*" and isinstance(value, list):
                deeper += [((*where, index), item) for index, item in enumerate(value)]
            elif isinstance(value, Mapping) and head in value:
                deeper.append(((*where, head), value[head]))
        if not deeper:
            return deeper
        found = deeper
    return found


def calendar_errors(
    doc: Any, source: str, patterns: Sequence[Sequence[str]]
) -> list[ValidationError]:
    """Dates the schema let through by shape that are not on the calendar (2026-02-30) or outside dates.RANGE."""
    errors = []
    for pattern in patterns:
        for path, value in find(doc, pattern):
            try:
                day = parse_date(value)
            except ValueError:
                errors.append(
                    ValidationError(
                        source,
                        schema.field_path(path),
                        "not a real calendar date: fix the day or month (YYYY-MM-DD)",
                    )
                )
                continue
            if not dates.in_range(day):
                advice = OUT_OF_RANGE_ADVICE.get(tuple(pattern), "fix the year")
                errors.append(
                    ValidationError(
                        source, schema.field_path(path), f"dates run {dates.RANGE}: {advice}"
                    )
                )
    return errors


def future_errors(doc: Any, source: str, as_of: dt.date) -> list[ValidationError]:
    """Dates of what has happened (RECORD_PAST_DATES) that lie after `as_of`: a writing command's today."""
    errors = []
    for pattern, what in RECORD_PAST_DATES:
        for path, value in find(doc, pattern):
            day = _as_date(value)
            if day is not None and day > as_of:
                where = schema.field_path(path)
                errors.append(
                    ValidationError(
                        source,
                        where,
                        f"is after {as_of.isoformat()} (today, or --as-of): {what}; fix the date",
                    )
                )
    return errors


def _as_date(value: Any) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def _mapping_or_empty(doc: Any) -> Any:
    """An empty file is an empty mapping: all defaults, no members."""
    return {} if doc is None else doc


# -- members.yaml ----------------------------------------------------------------------------


def members_errors(
    doc: Any, source: str, key_check: KeyCheck | None = None
) -> list[ValidationError]:
    """Every problem of members.yaml: schema errors alone if there are any, else ids, keys and dates."""
    errors = schema.iter_errors("members", doc, source)
    if errors:
        return errors
    return [
        *calendar_errors(doc, source, MEMBER_DATES),
        *_former_order_errors(doc, source),
        *_duplicate_member_ids(doc, source),
        *_key_errors(doc, source, key_check),
        *_pending_errors(doc, source),
    ]


def _pending_errors(doc: Doc, source: str) -> list[ValidationError]:
    """Each pending member is a current member, listed once."""
    current = {m.get("id") for m in doc.get("members") or ()}
    seen: set[str] = set()
    errors = []
    for path, member_id in find(doc, ("pending", "*", "id")):
        where = schema.field_path(path)
        if member_id not in current:
            errors.append(
                ValidationError(
                    source,
                    where,
                    "not a current member's id: a pending member is a current member not yet cleared; remove the entry",
                )
            )
        elif member_id in seen:
            errors.append(ValidationError(source, where, "listed twice: each pending member once"))
        seen.add(member_id)
    return errors


def load_members(data: bytes, source: str, key_check: KeyCheck | None = None) -> Members:
    """Parse and validate members.yaml; `key_check` raises on a key that is not a valid recipient."""
    doc = _mapping_or_empty(yaml_io.loads(data, source))
    errors = members_errors(doc, source, key_check)
    if errors:
        raise errors[0]
    return Members.from_doc(doc)


def _former_order_errors(doc: Doc, source: str) -> list[ValidationError]:
    errors = []
    for index, entry in enumerate(doc.get("former", [])):
        since, until = _date_at(entry, ("since",)), _date_at(entry, ("until",))
        if since is not None and until is not None and until < since:
            errors.append(
                ValidationError(
                    source, f"former[{index}].until", "is before since: fix either date"
                )
            )
    return errors


def _duplicate_member_ids(doc: Doc, source: str) -> list[ValidationError]:
    seen: dict[str, str] = {}
    errors = []
    for path, member_id in [*find(doc, ("members", "*", "id")), *find(doc, ("former", "*", "id"))]:
        where = schema.field_path(path)
        if member_id in seen:
            errors.append(
                ValidationError(
                    source, where, f"the same id as {seen[member_id]}: each member has their own id"
                )
            )
        else:
            seen[member_id] = where
    return errors


def _key_errors(doc: Doc, source: str, key_check: KeyCheck | None) -> list[ValidationError]:
    seen: dict[str, str] = {}
    errors = []
    for path, key in find(doc, ("members", "*", "keys", "*")):
        where = schema.field_path(path)
        if key_check is not None and not _key_is_valid(key, key_check):
            errors.append(ValidationError(source, where, RECIPIENT_HELP))
            continue
        # An ssh key is the same key whatever its comment: compare type and body only.
        identity = " ".join(key.split()[:2])
        if identity in seen:
            errors.append(
                ValidationError(
                    source,
                    where,
                    f"the same key as {seen[identity]}: each key belongs to one member, once",
                )
            )
        else:
            seen[identity] = where
    return errors


def _key_is_valid(key: str, key_check: KeyCheck) -> bool:
    try:
        key_check(key)
    except (CocrecError, ValueError):
        return False
    return True


# -- cocrec.yaml -----------------------------------------------------------------------------


def policy_errors(doc: Any, source: str) -> list[ValidationError]:
    """Every problem of cocrec.yaml (every key is optional: defaults fill in): the schema's, then names."""
    errors = schema.iter_errors("policy", doc, source)
    if errors:
        return errors
    return _consequence_name_errors(doc, source) + _report_column_errors(doc, source)


# A consequence is counted beside these (cocrec.stats.ACTIVITY, outcome types, `--by consequence` keys).
RESERVED_COUNTS = (
    "reports",
    "people_named",
    "actions_by_committee",
    "actions_by_local_rep",
    "open",
    *OUTCOME_TYPES,
)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _consequence_name_errors(doc: Doc, source: str) -> list[ValidationError]:
    errors = []
    for name in doc.get("consequences") or {}:
        where = f"consequences.{name}" if _SLUG.match(str(name)) else "consequences"
        if not _SLUG.match(str(name)):
            errors.append(
                ValidationError(
                    source,
                    where,
                    "a consequence is a slug (lower-case words joined by -, like first-suspension): rename it",
                )
            )
        elif name in RESERVED_COUNTS + ("unspecified",):
            errors.append(
                ValidationError(
                    source,
                    where,
                    "is already the name of a count or an outcome type: give the consequence another name",
                )
            )
    return errors


def _report_column_errors(doc: Doc, source: str) -> list[ValidationError]:
    known = set(RESERVED_COUNTS) | set(doc.get("consequences") or {})
    columns = (doc.get("report") or {}).get("columns") or {}
    errors = []
    for label, counts in columns.items():
        names = [counts] if isinstance(counts, str) else counts
        if any(name not in known for name in names):
            allowed = ", ".join([*RESERVED_COUNTS, *(doc.get("consequences") or {})])
            errors.append(
                ValidationError(
                    source,
                    f"report.columns.{label}",
                    f"counts something cocrec does not count: use {allowed}",
                )
            )
    return errors


def load_policy(data: bytes, source: str) -> Policy:
    """Parse and validate cocrec.yaml, with the defaults of POLICY.md for what it leaves out."""
    doc = _mapping_or_empty(yaml_io.loads(data, source))
    errors = policy_errors(doc, source)
    if errors:
        raise errors[0]
    return Policy.from_doc(doc)


# -- canonical order -------------------------------------------------------------------------

# SPEC section 3's order, per kind of mapping (the schema's); fields a kind does not know keep their
# order, last.
KEY_ORDER: Mapping[str, tuple[str, ...]] = _layout.key_order
NESTED: Mapping[tuple[str, str], str] = _layout.nested


def canonical(doc: Mapping[str, Any]) -> Doc:
    """A copy of the record with its keys, and its nested mappings' keys, in SPEC section 3's order."""
    return _ordered(doc, "record")


def _ordered(node: Mapping[str, Any], kind: str) -> Doc:
    order = KEY_ORDER[kind]
    keys = [key for key in order if key in node] + [key for key in node if key not in order]
    return {key: _ordered_value(node[key], NESTED.get((kind, key))) for key in keys}


def _ordered_value(value: Any, kind: str | None) -> Any:
    if kind is None:
        return copy.deepcopy(value)
    if isinstance(value, Mapping):
        return _ordered(value, kind)
    if isinstance(value, list):
        return [
            _ordered(item, kind) if isinstance(item, Mapping) else copy.deepcopy(item)
            for item in value
        ]
    return copy.deepcopy(value)
