"""The JSON Schemas and the seam around jsonschema-rs: errors with a path and without a value, and
every keyword and pattern meaning what cocrec has always taken it to mean.

Every person here is invented (example.org).
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cocrec import schema, validate
from cocrec.errors import ValidationError
from cocrec.policy import DEFAULT_DOC

from .schema_corpus import CORPUS, VALID_RECORDS, mutations

SOURCE = "records/2026-k7qd.yaml.age"

RECORD: dict[str, Any] = {
    "id": "2026-k7qd",
    "schema_version": 1,
    "reported_on": "2026-06-04",
    "region": "europe",
    "reporter": {"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org"},
    "subjects": [
        {"name": "Jane Doe", "emails": ["jane@example.org"], "usernames": ["github:janedoe"]}
    ],
    "summary": "Jane Doe sent unwanted messages.\n",
    "action_by_committee": {"taken": True, "description": "Emailed the subject."},
    "action_by_local_rep": {"taken": False},
    "outcome": {
        "type": "flagged",
        "decided_on": "2026-07-01",
        "recommendations": "May attend talks, not the party.",
    },
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
    jsonschema_rs.meta.validate(doc)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_each_validator_is_built_once_on_a_valid_inlined_schema(kind: schema.Kind) -> None:
    assert schema.validator(kind) is schema.validator(kind)
    inlined = schema.inlined(kind)
    jsonschema_rs.meta.validate(inlined)
    assert "$ref" not in json.dumps(inlined)


def test_inlining_refuses_a_reference_whose_referrer_repeats_a_rule() -> None:
    defs = {"slugs": {"type": "array", "minItems": 2, "description": "slugs"}}
    assert schema._inline({"$ref": "#/$defs/slugs", "description": "regions"}, defs) == {
        **defs["slugs"],
        "description": "regions",
    }
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
    for kind in (
        "reporter",
        "action",
        "outcome",
        "ban",
        "override",
        "hold",
        "disclosure",
        "expunged",
    ):
        assert tuple(defs[kind]["properties"]) == validate.KEY_ORDER[kind], kind
    assert (
        tuple(defs["named_subject"]["properties"]) + ("expunged",) == validate.KEY_ORDER["subject"]
    )


# --- paths and messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ((), ""),
        (("outcome", "type"), "outcome.type"),
        (("subjects", 0, "emails", 1), "subjects[0].emails[1]"),
        ((2,), "[2]"),
    ],
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
    doc = record(
        foo=1, bar=2, reported_on="June", reporter={"kind": "private", "name": "Sam Reporter"}
    )
    paths = sorted(e.path for e in schema.iter_errors("record", doc, SOURCE))
    assert paths == ["bar", "foo", "handled_by", "reported_on", "reporter.name"]


def test_unknown_field_is_named_with_the_allowed_ones() -> None:
    (error,) = schema.iter_errors(
        "record",
        record(reporter={"kind": "public", "name": "Sam Reporter", "nick": "Sammy"}),
        SOURCE,
    )
    assert error.path == "reporter.nick"
    assert (
        error.message
        == "unknown field 'nick': remove it or check its spelling (allowed here: kind, name, contact)"
    )


def test_a_key_that_looks_like_data_is_not_quoted() -> None:
    (error,) = schema.iter_errors("record", record(**{"Jane Doe <jane@example.org>": "x"}), SOURCE)
    assert error.path == "" and "Jane" not in str(error) and "unexpected name" in error.message


def test_required_field_says_what_it_is() -> None:
    doc = record()
    del doc["reported_on"]
    (error,) = schema.iter_errors("record", doc, SOURCE)
    assert (
        str(error)
        == f"{SOURCE}: reported_on: required (a date, written YYYY-MM-DD like 2026-06-04): add it"
    )


def test_enum_lists_the_allowed_values_only() -> None:
    (error,) = schema.iter_errors(
        "record", record(outcome={"type": "warned-Jane", "decided_on": "2026-07-01"}), SOURCE
    )
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
    (
        "outcome.ban.until",
        lambda v: record(
            outcome={"type": "banned", "decided_on": "2026-07-01", "ban": {"until": v}}
        ),
    ),
    ("retention.hold.since", lambda v: record(retention={"hold": {"reason": "x", "since": v}})),
    ("schema_version", lambda v: record(schema_version=v)),
]


@settings(max_examples=200, deadline=None)
@given(
    place=st.sampled_from(PLACES),
    value=st.text(alphabet="ABCDEFGHJKQRSTVWXZ0123456789@:/. ", min_size=8, max_size=30).filter(
        lambda v: len(v.strip()) >= 8
    ),
)
def test_no_message_quotes_a_value(place: tuple[str, Any], value: str) -> None:
    _, build = place
    for error in schema.iter_errors("record", build(value), SOURCE):
        assert value not in str(error)
        assert value.strip() not in str(error)


# --- members.yaml ------------------------------------------------------------------------------


def test_members_schema() -> None:
    good: dict[str, Any] = {
        "members": [
            {"id": "alice", "name": "Alice Member", "keys": ["age1alice"], "since": "2024-01-01"}
        ],
        "former": [
            {"id": "bob", "name": "Bob Member", "since": "2023-01-01", "until": "2024-06-01"}
        ],
    }
    assert schema.iter_errors("members", good, "members.yaml") == []
    assert schema.iter_errors("members", {}, "members.yaml") == []
    no_key = copy.deepcopy(good)
    no_key["members"][0]["keys"] = []
    assert [e.path for e in schema.iter_errors("members", no_key, "members.yaml")] == [
        "members[0].keys"
    ]
    no_until = copy.deepcopy(good)
    del no_until["former"][0]["until"]
    assert [e.path for e in schema.iter_errors("members", no_until, "members.yaml")] == [
        "former[0].until"
    ]


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
    doc = {
        "retention": {
            "terms": {
                "resolved": {"reporter": months, "subjects": months},
                "banned": {"after_ban": months},
            }
        }
    }
    assert schema.iter_errors("policy", doc, "cocrec.yaml") == []


@pytest.mark.parametrize("months", [-1, 1.5, "forever", "Never", True, None, [6]])
def test_an_invalid_term(months: Any) -> None:
    doc = {"retention": {"terms": {"resolved": {"reporter": months, "subjects": 14}}}}
    (error,) = schema.iter_errors("policy", doc, "cocrec.yaml")
    assert error.path == "retention.terms.resolved.reporter"
    assert "months" in error.message or "0 or more" in error.message


# --- patterns mean what they always meant -------------------------------------------------------


def python_meaning(pattern: str) -> re.Pattern[str]:
    """The reference: Python's `re`, with `$` only at the very end (ECMA-262's, JSON Schema's)."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return re.compile("".join(out))


def shipped_patterns(node: Any = None) -> Iterator[str]:
    nodes = [schema.schema_doc(kind) for kind in schema.KINDS] if node is None else [node]
    for item in nodes:
        if isinstance(item, dict):
            if isinstance(item.get("pattern"), str):
                yield item["pattern"]
            for value in item.values():
                yield from shipped_patterns(value)
        elif isinstance(item, list):
            for value in item:
                yield from shipped_patterns(value)


PATTERNS = sorted(set(shipped_patterns()))
# Where engines disagree: Python's whitespace (also U+001C-U+001F, NEL) and ECMA's (also U+FEFF), line
# breaks of every kind, and the characters the shipped patterns name.
TRICKY = (
    "\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u1680\u2000\u200b\u2028\u2029\u202f\u3000\ufeff"
    + "aZ09-_:@/.+~$é٣"
)


def test_whitespace_is_pythons_over_all_of_unicode() -> None:
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert re.fullmatch(f"[{schema.WHITESPACE}]+", spaces)
    assert not [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if not c.isspace() and re.fullmatch(f"[{schema.WHITESPACE}]", c)
    ]


def test_the_shipped_schemas_use_patterns() -> None:
    assert len(PATTERNS) >= 10 and any("\\s" in p or "\\S" in p for p in PATTERNS)


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.sampled_from(PATTERNS),
    text=st.text(alphabet=TRICKY, max_size=12) | st.text(max_size=12),
)
def test_every_shipped_pattern_means_what_pythons_re_meant(pattern: str, text: str) -> None:
    library = jsonschema_rs.validator_for(
        {"type": "string", "pattern": schema.portable_pattern(pattern)}
    )
    assert library.is_valid(text) == bool(python_meaning(pattern).search(text)), (pattern, text)


@pytest.mark.parametrize(
    "value",
    [
        "github:floraqz\n",
        "github:floraqz\x85",
        "github:floraqz\u2028",
        "github:flora\x1cqz",
        " github:floraqz",
    ],
)
def test_an_identifier_with_a_line_break_or_space_is_refused(value: str) -> None:
    (error,) = schema.iter_errors(
        "record", record(subjects=[{"name": "Jane Doe", "usernames": [value]}]), SOURCE
    )
    assert error.path == "subjects[0].usernames[0]" and "floraqz" not in str(error)


def test_a_pattern_that_cannot_be_written_out_is_refused() -> None:
    with pytest.raises(ValueError):
        schema.portable_pattern("^[\\S]+$")


# --- each keyword as the schemas rely on it, for values YAML gives -------------------------------

EDGES: list[tuple[dict[str, Any], Any, bool]] = [
    ({"const": True}, True, True),
    ({"const": True}, 1, False),
    ({"const": 1}, True, False),
    ({"const": 1}, 1.0, True),
    ({"const": 0}, False, False),
    ({"const": {"expunged": True}}, {"expunged": 1}, False),
    ({"const": {"expunged": True}}, {"expunged": True, "name": "x"}, False),
    ({"const": [1, "a"]}, [1.0, "a"], True),
    ({"enum": [1, "a"]}, True, False),
    ({"enum": [False]}, 0, False),
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "integer"}, math.inf, False),
    ({"type": "integer"}, math.nan, False),
    ({"type": "integer"}, 10**30, True),
    ({"type": "number"}, True, False),
    ({"type": "number"}, Decimal("1.5"), True),
    ({"type": "boolean"}, 0, False),
    ({"type": "null"}, 0, False),
    ({"type": "object"}, OrderedDict(), True),
    ({"minimum": 1}, True, True),  # a bool is not a number: minimum does not apply
    ({"minimum": 1}, 0.5, False),
    ({"minimum": 1}, "0", True),
    ({"minimum": 1}, math.nan, True),
    ({"minimum": 0}, -(10**30), False),
    ({"maximum": 1200}, 10**30, False),
    ({"minLength": 2}, "\u00e9", False),
    ({"minLength": 2}, "e\u0301", True),  # two code points
    ({"maxLength": 1}, "\U0001f600", True),
    ({"pattern": "b"}, "abc", True),  # a search, not a match
    ({"pattern": "^x$"}, 5, True),
    ({"pattern": "^[$]+$"}, "$$", True),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [0, False], True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1.0}], False),
    ({"required": ["a"]}, [], True),
    ({"required": ["a"]}, {"a": None}, True),
    ({"dependentRequired": {"a": ["b"]}}, {"b": 1}, True),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {}, True),
    ({"then": {"required": ["b"]}}, {}, True),  # then without if is ignored
    ({"not": {}}, None, False),
    ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"c": 1}, False),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, "never", True),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, -1, False),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, True, False),
]


@pytest.mark.parametrize(("rule", "instance", "expected"), EDGES)
def test_each_keyword_as_the_schemas_rely_on_it(
    rule: dict[str, Any], instance: Any, expected: bool
) -> None:
    assert (
        jsonschema_rs.validator_for(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", **rule}
        ).is_valid(instance)
        is expected
    )


# --- field names YAML reads as something else ----------------------------------------------------


def test_field_names_that_are_not_text_are_named_as_yaml_wrote_them() -> None:
    (boolean,) = schema.iter_errors("record", {**record(), True: 1}, SOURCE)
    assert boolean.path == "" and boolean.message.startswith(
        "a field name that YAML reads as true or false (on, off, yes, no)"
    )
    (number,) = schema.iter_errors("record", {**record(), 2026: "x"}, SOURCE)
    assert number.path == "" and number.message.startswith(
        "a field with an unexpected name: remove it"
    )
    (empty,) = schema.iter_errors(
        "mapping", {"values": {"Banned or flagged": {"": 0}}}, "mapping.yaml"
    )
    assert empty.path == "values.Banned or flagged." and "0" not in empty.message
    (null,) = schema.iter_errors("policy", {"consequences": {None: ""}}, "cocrec.yaml")
    assert null.path == "consequences" and null.message.startswith("must be a mapping {outcomes")


# --- every document of the corpus, and mutations of it ---------------------------------------------


def test_the_corpus_s_valid_documents_pass() -> None:
    assert all(schema.iter_errors("record", doc, SOURCE) == [] for doc in VALID_RECORDS)
    for kind in ("members", "policy", "mapping"):
        assert all(schema.iter_errors(kind, doc, "f") == [] for doc in CORPUS[kind]), kind


def text_values(doc: Any) -> Iterator[str]:
    """The texts a document holds as values (a field name that looks like one is named on purpose)."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from text_values(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from text_values(value)


def field_names(doc: Any) -> Iterator[Any]:
    if isinstance(doc, dict):
        yield from doc
    children = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []
    for child in children:
        yield from field_names(child)


@pytest.mark.parametrize("kind", schema.KINDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_error_of_a_mutation_is_one_line_and_validate_raises_the_first(
    kind: schema.Kind, data: st.DataObject
) -> None:
    doc = data.draw(mutations(kind))
    errors = schema.iter_errors(kind, doc, "f")
    event(f"{kind}: {'invalid' if errors else 'valid'}")
    words = json.dumps(schema.schema_doc(kind)) + " ".join(map(str, field_names(doc)))
    for error in errors:
        assert "\n" not in str(error) and str(error).startswith("f")
        quoted = [
            v for v in text_values(doc) if len(v) >= 6 and v in error.message and v not in words
        ]
        assert not quoted, (error, quoted)
    if errors:
        with pytest.raises(ValidationError) as caught:
            schema.validate(kind, doc, "f")
        assert str(caught.value) == str(errors[0])
    else:
        schema.validate(kind, doc, "f")


def test_mutations_reach_both_verdicts() -> None:
    """The mutation test is not vacuous: it meets valid and invalid documents of each kind."""
    seen: dict[schema.Kind, set[bool]] = {kind: set() for kind in schema.KINDS}

    @settings(max_examples=300, deadline=None, database=None)
    @given(kind=st.sampled_from(schema.KINDS), data=st.data())
    def collect(kind: schema.Kind, data: st.DataObject) -> None:
        seen[kind].add(not schema.iter_errors(kind, data.draw(mutations(kind)), "f"))

    collect()
    assert seen == {kind: {True, False} for kind in schema.KINDS}
