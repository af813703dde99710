"""The three JSON Schemas and the seam around jsonschema: errors with a path and without a value.

Every person here is invented (example.org).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cocrec import schema, validate
from cocrec.errors import ValidationError
from cocrec.policy import DEFAULT_DOC

SOURCE = "records/2026-k7qd.yaml.age"

RECORD: dict[str, Any] = {
    "id": "2026-k7qd",
    "schema_version": 1,
    "reported_on": "2026-06-04",
    "region": "europe",
    "reporter": {"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org"},
    "subjects": [{"name": "Jane Doe", "emails": ["jane@example.org"], "usernames": ["github:janedoe"]}],
    "summary": "Jane Doe sent unwanted messages.\n",
    "action_by_committee": {"taken": True, "description": "Emailed the subject."},
    "action_by_local_rep": {"taken": False},
    "outcome": {"type": "flagged", "decided_on": "2026-07-01", "recommendations": "May attend talks, not the party."},
}


def record(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(RECORD)
    doc.update(changes)
    return doc


# --- the schema files --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", schema.KINDS)
def test_each_schema_is_valid_draft_2020_12_package_data(kind: schema.Kind) -> None:
    shipped = resources.files("cocrec").joinpath("schema", f"{kind}.schema.json")
    assert shipped.is_file()
    doc = schema.schema_doc(kind)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(doc)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_each_validator_is_built_once_on_a_valid_inlined_schema(kind: schema.Kind) -> None:
    assert schema.validator(kind) is schema.validator(kind)
    inlined = schema.validator(kind).schema
    Draft202012Validator.check_schema(inlined)
    assert "$ref" not in json.dumps(inlined)


def test_inlining_refuses_a_reference_whose_referrer_repeats_a_rule() -> None:
    defs = {"slugs": {"type": "array", "minItems": 2, "description": "slugs"}}
    assert schema._inline({"$ref": "#/$defs/slugs", "description": "regions"}, defs) == {**defs["slugs"], "description": "regions"}
    with pytest.raises(ValueError):
        schema._inline({"$ref": "#/$defs/slugs", "minItems": 1}, defs)


def structural(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Each subschema that describes a value: the root, $defs, properties and items (not conditions)."""
    if not isinstance(node, dict):
        return
    yield where or "/", node
    for name, sub in node.get("$defs", {}).items():
        yield from structural(sub, f"{where}/$defs/{name}")
    for name, sub in node.get("properties", {}).items():
        yield from structural(sub, f"{where}/properties/{name}")
    yield from structural(node.get("items"), f"{where}/items")


@pytest.mark.parametrize("kind", schema.KINDS)
def test_every_mapping_refuses_unknown_fields(kind: schema.Kind) -> None:
    for where, node in structural(schema.schema_doc(kind)):
        if "properties" in node:
            assert node.get("additionalProperties") is False, f"{kind}: {where}"


def test_the_canonical_order_is_the_schemas_order() -> None:
    defs = schema.schema_doc("record")["$defs"]
    assert tuple(schema.schema_doc("record")["properties"]) == validate.KEY_ORDER["record"]
    for kind in ("reporter", "action", "outcome", "ban", "override", "hold", "disclosure", "expunged"):
        assert tuple(defs[kind]["properties"]) == validate.KEY_ORDER[kind], kind
    assert tuple(defs["named_subject"]["properties"]) + ("expunged",) == validate.KEY_ORDER["subject"]


# --- paths and messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "text"),
    [((), ""), (("outcome", "type"), "outcome.type"), (("subjects", 0, "emails", 1), "subjects[0].emails[1]"), ((2,), "[2]")],
)
def test_field_path(parts: tuple[str | int, ...], text: str) -> None:
    assert schema.field_path(parts) == text


def test_a_valid_record_passes() -> None:
    schema.validate("record", RECORD, SOURCE)
    assert schema.iter_errors("record", RECORD, SOURCE) == []


def test_validate_raises_the_first_of_iter_errors() -> None:
    doc = record(foo=1, reported_on="June", reporter={"kind": "private", "name": "Sam Reporter"})
    errors = schema.iter_errors("record", doc, SOURCE)
    with pytest.raises(ValidationError) as caught:
        schema.validate("record", doc, SOURCE)
    assert str(caught.value) == str(errors[0])


def test_iter_errors_reports_every_problem_once() -> None:
    doc = record(foo=1, bar=2, reported_on="June", reporter={"kind": "private", "name": "Sam Reporter"})
    paths = sorted(e.path for e in schema.iter_errors("record", doc, SOURCE))
    assert paths == ["bar", "foo", "handled_by", "reported_on", "reporter.name"]


def test_unknown_field_is_named_with_the_allowed_ones() -> None:
    (error,) = schema.iter_errors("record", record(reporter={"kind": "public", "name": "Sam Reporter", "nick": "Sammy"}), SOURCE)
    assert error.path == "reporter.nick"
    assert error.message == "unknown field 'nick': remove it or check its spelling (allowed here: kind, name, contact)"


def test_a_key_that_looks_like_data_is_not_quoted() -> None:
    (error,) = schema.iter_errors("record", record(**{"Jane Doe <jane@example.org>": "x"}), SOURCE)
    assert error.path == "" and "Jane" not in str(error) and "unexpected name" in error.message


def test_required_field_says_what_it_is() -> None:
    doc = record()
    del doc["reported_on"]
    (error,) = schema.iter_errors("record", doc, SOURCE)
    assert str(error) == f"{SOURCE}: reported_on: required (a date, written YYYY-MM-DD like 2026-06-04): add it"


def test_enum_lists_the_allowed_values_only() -> None:
    (error,) = schema.iter_errors("record", record(outcome={"type": "warned-Jane", "decided_on": "2026-07-01"}), SOURCE)
    assert error.path == "outcome.type"
    assert error.message == "must be one of: no-violation, unidentified, resolved, flagged, banned"


# Where an invented value can go wrong, and how.
PLACES = [
    ("id", lambda v: record(id=v)),
    ("reported_on", lambda v: record(reported_on=v)),
    ("region", lambda v: record(region=[v])),
    ("reporter.kind", lambda v: record(reporter={"kind": v})),
    ("reporter.name", lambda v: record(reporter={"kind": "private", "name": v})),
    ("handled_by", lambda v: record(handled_by=v)),
    ("subjects[0].emails[0]", lambda v: record(subjects=[{"emails": [v]}])),
    ("subjects[0].urls[0]", lambda v: record(subjects=[{"urls": [v]}])),
    ("subjects[0].also_in[0]", lambda v: record(subjects=[{"name": "x", "also_in": [v]}])),
    ("subjects[0]", lambda v: record(subjects=[v])),
    ("summary", lambda v: record(summary={"text": v})),
    ("action_by_committee.taken", lambda v: record(action_by_committee={"taken": v})),
    ("outcome.type", lambda v: record(outcome={"type": v, "decided_on": "2026-07-01"})),
    ("outcome.ban.until", lambda v: record(outcome={"type": "banned", "decided_on": "2026-07-01", "ban": {"until": v}})),
    ("retention.hold.since", lambda v: record(retention={"hold": {"reason": "x", "since": v}})),
    ("schema_version", lambda v: record(schema_version=v)),
]


@settings(max_examples=200, deadline=None)
@given(
    place=st.sampled_from(PLACES),
    value=st.text(alphabet="ABCDEFGHJKQRSTVWXZ0123456789@:/. ", min_size=8, max_size=30).filter(lambda v: len(v.strip()) >= 8),
)
def test_no_message_quotes_a_value(place: tuple[str, Any], value: str) -> None:
    _, build = place
    for error in schema.iter_errors("record", build(value), SOURCE):
        assert value not in str(error)
        assert value.strip() not in str(error)


# --- members.yaml ------------------------------------------------------------------------------


def test_members_schema() -> None:
    good: dict[str, Any] = {
        "members": [{"id": "alice", "name": "Alice Member", "keys": ["age1alice"], "since": "2024-01-01"}],
        "former": [{"id": "bob", "name": "Bob Member", "since": "2023-01-01", "until": "2024-06-01"}],
    }
    assert schema.iter_errors("members", good, "members.yaml") == []
    assert schema.iter_errors("members", {}, "members.yaml") == []
    no_key = copy.deepcopy(good)
    no_key["members"][0]["keys"] = []
    assert [e.path for e in schema.iter_errors("members", no_key, "members.yaml")] == ["members[0].keys"]
    no_until = copy.deepcopy(good)
    del no_until["former"][0]["until"]
    assert [e.path for e in schema.iter_errors("members", no_until, "members.yaml")] == ["former[0].until"]


@pytest.mark.parametrize("member_id", ["Alice", "1alice", "al ice", "a" * 33, ""])
def test_member_id_pattern(member_id: str) -> None:
    doc = {"members": [{"id": member_id, "name": "Alice", "keys": ["age1alice"]}]}
    (error,) = schema.iter_errors("members", doc, "members.yaml")
    assert error.path == "members[0].id"


# --- cocrec.yaml -------------------------------------------------------------------------------


def test_every_policy_key_is_optional() -> None:
    assert schema.iter_errors("policy", {}, "cocrec.yaml") == []
    assert schema.iter_errors("policy", DEFAULT_DOC, "cocrec.yaml") == []
    for key, value in DEFAULT_DOC.items():
        assert schema.iter_errors("policy", {key: value}, "cocrec.yaml") == [], key
    for key, value in DEFAULT_DOC["retention"].items():
        assert schema.iter_errors("policy", {"retention": {key: value}}, "cocrec.yaml") == [], key


@pytest.mark.parametrize("months", [0, 6, 120, "never"])
def test_a_term_is_months_or_never(months: Any) -> None:
    doc = {"retention": {"terms": {"resolved": {"reporter": months, "subjects": months}, "banned": {"after_ban": months}}}}
    assert schema.iter_errors("policy", doc, "cocrec.yaml") == []


@pytest.mark.parametrize("months", [-1, 1.5, "forever", "Never", True, None, [6]])
def test_an_invalid_term(months: Any) -> None:
    doc = {"retention": {"terms": {"resolved": {"reporter": months, "subjects": 14}}}}
    (error,) = schema.iter_errors("policy", doc, "cocrec.yaml")
    assert error.path == "retention.terms.resolved.reporter"
    assert "months" in error.message or "0 or more" in error.message
