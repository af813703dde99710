"""The record's layout is declared once, in its schema: every leaf classified, every table derived."""

from __future__ import annotations

import copy
from typing import Any

from cocrec import redact, schema, validate
from cocrec.record_layout import layout, layout_of, problems
from cocrec.vocabulary import STEPS
from tests.schema_corpus import VALID_RECORDS


def test_every_leaf_of_the_record_schema_is_classified() -> None:
    assert layout().leaves
    assert problems(layout()) == []


def _with_field(defs_entry: str, name: str, declared: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(schema.schema_doc("record"))
    doc["$defs"][defs_entry]["properties"][name] = declared
    return doc


def test_a_new_field_without_annotations_is_refused() -> None:
    unclassified = layout_of(_with_field("outcome", "remark", {"$ref": "#/$defs/text"}))
    assert problems(unclassified) == [
        "outcome.remark: no PII class: add x-cocrec: {pii: structural | name | identifier | text}"
    ]


def test_personal_data_no_step_removes_is_refused() -> None:
    named = layout_of(
        _with_field("hold", "asked_by", {"$ref": "#/$defs/text", "x-cocrec": {"pii": "name"}})
    )
    assert problems(named) == [
        "retention.hold.asked_by: personal data that no step removes: add removed_by"
    ]


def test_a_date_order_names_a_date() -> None:
    note = {"pii": "structural", "not_before": {"field": "outcome.type", "advice": "fix it"}}
    bad = layout_of(_with_field("appeal", "heard_on", {"$ref": "#/$defs/date", "x-cocrec": note}))
    assert problems(bad) == [
        "appeal.heard_on: not_before names outcome.type, which is not a date of the record"
    ]


def test_one_annotated_field_reaches_every_table() -> None:
    """What issue 11's new fields need: one edit to the schema, and validate and redact follow."""
    note = {"pii": "name", "removed_by": "subjects"}
    new = layout_of(
        _with_field("named_subject", "alias", {"$ref": "#/$defs/text", "x-cocrec": note})
    )
    assert ("subjects", "*", "alias") in new.of_class("name", "subjects")
    assert new.key_order["subject"][-2:] == ("alias", "expunged")
    dated = layout_of(
        _with_field(
            "hold",
            "ends_on",
            {"$ref": "#/$defs/date", "x-cocrec": {"pii": "structural", "past": "x"}},
        )
    )
    assert ("retention", "hold", "ends_on") in dated.dates
    assert (("retention", "hold", "ends_on"), "x") in dated.past_dates


def test_every_string_of_a_valid_record_sits_at_a_declared_leaf() -> None:
    leaves = {f.shape for f in layout().leaves}
    for doc in VALID_RECORDS:
        for path, _ in redact.strings(doc):
            assert redact.shape_of(path) in leaves, path


def test_the_tables_read_the_schema() -> None:
    assert ("retention", "hold", "review_on") in validate.RECORD_DATES
    assert (("retention", "hold", "since"), ("retention", "hold", "review_on")) in [
        (a, b) for a, b, _ in validate.RECORD_DATE_ORDER
    ]
    assert ("retention", "hold", "review_on") in redact.STRUCTURAL
    assert validate.KEY_ORDER["hold"] == tuple(
        schema.schema_doc("record")["$defs"]["hold"]["properties"]
    )
    assert [r.shape for r in redact.REMOVALS["reporter"]] == [
        ("reporter", "name"),
        ("reporter", "contact"),
    ]
    assert set(redact.REMOVALS) == set(STEPS)
