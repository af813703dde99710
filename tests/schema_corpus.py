"""Documents of each kind, valid and invalid, and mutations of them: what the schema tests feed the
schemas (tests/test_schema.py). Every person here is invented (example.org); the demo records are the
invented demo committee's."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from cocrec import crypto, schema, yaml_io
from cocrec.policy import DEFAULT_DOC
from cocrec.scaffold import template
from cocrec.vocabulary import PRESETS

from .conftest import outcome, record, with_changes
from .test_validate import BAD, closed, example, expunged_doc

ROOT = Path(__file__).resolve().parent.parent
ADA = ROOT / "examples" / "demo-identities" / "ada.txt"


def demo_records() -> list[dict[str, Any]]:
    identities = crypto.load_identities([ADA], lambda _: "")
    docs = []
    for path in sorted((ROOT / "records").glob("*.yaml.age")):
        docs.append(
            yaml_io.loads(crypto.decrypt(path.read_bytes(), identities, path.name), path.name)
        )
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
    record(
        id="2026-k7qd",
        reporter={"kind": "private"},
        handled_by="alice",
        outcome=outcome("resolved"),
    ),
    with_changes(
        closed_record("unidentified"),
        {"subjects": [], "retention": {"hold": {"reason": "appeal", "since": "2026-08-01"}}},
    ),
    example(),
    *(closed(kind) for kind in ("no-violation", "unidentified", "resolved", "flagged")),
    *(expunged_doc(steps) for steps in [("reporter",), ("subjects",), ("reporter", "subjects")]),
    with_changes(
        closed_record("resolved", consequence="warning"),
        {
            "acknowledged_on": "2026-06-05",
            "unilateral_action": {"taken_on": "2026-06-04", "reviewed_on": "2026-06-05"},
            "appeal": {"received_on": "2026-07-10", "decided_on": "2026-07-20"},
            "imported": {"row_sha256": "0" * 64, "date": "2026-12-01", "decided_on_assumed": True},
        },
    ),
]
# Each breaks a rule: of the schema, or of validate.py (a real date, a known region) which the schema lets through.
BAD_RECORDS: list[Any] = [param.values[0] for param in BAD]
RECORDS = VALID_RECORDS + BAD_RECORDS

MEMBERS: list[Any] = [
    yaml_io.loads(template("members.yaml"), "members.yaml"),
    yaml_io.loads((ROOT / "members.yaml").read_bytes(), "members.yaml"),
    {
        "members": [
            {
                "id": "alice",
                "name": "Alice Member",
                "keys": ["age1alice", "ssh-ed25519 AAAA"],
                "since": "2024-01-01",
            }
        ],
        "former": [
            {"id": "bob", "name": "Bob Member", "since": "2023-01-01", "until": "2024-06-01"},
            {"id": "carol", "name": "Carol", "until": "2025-01-01"},
        ],
    },
]
POLICIES: list[Any] = [
    yaml_io.loads(template("cocrec.yaml"), "cocrec.yaml"),
    yaml_io.loads((ROOT / "cocrec.yaml").read_bytes(), "cocrec.yaml"),
    DEFAULT_DOC,
    {
        "retention": {
            "starts": "reported_on",
            "terms": {
                "resolved": {"reporter": 0, "subjects": "never"},
                "banned": {"after_ban": "never"},
            },
        }
    },
    {
        "report": {"min_cell": 1},
        "regions": ["online"],
        "categories": [],
        "channels": ["email", "other"],
    },
    *(yaml_io.loads(template(name), name) for name in PRESETS.values()),
    {
        "deadlines": {"acknowledge": None, "decide": 14},
        "consequences": {"warning": {"outcomes": ["resolved"], "ban": "until"}},
    },
]
MAPPINGS: list[Any] = [
    {},
    {"date_order": "dmy"},
    {
        "columns": {
            "Blacklisted?": "Banned or flagged",
            "Region": "region",
            "Decided": "outcome.decided_on",
        },
        "values": {
            "Banned or flagged": {"Blacklisted": "banned", "": "resolved"},
            "Action taken by us": {"Emailed": True},
        },
        "defaults": {"region": "europe", "reporter.kind": "public"},
        "date_order": "mdy",
    },
]
CORPUS: dict[schema.Kind, list[Any]] = {
    "record": RECORDS,
    "members": MEMBERS,
    "policy": POLICIES,
    "mapping": MAPPINGS,
}


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
    "",
    " ",
    "x",
    "text with spaces",
    "2026-01-01",
    "2026-1-1",
    "2026-k7qd",
    "alice",
    "Alice",
    "a@b",
    "a@@b",
    "https://example.org/x",
    "example.org",
    "never",
    "Never",
    "private",
    "banned",
    "flagged",
    0,
    1,
    -1,
    2,
    1.0,
    0.0,
    1.5,
    -0.5,
    True,
    False,
    None,
    math.nan,
    math.inf,
    [],
    {},
    ["x"],
    ["x", "x"],
    [1],
    [True],
    [1, True],
    [1, 1.0],
    [None],
    [{}],
    {"expunged": True},
    {"expunged": 1},
    {"expunged": 1.0},
    {"until": "2027-01-01"},
    {"permanent": True},
    {"kind": "private"},
    {"taken": True},
    {"reporter": "2027-01-01"},
    {"subjects": "2027-01-01"},
]


def values_for(kind: schema.Kind) -> st.SearchStrategy[Any]:
    """Odd values, the schema's own constants, and values from elsewhere in the corpus (often valid there)."""
    found = [value for doc in CORPUS[kind] for value in parts(doc)]
    return st.one_of(
        st.sampled_from(ODD_VALUES + list(schema_values(schema.schema_doc(kind))) + found).map(
            copy.deepcopy
        ),
        st.text(max_size=4),
        st.integers(-3, 200),
        st.floats(-2, 200),
    )


def keys_for(kind: schema.Kind) -> st.SearchStrategy[Any]:
    known = sorted(set(property_names(schema.schema_doc(kind))))
    return st.sampled_from(known) | st.sampled_from(
        ["nick", "Name", "", "on", True, False, 1, None]
    )


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
