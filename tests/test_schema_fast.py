"""The compiled predicate agrees with jsonschema, and a schema it cannot compile falls back to jsonschema.

jsonschema is the authority: every comparison here is against a
Draft202012Validator on the same schema. Every person here is invented
(example.org); the demo records are the invented demo committee's.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cocrec import crypto, schema, schema_fast, yaml_io
from cocrec.commands._templates import template
from cocrec.policy import DEFAULT_DOC, PRESETS

from .conftest import outcome, record, with_changes
from .test_validate import BAD, closed, example, expunged_doc

ROOT = Path(__file__).resolve().parent.parent
ADA = ROOT / "examples" / "demo-identities" / "ada.txt"


def demo_records() -> list[dict[str, Any]]:
    identities = crypto.load_identities([ADA], lambda _: "")
    docs = []
    for path in sorted((ROOT / "records").glob("*.yaml.age")):
        docs.append(yaml_io.loads(crypto.decrypt(path.read_bytes(), identities, path.name), path.name))
    return docs


def closed_record(kind: str, **extra: Any) -> dict[str, Any]:
    return record(id="2026-k7qd", outcome=outcome(kind, **extra))


DEMO = demo_records()
VALID_RECORDS: list[dict[str, Any]] = [
    *DEMO,
    record(id="2026-k7qd"),
    *(closed_record(kind) for kind in ("no-violation", "unidentified", "resolved", "flagged")),
    closed_record("banned", ban={"until": "2027-07-01"}),
    closed_record("banned", ban={"permanent": True}),
    record(id="2026-k7qd", reporter={"kind": "private"}, handled_by="alice", outcome=outcome("resolved")),
    with_changes(closed_record("unidentified"), {"subjects": [], "retention": {"hold": {"reason": "appeal", "since": "2026-08-01"}}}),
    example(),
    *(closed(kind) for kind in ("no-violation", "unidentified", "resolved", "flagged")),
    *(expunged_doc(steps) for steps in [("reporter",), ("subjects",), ("reporter", "subjects")]),
    with_changes(closed_record("resolved", consequence="warning"), {
        "acknowledged_on": "2026-06-05", "unilateral_action": {"taken_on": "2026-06-04", "reviewed_on": "2026-06-05"},
        "appeal": {"received_on": "2026-07-10", "decided_on": "2026-07-20"},
        "imported": {"row_sha256": "0" * 64, "date": "2026-12-01", "decided_on_assumed": True},
    }),
]
# Each breaks a rule: of the schema, or of validate.py (a real date, a known region) which the schema lets through.
BAD_RECORDS: list[Any] = [param.values[0] for param in BAD]
RECORDS = VALID_RECORDS + BAD_RECORDS

MEMBERS: list[Any] = [
    yaml_io.loads(template("members.yaml"), "members.yaml"),
    yaml_io.loads((ROOT / "members.yaml").read_bytes(), "members.yaml"),
    {
        "members": [{"id": "alice", "name": "Alice Member", "keys": ["age1alice", "ssh-ed25519 AAAA"], "since": "2024-01-01"}],
        "former": [{"id": "bob", "name": "Bob Member", "since": "2023-01-01", "until": "2024-06-01"}, {"id": "carol", "name": "Carol", "until": "2025-01-01"}],
    },
]
POLICIES: list[Any] = [
    yaml_io.loads(template("cocrec.yaml"), "cocrec.yaml"),
    yaml_io.loads((ROOT / "cocrec.yaml").read_bytes(), "cocrec.yaml"),
    DEFAULT_DOC,
    {"retention": {"starts": "reported_on", "terms": {"resolved": {"reporter": 0, "subjects": "never"}, "banned": {"after_ban": "never"}}}},
    {"report": {"min_cell": 1}, "regions": ["online"], "categories": [], "channels": ["email", "other"]},
    *(yaml_io.loads(template(name), name) for name in PRESETS.values()),
    {"deadlines": {"acknowledge": None, "decide": 14}, "consequences": {"warning": {"outcomes": ["resolved"], "ban": "until"}}},
]
MAPPINGS: list[Any] = [
    {},
    {"date_order": "dmy"},
    {
        "columns": {"Blacklisted?": "Banned or flagged", "Region": "region", "Decided": "outcome.decided_on"},
        "values": {"Banned or flagged": {"Blacklisted": "banned", "": "resolved"}, "Action taken by us": {"Emailed": True}},
        "defaults": {"region": "europe", "reporter.kind": "public"},
        "date_order": "mdy",
    },
]
CORPUS: dict[schema.Kind, list[Any]] = {"record": RECORDS, "members": MEMBERS, "policy": POLICIES, "mapping": MAPPINGS}


def agrees(kind: schema.Kind, doc: Any) -> bool:
    check = schema.fast(kind)
    assert check is not None, f"the {kind} schema no longer compiles: see schema_fast.Unsupported"
    verdict = check(doc)
    assert verdict == schema.validator(kind).is_valid(doc), f"{kind}: fast says {verdict}"
    return verdict


# --- the corpus --------------------------------------------------------------------------------


def test_the_corpus_holds_the_demo_and_both_verdicts() -> None:
    assert len(DEMO) >= 10
    assert all(agrees("record", doc) for doc in VALID_RECORDS)
    assert False in [agrees("record", doc) for doc in BAD_RECORDS]
    for kind in ("members", "policy"):
        assert all(agrees(kind, doc) for doc in CORPUS[kind])


# --- mutations ---------------------------------------------------------------------------------


def property_names(node: Any) -> Iterator[str]:
    """Every field name a schema knows, to add known fields (and so reach the conditionals) too."""
    if isinstance(node, dict):
        yield from node.get("properties", {})
        for value in node.values():
            yield from property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from property_names(value)


def schema_values(node: Any) -> Iterator[Any]:
    """Every const and enum value of a schema: the values its conditions test for."""
    if isinstance(node, dict):
        if "const" in node:
            yield node["const"]
        yield from node.get("enum", [])
        for key, value in node.items():
            if key not in ("const", "enum"):
                yield from schema_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_values(value)


def parts(doc: Any) -> Iterator[Any]:
    """Every value inside `doc`, itself included."""
    yield doc
    children = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []
    for child in children:
        yield from parts(child)


def places(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path to every value inside `doc`, the document itself as ()."""
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from places(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from places(value, (*path, index))


def at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


ODD_VALUES: list[Any] = [
    "", " ", "x", "text with spaces", "2026-01-01", "2026-1-1", "2026-k7qd", "alice", "Alice", "a@b", "a@@b",
    "https://example.org/x", "example.org", "never", "Never", "private", "banned", "flagged",
    0, 1, -1, 2, 1.0, 0.0, 1.5, -0.5, True, False, None, math.nan, math.inf,
    [], {}, ["x"], ["x", "x"], [1], [True], [1, True], [1, 1.0], [None], [{}],
    {"expunged": True}, {"expunged": 1}, {"expunged": 1.0}, {"until": "2027-01-01"}, {"permanent": True},
    {"kind": "private"}, {"taken": True}, {"reporter": "2027-01-01"}, {"subjects": "2027-01-01"},
]


def values_for(kind: schema.Kind) -> st.SearchStrategy[Any]:
    """Odd values, the schema's own constants, and values from elsewhere in the corpus (often valid there)."""
    found = [value for doc in CORPUS[kind] for value in parts(doc)]
    return st.one_of(
        st.sampled_from(ODD_VALUES + list(schema_values(schema.schema_doc(kind))) + found).map(copy.deepcopy),
        st.text(max_size=4),
        st.integers(-3, 200),
        st.floats(-2, 200),
    )


def keys_for(kind: schema.Kind) -> st.SearchStrategy[Any]:
    known = sorted(set(property_names(schema.schema_doc(kind))))
    return st.sampled_from(known) | st.sampled_from(["nick", "Name", "", "on", True, False, 1, None])


VALUES = {kind: values_for(kind) for kind in schema.KINDS}
KEYS = {kind: keys_for(kind) for kind in schema.KINDS}


def transplant(draw: st.DrawFn, kind: schema.Kind, doc: Any) -> None:
    """A field of another corpus document copied to the same place in `doc`: mixes outcomes, reporters, expunges."""
    donor = draw(st.sampled_from(CORPUS[kind]))
    path = draw(st.sampled_from(list(places(donor))))
    try:
        parent = at(doc, path[:-1])
    except (KeyError, IndexError, TypeError):
        return
    if path and isinstance(parent, dict):
        parent[path[-1]] = copy.deepcopy(at(donor, path))


@st.composite
def mutations(draw: st.DrawFn, kind: schema.Kind) -> Any:
    """A corpus document with one to three changes: a value deleted, a field added, a value replaced or transplanted."""
    doc = copy.deepcopy(draw(st.sampled_from(CORPUS[kind])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(places(doc))))
        action = draw(st.sampled_from(["delete", "add", "replace", "transplant"]))
        target = at(doc, path)
        if action == "transplant":
            transplant(draw, kind, doc)
        elif action == "add" and isinstance(target, dict):
            target[draw(KEYS[kind])] = draw(VALUES[kind])
        elif action == "add" and isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(VALUES[kind]))
        elif action == "delete" and path:
            del at(doc, path[:-1])[path[-1]]
        elif path:
            at(doc, path[:-1])[path[-1]] = draw(VALUES[kind])
        else:
            doc = draw(VALUES[kind])
    return doc


@pytest.mark.parametrize("kind", schema.KINDS)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_predicate_agrees_with_jsonschema_on_mutations(kind: schema.Kind, data: st.DataObject) -> None:
    doc = data.draw(mutations(kind))
    event(f"{kind}: {'valid' if agrees(kind, doc) else 'invalid'}")


def test_mutations_reach_both_verdicts() -> None:
    """The mutation test is not vacuous: it meets valid and invalid documents of each kind."""
    seen: dict[schema.Kind, set[bool]] = {kind: set() for kind in schema.KINDS}

    @settings(max_examples=300, deadline=None, database=None)
    @given(kind=st.sampled_from(schema.KINDS), data=st.data())
    def collect(kind: schema.Kind, data: st.DataObject) -> None:
        seen[kind].add(agrees(kind, data.draw(mutations(kind))))

    collect()
    assert seen == {kind: {True, False} for kind in schema.KINDS}


# --- jsonschema's rules, one keyword at a time ---------------------------------------------------


def both(rule: dict[str, Any], instance: Any) -> bool:
    """The verdict of the predicate, after checking that jsonschema gives the same."""
    verdict = schema_fast.compile_schema(rule)(instance)
    assert verdict == schema.validator_class()(rule).is_valid(instance)
    return verdict


EDGES: list[tuple[dict[str, Any], Any, bool]] = [
    ({"const": True}, True, True),
    ({"const": True}, 1, False),
    ({"const": True}, 1.0, False),
    ({"const": 1}, True, False),
    ({"const": 1}, 1.0, True),
    ({"const": 0}, False, False),
    ({"const": {"expunged": True}}, {"expunged": True}, True),
    ({"const": {"expunged": True}}, {"expunged": 1}, False),
    ({"const": {"expunged": True}}, {"expunged": True, "name": "x"}, False),
    ({"const": [1, "a"]}, [1.0, "a"], True),
    ({"const": [1]}, [True], False),
    ({"enum": [1, "a"]}, True, False),
    ({"enum": [1, "a"]}, 1.0, True),
    ({"enum": [False]}, 0, False),
    ({"enum": ["a", "b"]}, "b", True),
    ({"enum": ["a", "b"]}, ["a"], False),
    ({"type": "integer"}, 1, True),
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "integer"}, "1", False),
    ({"type": "integer"}, math.inf, False),
    ({"type": "integer"}, math.nan, False),
    ({"type": "number"}, True, False),
    ({"type": "number"}, 1.5, True),
    ({"type": "number"}, Decimal("1.5"), True),
    ({"type": "number"}, Fraction(1, 2), True),
    ({"type": "boolean"}, 0, False),
    ({"type": "boolean"}, False, True),
    ({"type": "null"}, None, True),
    ({"type": "null"}, 0, False),
    ({"type": "object"}, OrderedDict(), True),
    ({"type": "object"}, MappingProxyType({}), False),  # jsonschema's "object" is dict, not any Mapping
    ({"type": "array"}, (), False),
    ({"type": ["integer", "string"]}, None, False),
    ({"minimum": 1}, True, True),  # a bool is not a number: minimum does not apply
    ({"minimum": 1}, False, True),
    ({"minimum": 1}, 0, False),
    ({"minimum": 1}, 0.5, False),
    ({"minimum": 1}, "0", True),
    ({"minimum": 1}, math.nan, True),  # jsonschema tests `x < minimum`, false for NaN
    ({"maximum": 1}, math.nan, True),
    ({"maximum": 1}, 1.5, False),
    ({"type": "integer", "minimum": 1}, True, False),
    ({"minLength": 2}, "\u00e9", False),
    ({"minLength": 2}, "e\u0301", True),  # two code points
    ({"maxLength": 1}, "\U0001f600", True),
    ({"minLength": 2}, 5, True),
    ({"pattern": "b"}, "abc", True),  # re.search, not re.match
    ({"pattern": "^\\S+$"}, "a b", False),
    ({"pattern": "^x$"}, 5, True),
    # ECMA-262's `$` (JSON Schema's): only at the very end, not before a final newline as Python's
    ({"pattern": "^\\S+$"}, "github:jane\n", False),
    ({"pattern": "^[a-z]+$"}, "alice\n", False),
    ({"pattern": "^[$]+$"}, "$$", True),
    ({"pattern": "^a\\$$"}, "a$", True),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [0, False], True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, ["a", "a"], False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1.0}], False),
    ({"uniqueItems": True}, [[True], [1]], True),
    ({"uniqueItems": False}, ["a", "a"], True),
    ({"minItems": 1}, [], False),
    ({"maxItems": 1}, [1, 2], False),
    ({"items": {"type": "string"}}, ["a", 1], False),
    ({"items": {"type": "string"}}, "ab", True),
    ({"items": False}, [], True),
    ({"items": False}, [1], False),
    ({"required": ["a"]}, [], True),
    ({"required": ["a"]}, {"a": None}, True),
    ({"required": ["a", "b"]}, {"a": 1}, False),
    ({"minProperties": 1}, {}, False),
    ({"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({"dependentRequired": {"a": ["b"]}}, {"a": 1}, False),
    ({"dependentRequired": {"a": ["b"]}}, {"b": 1}, True),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}, False),
    ({"properties": {"a": {"type": "string"}}}, {"b": 1}, True),
    ({"properties": {"a": {}}, "additionalProperties": False}, {True: 1}, False),
    ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1}, True),
    ({"additionalProperties": {"type": "integer"}}, {"a": 1, "b": "x"}, False),
    ({"not": {}}, None, False),
    ({"not": {"type": "string"}}, 1, True),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}, False),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {}, True),
    ({"if": {"required": ["a"]}, "else": {"required": ["b"]}}, {}, False),
    ({"then": {"required": ["b"]}}, {}, True),  # then without if is ignored
    ({"allOf": [{"minimum": 0}, {"maximum": 1}]}, 2, False),
    ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"b": 1}, True),
    ({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, {"c": 1}, False),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 1, False),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, -1, True),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 0.5, True),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, "never", True),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, -1, False),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, 1.0, True),
    ({"type": ["integer", "string"], "minimum": 0, "pattern": "^never$"}, True, False),
]


@pytest.mark.parametrize(("rule", "instance", "expected"), EDGES)
def test_each_keyword_as_jsonschema_applies_it(rule: dict[str, Any], instance: Any, expected: bool) -> None:
    assert both(rule, instance) is expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.0, 1.0, -0.0, 1.5]) | st.text(max_size=2),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON, other=JSON)
def test_const_and_enum_equality_is_jsonschemas(value: Any, other: Any) -> None:
    both({"const": value}, other)
    both({"const": value}, copy.deepcopy(value))
    both({"enum": [value, "x"]}, other)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(JSON, max_size=4))
def test_unique_items_is_never_more_lenient_than_jsonschema(items: list[Any]) -> None:
    verdict = schema_fast.compile_schema({"uniqueItems": True})(items)
    if verdict or not any(isinstance(item, list) for item in items):
        assert verdict == Draft202012Validator({"uniqueItems": True}).is_valid(items)


def test_unique_items_finds_the_duplicate_jsonschema_misses() -> None:
    """jsonschema sorts then compares neighbours, and [True] sorts level with [1]: the safe direction."""
    items = [[True], [1], [True]]
    assert Draft202012Validator({"uniqueItems": True}).is_valid(items)
    assert not schema_fast.compile_schema({"uniqueItems": True})(items)


# --- what the compiler refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        {"format": "email"},
        {"patternProperties": {"^x": {}}},
        {"$ref": "#/$defs/date"},
        {"$defs": {}},
        {"prefixItems": [{}]},
        {"contains": {}},
        {"unevaluatedProperties": False},
        {"exclusiveMinimum": 0},
        {"type": "decimal"},
        {"properties": {"a": {"format": "date"}}},
        {"items": {"multipleOf": 2}},
        {"if": {"propertyNames": {}}, "then": {}},
        {"not": {"dependentSchemas": {}}},
        {"allOf": [{}, {"maxContains": 1}]},
        {"additionalProperties": {"minContains": 1}},
        {"properties": {"a": ["not", "a", "schema"]}},
    ],
)
def test_an_unknown_keyword_refuses_to_compile(rule: dict[str, Any]) -> None:
    with pytest.raises(schema_fast.Unsupported):
        schema_fast.compile_schema(rule)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_each_shipped_schema_compiles(kind: schema.Kind) -> None:
    assert schema.fast(kind) is schema.fast(kind) is not None


@pytest.fixture
def fresh_fast() -> Iterator[None]:
    schema.fast.cache_clear()
    yield
    schema.fast.cache_clear()


def test_a_schema_that_does_not_compile_falls_back_to_jsonschema(fresh_fast: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(rule: Any) -> Callable[[Any], bool]:
        raise schema_fast.Unsupported("format")

    monkeypatch.setattr(schema_fast, "compile_schema", refuse)
    assert schema.fast("record") is None
    assert schema.iter_errors("record", VALID_RECORDS[0], "x") == []
    assert [e.path for e in schema.iter_errors("record", with_changes(VALID_RECORDS[0], {"reporter": None}), "x")] == ["reporter"]


def test_a_valid_document_never_reaches_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(kind: schema.Kind) -> Any:
        raise AssertionError("jsonschema used for a valid document")

    monkeypatch.setattr(schema, "validator", unreachable)
    valid: dict[schema.Kind, list[Any]] = {"record": VALID_RECORDS, "members": MEMBERS, "policy": POLICIES}
    for kind, docs in valid.items():
        for doc in docs:
            schema.validate(kind, doc, "x")
            assert schema.iter_errors(kind, doc, "x") == []


def test_an_invalid_document_still_gets_jsonschemas_errors() -> None:
    invalid = [doc for doc in BAD_RECORDS if not schema.validator("record").is_valid(doc)]
    assert len(invalid) > 20
    for doc in invalid:
        assert schema.iter_errors("record", doc, "x") != []


def test_validating_valid_documents_does_not_import_jsonschema() -> None:
    code = (
        "import sys\n"
        "from cocrec import schema\n"
        "from cocrec.policy import DEFAULT_DOC\n"
        "schema.validate('policy', DEFAULT_DOC, 'cocrec.yaml')\n"
        "assert schema.iter_errors('members', {'members': []}, 'members.yaml') == []\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported'\n"
        "assert schema.iter_errors('members', {'members': 1}, 'members.yaml') != []\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
