"""Record, members and policy validation, the cross-record rules and the canonical order.

Every person here is invented (example.org). Each bad document carries an
invented value, and each error must name the file and the field path and
must not quote that value: any value in a record may be personal data.
"""

from __future__ import annotations

import copy
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import validate, yaml_io
from cocrec.errors import UsageError, ValidationError
from cocrec.model import Members
from cocrec.policy import DEFAULT_DOC, DEFAULT_POLICY
from cocrec.scaffold import template
from cocrec.vocabulary import PRESETS

from .conftest import with_changes

SOURCE = "records/2026-k7qd.yaml.age"

# The SPEC section 3 example, as a member would type it (dates unquoted; 'on' quoted, see
# test_a_bare_on_key_as_typed_in_the_spec).
# Indented here and dedented when used: this repository (a records repository too) holds nothing that
# reads as a plaintext record (cocrec.layout.looks_like_record).
SPEC_EXAMPLE = textwrap.dedent("""\
    id: 2026-k7qd
    schema_version: 1
    reported_on: 2026-06-04
    event: DjangoCon Europe 2026
    region: europe
    categories: [harassment]
    channel: email
    reporter:
      kind: public
      name: Sam Reporter
      contact: sam@example.org
    handled_by: alice
    subjects:
      - name: Jane Doe
        emails: [jane@example.org]
        usernames: [github:janedoe]
        urls: [https://example.org/~jane]
        also_in: [2025-x3m9]
    summary: |
      Jane Doe sent unwanted messages to an attendee.
    action_by_committee:
      taken: true
      description: Emailed the subject.
    action_by_local_rep:
      taken: false
    outcome:
      type: flagged
      decided_on: 2026-07-01
      recommendations: May attend talks, not the party.
      shareable_summary: |
        A violation of the code of conduct was found and addressed.
    retention:
      override: {subjects: 2030-01-01, reporter: 2030-01-01, reason: appeal outcome, decided_on: 2026-07-02}
      hold: {reason: appeal pending, since: 2026-08-01, review_on: 2026-11-01}
    disclosures:
      - {'on': 2027-03-01, to: DjangoCon Europe 2027 organisers, what: shareable_summary}
    notes: Invented notes.
""").encode()

MEMBERS = Members.from_doc(
    {
        "members": [
            {"id": "alice", "name": "Alice Member", "keys": ["age1alice"], "since": "2024-01-01"}
        ],
        "former": [
            {"id": "bob", "name": "Bob Member", "since": "2023-01-01", "until": "2024-06-01"}
        ],
    }
)


def example(**changes: Any) -> dict[str, Any]:
    """The SPEC example as a document, with `changes` applied (None deletes a key)."""
    return with_changes(yaml_io.loads(SPEC_EXAMPLE, SOURCE), changes)


def closed(kind: str, **outcome: Any) -> dict[str, Any]:
    """The example closed with outcome `kind` (recommendations only where allowed)."""
    data: dict[str, Any] = {"type": kind, "decided_on": "2026-07-01", **outcome}
    if kind in ("flagged", "banned"):
        data.setdefault("recommendations", "May attend talks, not the party.")
    return example(outcome=data)


def without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key not in keys}


def errors_of(doc: Any, expected_id: str | None = None) -> list[ValidationError]:
    return validate.record_errors(doc, SOURCE, DEFAULT_POLICY, MEMBERS, expected_id=expected_id)


def assert_one_error(errors: list[ValidationError], path: str, absent: str) -> ValidationError:
    assert len(errors) == 1, [str(e) for e in errors]
    error = errors[0]
    assert error.file == SOURCE and error.path == path
    assert str(error).startswith(f"{SOURCE}: {path}: ")
    assert absent not in str(error)
    return error


# --- valid records -----------------------------------------------------------------------------


def test_the_spec_example_is_valid() -> None:
    assert errors_of(example()) == []


def test_load_record_returns_the_document_and_the_record() -> None:
    doc, record = validate.load_record(
        SPEC_EXAMPLE, SOURCE, DEFAULT_POLICY, MEMBERS, expected_id="2026-k7qd"
    )
    assert doc["reported_on"] == "2026-06-04"  # dates stay strings in the document
    assert (
        record.id == "2026-k7qd" and record.outcome is not None and record.outcome.type == "flagged"
    )
    assert record.subjects[0].also_in == ("2025-x3m9",)


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(closed("no-violation"), id="no-violation"),
        pytest.param(closed("unidentified"), id="unidentified"),
        pytest.param(closed("unidentified") | {"subjects": []}, id="unidentified-without-subjects"),
        pytest.param(closed("resolved"), id="resolved"),
        pytest.param(closed("flagged"), id="flagged"),
        pytest.param(closed("banned", ban={"until": "2027-07-01"}), id="banned-until"),
        pytest.param(closed("banned", ban={"permanent": True}), id="banned-permanently"),
        pytest.param(example(outcome=None, subjects=[]), id="open-without-subjects"),
        pytest.param(example(reporter={"kind": "private"}), id="private-reporter"),
        pytest.param(
            example(reporter={"kind": "official", "name": "Example Conf staff"}),
            id="official-reporter",
        ),
        pytest.param(example(handled_by="bob"), id="handled-by-a-former-member"),
        pytest.param(
            example(event=None, categories=None, channel=None, notes=None, retention=None),
            id="optional-fields-absent",
        ),
    ],
)
def test_each_outcome_and_shape_is_valid(doc: dict[str, Any]) -> None:
    assert errors_of(doc) == []


def expunged_doc(steps: tuple[str, ...]) -> dict[str, Any]:
    """What cocrec expunge leaves after `steps` (SPEC section 3's PII table)."""
    doc = closed("resolved")
    if "reporter" in steps:
        doc["reporter"] = {"kind": "public"}
    if "subjects" in steps:
        doc["subjects"] = [{"expunged": True}]
        doc.pop("summary")
        doc.pop("notes")
        doc["disclosures"] = [{"on": "2027-03-01", "what": "shareable_summary"}]
    doc["expunged"] = {step: "2027-09-01" for step in steps}
    return doc


@pytest.mark.parametrize("steps", [("reporter",), ("subjects",), ("reporter", "subjects")])
def test_expunged_records_are_valid(steps: tuple[str, ...]) -> None:
    assert errors_of(expunged_doc(steps)) == []


# --- one clear error each, naming the file and the path, never the value -----------------------


BAD: list[Any] = [
    pytest.param(example(foo="Zed Secretvalue"), "foo", "Zed Secretvalue", id="unknown-field"),
    pytest.param(
        example(reporter={"kind": "public", "name": "Sam Reporter", "phone": "555-0199"}),
        "reporter.phone",
        "555-0199",
        id="unknown-nested-field",
    ),
    pytest.param(
        example(categories="harassment by Jane Doe"), "categories", "Jane Doe", id="wrong-type"
    ),
    pytest.param(
        example(action_by_committee={"taken": "Jane Doe yes"}),
        "action_by_committee.taken",
        "Jane Doe",
        id="wrong-type-nested",
    ),
    pytest.param(
        example(reported_on="2026-02-30"), "reported_on", "2026-02-30", id="impossible-date"
    ),
    pytest.param(example(reported_on="June 4th 2026"), "reported_on", "June 4th", id="not-a-date"),
    pytest.param(
        closed("resolved") | {"retention": {"hold": {"reason": "x", "since": "2026-13-01"}}},
        "retention.hold.since",
        "2026-13-01",
        id="impossible-hold-date",
    ),
    pytest.param(
        example(reporter={"kind": "private", "name": "Sam Reporter"}),
        "reporter.name",
        "Sam Reporter",
        id="named-private-reporter",
    ),
    pytest.param(
        example(reporter={"kind": "private", "contact": "sam@example.org"}),
        "reporter.contact",
        "sam@example.org",
        id="private-reporter-contact",
    ),
    pytest.param(
        example(reporter={"kind": "private"}, handled_by=None),
        "handled_by",
        "alice",
        id="private-without-handled-by",
    ),
    pytest.param(
        example(reporter={"kind": "public", "contact": "sam@example.org"}),
        "reporter.name",
        "sam@example.org",
        id="public-without-name",
    ),
    pytest.param(
        example(reporter={"kind": "anonymous-by-Sam"}),
        "reporter.kind",
        "anonymous-by-Sam",
        id="unknown-reporter-kind",
    ),
    pytest.param(closed("banned"), "outcome.ban", "2026-07-01", id="ban-without-an-end"),
    pytest.param(closed("banned", ban={}), "outcome.ban", "2026-07-01", id="ban-empty"),
    pytest.param(
        closed("banned", ban={"until": "2027-03-03", "permanent": True}),
        "outcome.ban",
        "2027-03-03",
        id="ban-with-both",
    ),
    pytest.param(
        closed("banned", ban={"permanent": False}),
        "outcome.ban.permanent",
        "False",
        id="ban-permanent-false",
    ),
    pytest.param(
        closed("flagged", ban={"until": "2027-03-03"}),
        "outcome.ban",
        "2027-03-03",
        id="ban-when-not-banned",
    ),
    pytest.param(
        closed("resolved", recommendations="Keep Jane Doe away"),
        "outcome.recommendations",
        "Jane Doe",
        id="recommendations-when-resolved",
    ),
    pytest.param(
        closed("banned", ban={"until": "2026-06-30"}),
        "outcome.ban.until",
        "2026-06-30",
        id="ban-ends-before-decision",
    ),
    pytest.param(
        closed("resolved", decided_on="2026-05-01"),
        "outcome.decided_on",
        "2026-05-01",
        id="decided-before-reported",
    ),
    pytest.param(
        closed("resolved")
        | {"retention": {"override": {"subjects": "2031-05-05", "decided_on": "2026-07-02"}}},
        "retention.override.reason",
        "2031-05-05",
        id="override-without-reason",
    ),
    pytest.param(
        closed("resolved")
        | {"retention": {"override": {"reason": "Jane Doe asked", "decided_on": "2026-07-02"}}},
        "retention.override",
        "Jane Doe",
        id="override-without-a-step",
    ),
    pytest.param(
        closed("resolved")
        | {
            "retention": {
                "hold": {"reason": "appeal", "since": "2026-08-01", "review_on": "2026-07-09"}
            }
        },
        "retention.hold.review_on",
        "2026-07-09",
        id="hold-reviewed-before-it-starts",
    ),
    pytest.param(example(region="atlantis"), "region", "atlantis", id="unknown-region"),
    pytest.param(
        example(categories=["harassment", "gossiping"]),
        "categories[1]",
        "gossiping",
        id="unknown-category",
    ),
    pytest.param(
        example(channel="carrier-pigeon"), "channel", "carrier-pigeon", id="unknown-channel"
    ),
    pytest.param(example(handled_by="mallory"), "handled_by", "mallory", id="unknown-member"),
    pytest.param(
        example(handled_by="Mallory Q"), "handled_by", "Mallory Q", id="malformed-member-id"
    ),
    pytest.param(example(id="2026-LOUD"), "id", "2026-LOUD", id="bad-id"),
    pytest.param(example(schema_version=99), "schema_version", "99", id="unknown-schema-version"),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "emails": ["jane at example.org"]}]),
        "subjects[0].emails[0]",
        "jane at",
        id="bad-email",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "urls": ["example.org/~jane"]}]),
        "subjects[0].urls[0]",
        "~jane",
        id="url-without-scheme",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "also_in": ["jane-2025"]}]),
        "subjects[0].also_in[0]",
        "jane-2025",
        id="malformed-also-in",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "also_in": ["2026-k7qd"]}]),
        "subjects[0].also_in[0]",
        "Jane Doe",
        id="also-in-itself",
    ),
    pytest.param(example(subjects=["Jane Doe"]), "subjects[0]", "Jane Doe", id="subject-as-text"),
    pytest.param(
        example(subjects=[{"also_in": ["2025-x3m9"]}]),
        "subjects[0]",
        "2025-x3m9",
        id="subject-without-identifier",
    ),
    pytest.param(
        example(subjects=[{"expunged": True, "name": "Jane Doe"}]),
        "subjects[0]",
        "Jane Doe",
        id="expunged-subject-with-a-name",
    ),
    pytest.param(
        closed("resolved") | {"subjects": []},
        "subjects",
        "2026-07-01",
        id="closed-without-subjects",
    ),
    pytest.param(
        without(closed("resolved"), "action_by_local_rep"),
        "action_by_local_rep",
        "2026-07-01",
        id="closed-without-action",
    ),
    pytest.param(example(summary=None), "summary", "Jane Doe", id="summary-missing"),
    pytest.param(example(summary=""), "summary", "Jane Doe", id="summary-empty"),
    pytest.param(
        example(disclosures=[{"on": "2027-03-01", "what": "shareable_summary"}]),
        "disclosures[0].to",
        "2027-03-01",
        id="disclosure-without-to",
    ),
    pytest.param(
        example(outcome=None, expunged={"reporter": "2027-01-01"}, reporter={"kind": "public"}),
        "outcome",
        "2027-01-01",
        id="expunged-while-open",
    ),
    pytest.param(
        expunged_doc(("reporter",)) | {"reporter": {"kind": "public", "name": "Sam Reporter"}},
        "reporter.name",
        "Sam Reporter",
        id="name-back-after-expunge",
    ),
    pytest.param(
        expunged_doc(("subjects",)) | {"summary": "Jane Doe again"},
        "summary",
        "Jane Doe",
        id="summary-back-after-expunge",
    ),
    pytest.param(
        expunged_doc(("subjects",)) | {"subjects": [{"name": "Jane Doe"}]},
        "subjects[0]",
        "Jane Doe",
        id="subject-back-after-expunge",
    ),
    # deadlines' record fields (SPEC section 12)
    pytest.param(
        example(acknowledged_on="2026-06-03"),
        "acknowledged_on",
        "2026-06-03",
        id="acknowledged-before-reported",
    ),
    pytest.param(
        example(acknowledged_on="2026-06-31"),
        "acknowledged_on",
        "2026-06-31",
        id="acknowledged-impossible-date",
    ),
    pytest.param(
        example(unilateral_action={"reviewed_on": "2026-06-05"}),
        "unilateral_action.taken_on",
        "2026-06-05",
        id="unilateral-without-taken-on",
    ),
    pytest.param(
        example(unilateral_action={"taken_on": "2026-06-05", "reviewed_on": "2026-06-04"}),
        "unilateral_action.reviewed_on",
        "2026-06-04",
        id="reviewed-before-taken",
    ),
    pytest.param(
        example(unilateral_action={"taken_on": "2026-06-01"}),
        "unilateral_action.taken_on",
        "2026-06-01",
        id="unilateral-before-report",
    ),
    pytest.param(
        example(outcome=None, appeal={"received_on": "2026-07-05"}),
        "outcome",
        "2026-07-05",
        id="appeal-while-open",
    ),
    pytest.param(
        closed("resolved", decided_on="2026-07-01") | {"appeal": {"received_on": "2026-06-30"}},
        "appeal.received_on",
        "2026-06-30",
        id="appeal-before-decision",
    ),
    pytest.param(
        closed("resolved", decided_on="2026-07-01") | {"appeal": {"received_on": "2026-08-15"}},
        "appeal.received_on",
        "2026-08-15",
        id="appeal-after-the-window",
    ),
    pytest.param(
        closed("resolved") | {"appeal": {"received_on": "2026-07-05", "decided_on": "2026-07-04"}},
        "appeal.decided_on",
        "2026-07-04",
        id="appeal-decided-before-received",
    ),
    pytest.param(
        closed("resolved", consequence="stern-talk-with-jane"),
        "outcome.consequence",
        "jane",
        id="consequence-without-a-ladder",
    ),
    pytest.param(
        example(imported={"row_sha256": "not-a-hash", "date": "2026-12-01"}),
        "imported.row_sha256",
        "not-a-hash",
        id="imported-bad-hash",
    ),
    # dates from 1900 to 2199 (SPEC section 8): `until: 9999-12-31` meant "forever" and broke every command
    pytest.param(
        closed("banned", ban={"until": "9999-12-31"}),
        "outcome.ban.until",
        "9999",
        id="ban-until-9999",
    ),
    pytest.param(example(reported_on="0001-01-01"), "reported_on", "0001", id="reported-in-year-1"),
    pytest.param(example(reported_on="1899-12-31"), "reported_on", "1899", id="reported-in-1899"),
    pytest.param(
        closed("resolved")
        | {
            "retention": {"hold": {"reason": "x", "since": "2026-08-01", "review_on": "2200-01-01"}}
        },
        "retention.hold.review_on",
        "2200",
        id="review-in-2200",
    ),
    pytest.param(
        example(
            disclosures=[{"on": "3026-03-01", "to": "Example Conf", "what": "shareable_summary"}]
        ),
        "disclosures[0].on",
        "3026",
        id="disclosed-in-3026",
    ),
    # identifiers on one line, nothing around them: Python's `$` matches before a final newline
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "usernames": ["github:floraqz\n"]}]),
        "subjects[0].usernames[0]",
        "floraqz",
        id="username-ending-in-newline",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "emails": ["jane@example.org\n"]}]),
        "subjects[0].emails[0]",
        "jane@",
        id="email-ending-in-newline",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "emails": [" jane@example.org"]}]),
        "subjects[0].emails[0]",
        "jane@",
        id="email-after-a-space",
    ),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "urls": ["https://example.org/~jane\n"]}]),
        "subjects[0].urls[0]",
        "~jane",
        id="url-ending-in-newline",
    ),
    pytest.param(
        example(
            reporter={"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org\n"}
        ),
        "reporter.contact",
        "sam@",
        id="contact-ending-in-newline",
    ),
    pytest.param(
        example(reporter={"kind": "public", "name": "Sam Reporter", "contact": " sam@example.org"}),
        "reporter.contact",
        "sam@",
        id="contact-after-a-space",
    ),
    pytest.param(
        example(
            reporter={"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org\u2028x"}
        ),
        "reporter.contact",
        "sam@",
        id="contact-over-two-lines",
    ),
    pytest.param(
        example(handled_by="alice\n"), "handled_by", "alice", id="member-id-ending-in-newline"
    ),
    pytest.param(example(id="2026-wxyz\n"), "id", "wxyz", id="record-id-ending-in-newline"),
    pytest.param(
        example(subjects=[{"name": "Jane Doe", "also_in": ["2025-x3m9\n"]}]),
        "subjects[0].also_in[0]",
        "x3m9",
        id="also-in-ending-in-newline",
    ),
    pytest.param(
        example(reported_on="2026-03-17\n"), "reported_on", "03-17", id="date-ending-in-newline"
    ),
]


@pytest.mark.parametrize(("doc", "path", "value"), BAD)
def test_a_bad_record_gets_one_clear_error_without_its_value(
    doc: dict[str, Any], path: str, value: str
) -> None:
    error = assert_one_error(errors_of(doc), path, value)
    assert error.exit_code == 1
    assert len(str(error).splitlines()) == 1


def test_a_bare_on_key_as_typed_in_the_spec() -> None:
    data = SPEC_EXAMPLE.replace(b"{'on': 2027-03-01", b"{on: 2027-03-01")
    assert errors_of(yaml_io.loads(data, SOURCE)) == []


def test_a_key_yaml_reads_as_a_boolean_gets_a_hint() -> None:
    doc = example(
        disclosures=[
            {True: "2027-03-01", "to": "Example Conf organisers", "what": "shareable_summary"}
        ]
    )
    errors = errors_of(doc)
    assert errors[0].path == "disclosures[0]" and "quote it" in errors[0].message
    assert all("Example Conf" not in str(e) for e in errors)


def test_the_id_must_match_the_file_name() -> None:
    assert_one_error(errors_of(example(), expected_id="2026-abcd"), "id", "2026-abcd")
    assert errors_of(example(), expected_id="2026-k7qd") == []


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    errors = errors_of(["Jane Doe"])
    assert len(errors) == 1 and errors[0].path == "" and "Jane Doe" not in str(errors[0])


def test_schema_errors_come_alone_and_cross_field_rules_wait_for_them() -> None:
    doc = example(region="atlantis", foo=1)  # a schema error and a policy error
    assert [e.path for e in errors_of(doc)] == ["foo"]


def test_several_cross_field_problems_are_all_reported() -> None:
    doc = example(region="atlantis", channel="carrier-pigeon", handled_by="mallory")
    assert sorted(e.path for e in errors_of(doc)) == ["channel", "handled_by", "region"]


def test_a_custom_policy_decides_the_allowed_regions() -> None:
    policy = validate.load_policy(b"regions: [atlantis]\n", "cocrec.yaml")
    assert validate.record_errors(example(region="atlantis"), SOURCE, policy, MEMBERS) == []
    assert [e.path for e in validate.record_errors(example(), SOURCE, policy, MEMBERS)] == [
        "region"
    ]


def test_load_record_raises_the_first_problem() -> None:
    data = SPEC_EXAMPLE.replace(b"region: europe", b"region: atlantis")
    with pytest.raises(ValidationError) as caught:
        validate.load_record(data, SOURCE, DEFAULT_POLICY, MEMBERS)
    assert caught.value.path == "region" and "atlantis" not in str(caught.value)


def test_load_record_refuses_malformed_yaml_without_quoting_it() -> None:
    with pytest.raises(ValidationError) as caught:
        validate.load_record(
            b"id: 2026-k7qd\nsummary: [Jane Doe\n", SOURCE, DEFAULT_POLICY, MEMBERS
        )
    assert "Jane Doe" not in str(caught.value)


# --- across records ----------------------------------------------------------------------------


def test_duplicate_ids_across_files() -> None:
    docs = {
        "workspace/one.yaml": example(),
        "workspace/two.yaml": example(id="2025-x3m9"),
        "workspace/three.yaml": example(),
    }
    errors = validate.collection_errors(docs)
    assert [(e.file, e.path) for e in errors] == [("workspace/three.yaml", "id")]
    assert "workspace/one.yaml" in str(errors[0]) and "2026-k7qd" not in str(errors[0])


def test_also_in_must_name_a_known_record() -> None:
    known = {
        "records/2026-k7qd.yaml.age": example(),
        "records/2025-x3m9.yaml.age": example(id="2025-x3m9", subjects=[]),
    }
    assert validate.collection_errors(known) == []
    lonely = {"records/2026-k7qd.yaml.age": example()}
    errors = validate.collection_errors(lonely)
    assert [(e.file, e.path) for e in errors] == [
        ("records/2026-k7qd.yaml.age", "subjects[0].also_in[0]")
    ]
    assert "2025-x3m9" not in str(errors[0])


# --- canonical order ---------------------------------------------------------------------------


def shuffled(doc: Any, rng: random.Random) -> Any:
    """The same document with every mapping's keys in a random order."""
    if isinstance(doc, dict):
        keys = list(doc)
        rng.shuffle(keys)
        return {key: shuffled(doc[key], rng) for key in keys}
    if isinstance(doc, list):
        return [shuffled(item, rng) for item in doc]
    return doc


def test_canonical_follows_the_spec_order() -> None:
    doc = validate.canonical(
        shuffled(closed("banned", ban={"until": "2027-07-01"}), random.Random(3))
    )
    assert list(doc) == [key for key in validate.KEY_ORDER["record"] if key in doc]
    assert list(doc["reporter"]) == ["kind", "name", "contact"]
    assert list(doc["subjects"][0]) == ["name", "emails", "usernames", "urls", "also_in"]
    assert list(doc["outcome"]) == ["type", "decided_on", "ban", "recommendations"]
    assert list(doc["retention"]["override"]) == ["subjects", "reporter", "reason", "decided_on"]
    assert list(doc["disclosures"][0]) == ["on", "to", "what"]


def test_canonical_save_is_byte_identical_on_the_second_save() -> None:
    first = yaml_io.dumps(validate.canonical(shuffled(example(), random.Random(1))))
    second = yaml_io.dumps(validate.canonical(yaml_io.loads(first, SOURCE)))
    third = yaml_io.dumps(validate.canonical(yaml_io.loads(second, SOURCE)))
    assert first == second == third
    assert yaml_io.loads(first, SOURCE) == example()


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_canonical_does_not_depend_on_the_typed_order(seed: int) -> None:
    doc = expunged_doc(("reporter",)) | {"disclosures": example()["disclosures"]}
    assert yaml_io.dumps(validate.canonical(shuffled(doc, random.Random(seed)))) == yaml_io.dumps(
        validate.canonical(doc)
    )


def test_canonical_keeps_unknown_fields_last_and_does_not_touch_its_input() -> None:
    doc = {"zeta": [1], "id": "2026-k7qd", "reporter": {"extra": 1, "kind": "public"}}
    before = copy.deepcopy(doc)
    result = validate.canonical(doc)
    assert list(result) == ["id", "reporter", "zeta"] and list(result["reporter"]) == [
        "kind",
        "extra",
    ]
    result["zeta"].append(2)
    assert doc == before


# --- members.yaml ------------------------------------------------------------------------------

MEMBERS_YAML = b"""\
members:
- id: alice
  name: Alice Member
  keys: [age1alicekey, ssh-ed25519 AAAAalice alice@example.org]
  since: 2024-01-01
former:
- {id: bob, name: Bob Member, since: 2023-01-01, until: 2024-06-01}
"""


def key_check(key: str) -> None:
    """A stand-in for crypto.parse_recipient, which raises a UsageError."""
    if not key.startswith(("age1", "ssh-ed25519 ")):
        raise UsageError("the key is not a valid age or ssh recipient")


def test_members_load() -> None:
    members = validate.load_members(MEMBERS_YAML, "members.yaml", key_check=key_check)
    assert [m.id for m in members.current] == ["alice"] and members.ids == {"alice", "bob"}
    assert members.keys == ("age1alicekey", "ssh-ed25519 AAAAalice alice@example.org")


@pytest.mark.parametrize("data", [b"", b"members: []\nformer: []\n"])
def test_an_empty_members_file_has_no_members(data: bytes) -> None:
    assert validate.load_members(data, "members.yaml") == Members()


BAD_MEMBERS: list[Any] = [
    pytest.param(
        MEMBERS_YAML.replace(b"  since: 2024-01-01\n", b"  since: 2024-01-01\n  phone: 555-0199\n"),
        "members[0].phone",
        "555-0199",
        id="unknown-field",
    ),
    pytest.param(
        MEMBERS_YAML.replace(
            b"keys: [age1alicekey, ssh-ed25519 AAAAalice alice@example.org]", b"keys: []"
        ),
        "members[0].keys",
        "age1",
        id="no-key",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"age1alicekey", b"not-a-key-XYZ"),
        "members[0].keys[0]",
        "XYZ",
        id="invalid-recipient",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"ssh-ed25519 AAAAalice alice@example.org", b"age1alicekey"),
        "members[0].keys[1]",
        "alicekey",
        id="duplicate-key-listed",
    ),
    pytest.param(
        MEMBERS_YAML.replace(
            b"former:",
            b"- {id: carol, name: Carol, keys: [ssh-ed25519 AAAAalice carol@example.org]}\nformer:",
        ),
        "members[1].keys[0]",
        "AAAAalice",
        id="same-ssh-key-another-comment",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"id: bob", b"id: alice"),
        "former[0].id",
        "Bob Member",
        id="duplicate-id",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"id: alice", b"id: Alice Q"),
        "members[0].id",
        "Alice Q",
        id="malformed-id",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"since: 2024-01-01", b"since: 2024-02-30"),
        "members[0].since",
        "2024-02-30",
        id="impossible-date",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"until: 2024-06-01", b"until: 2022-06-01"),
        "former[0].until",
        "2022-06-01",
        id="left-before-joining",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"until: 2024-06-01}", b"until: 2024-06-01, keys: [age1old]}"),
        "former[0].keys",
        "age1old",
        id="former-keeps-keys",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"since: 2024-01-01", b"since: 0001-01-01"),
        "members[0].since",
        "0001",
        id="joined-in-year-1",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"id: alice", b'id: "alice\\n"'),
        "members[0].id",
        "alice",
        id="id-ending-in-newline",
    ),
    pytest.param(
        MEMBERS_YAML.replace(b"age1alicekey", b'"age1alicekey\\n"'),
        "members[0].keys[0]",
        "alicekey",
        id="key-ending-in-newline",
    ),
]


@pytest.mark.parametrize(("data", "path", "value"), BAD_MEMBERS)
def test_bad_members_file_gets_one_clear_error(data: bytes, path: str, value: str) -> None:
    errors = validate.members_errors(yaml_io.loads(data, "members.yaml"), "members.yaml", key_check)
    assert [(e.file, e.path) for e in errors] == [("members.yaml", path)], [str(e) for e in errors]
    assert value not in str(errors[0])
    with pytest.raises(ValidationError):
        validate.load_members(data, "members.yaml", key_check=key_check)


def test_a_key_check_raising_value_error_is_a_validation_error() -> None:
    def strict(key: str) -> None:
        raise ValueError(key)

    with pytest.raises(ValidationError) as caught:
        validate.load_members(MEMBERS_YAML, "members.yaml", key_check=strict)
    assert caught.value.path == "members[0].keys[0]" and "age1alicekey" not in str(caught.value)


# --- cocrec.yaml -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"{}\n", yaml_io.dumps(DEFAULT_DOC).encode("utf-8")])
def test_defaults_fill_in(data: bytes) -> None:
    assert validate.load_policy(data, "cocrec.yaml") == DEFAULT_POLICY


def test_the_shipped_policy_template_is_the_default_policy() -> None:
    import dataclasses

    shipped = validate.load_policy(template("cocrec.yaml").encode("utf-8"), "cocrec.yaml")
    assert shipped.extra_files == ("README.md",)  # `init` lists it; the default lists nothing
    assert dataclasses.replace(shipped, extra_files=()) == DEFAULT_POLICY


def test_a_custom_term_replaces_only_its_outcome() -> None:
    data = b"retention:\n  starts: reported_on\n  terms:\n    resolved: {reporter: 12, subjects: never}\n    banned: {after_ban: never}\nreport: {min_cell: 5}\n"
    policy = validate.load_policy(data, "cocrec.yaml")
    assert policy.terms["resolved"] == {"reporter": 12, "subjects": None}
    assert policy.terms["flagged"] == DEFAULT_POLICY.terms["flagged"]
    assert (policy.after_ban, policy.starts, policy.min_cell, policy.regions) == (
        None,
        "reported_on",
        5,
        DEFAULT_POLICY.regions,
    )


@pytest.mark.parametrize(
    ("data", "path"),
    [
        pytest.param(
            b"retention:\n  terms:\n    resolved: {reporter: forever, subjects: 14}\n",
            "retention.terms.resolved.reporter",
            id="word-term",
        ),
        pytest.param(
            b"retention:\n  terms:\n    resolved: {reporter: -3, subjects: 14}\n",
            "retention.terms.resolved.reporter",
            id="negative-term",
        ),
        pytest.param(
            b"retention:\n  terms:\n    resolved: {reporter: 1.5, subjects: 14}\n",
            "retention.terms.resolved.reporter",
            id="fractional-term",
        ),
        pytest.param(
            b"retention:\n  terms:\n    resolved: {reporter: 14}\n",
            "retention.terms.resolved.subjects",
            id="half-a-term",
        ),
        pytest.param(
            b"retention:\n  terms:\n    warned: {reporter: 1, subjects: 1}\n",
            "retention.terms.warned",
            id="unknown-outcome",
        ),
        pytest.param(
            b"retention:\n  starts: first-contact\n", "retention.starts", id="unknown-start"
        ),
        pytest.param(b"regions: [Europe West]\n", "regions[0]", id="region-not-a-slug"),
        pytest.param(b"regions: []\n", "regions", id="no-regions"),
        pytest.param(b"channels: [email, email]\n", "channels", id="duplicate-channel"),
        pytest.param(b"report: {min_cell: 0}\n", "report.min_cell", id="min-cell-zero"),
        pytest.param(
            b"retention:\n  terms:\n    resolved: {reporter: 100000000, subjects: 14}\n",
            "retention.terms.resolved.reporter",
            id="term-past-the-calendar",
        ),
        pytest.param(
            b"retention:\n  stale_open_case_days: 10000000000\n",
            "retention.stale_open_case_days",
            id="stale-days-past-the-calendar",
        ),
        pytest.param(b"colour: blue\n", "colour", id="unknown-key"),
        pytest.param(
            b"deadlines: {acknowledge: 1.5}\n", "deadlines.acknowledge", id="fractional-deadline"
        ),
        pytest.param(b"deadlines: {decide: two weeks}\n", "deadlines.decide", id="word-deadline"),
        pytest.param(b"deadlines: {decide: -1}\n", "deadlines.decide", id="negative-deadline"),
        pytest.param(b"deadlines: {respond: 2}\n", "deadlines.respond", id="unknown-deadline"),
        pytest.param(
            b"consequences: {warning: {outcomes: [warned]}}\n",
            "consequences.warning.outcomes[0]",
            id="consequence-unknown-type",
        ),
        pytest.param(
            b"consequences: {warning: {outcomes: []}}\n",
            "consequences.warning.outcomes",
            id="consequence-no-type",
        ),
        pytest.param(
            b"consequences: {ban: {outcomes: [banned], ban: sometimes}}\n",
            "consequences.ban.ban",
            id="consequence-unknown-ban",
        ),
        pytest.param(
            b"consequences: {banned: {outcomes: [banned]}}\n",
            "consequences.banned",
            id="consequence-named-like-a-type",
        ),
        pytest.param(
            b"consequences: {First Warning: {outcomes: [resolved]}}\n",
            "consequences",
            id="consequence-not-a-slug",
        ),
        pytest.param(
            b"report: {columns: {Warned: warning}}\n",
            "report.columns.Warned",
            id="column-counts-nothing",
        ),
        pytest.param(b"report: {columns: {}}\n", "report.columns", id="no-columns"),
    ],
)
def test_invalid_policy(data: bytes, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate.load_policy(data, "cocrec.yaml")
    assert (caught.value.file, caught.value.path) == ("cocrec.yaml", path)
    assert len(validate.policy_errors(yaml_io.loads(data, "cocrec.yaml"), "cocrec.yaml")) == 1


def test_a_deadline_that_is_not_whole_days_is_one_line_in_check(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cocrec.cli import cli

    root = tmp_path / "committee"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    policy = root / "cocrec.yaml"
    policy.write_text(policy.read_text().replace("  acknowledge: 1 ", "  acknowledge: 1.5 "))
    for args in (["check", "--no-decrypt"], ["status"]):
        result = CliRunner().invoke(cli, ["-C", str(root), *args, "--as-of", "2026-12-01"])
        assert result.exit_code == 1, result.output
        assert "cocrec.yaml: deadlines.acknowledge: must be a whole number of days" in result.output
        assert "Traceback" not in result.output


def test_each_preset_is_a_valid_policy_with_every_deadline() -> None:
    for preset, name in PRESETS.items():
        policy = validate.load_policy(template(name).encode("utf-8"), name)
        assert policy.deadlines == {
            "acknowledge": 1,
            "decide": 30,
            "review_unilateral": 1,
            "appeal_window": 30,
        }, preset
        assert template(name).startswith(f"# cocrec policy, preset {preset}")
    covenant = validate.load_policy(
        template(PRESETS["contributor-covenant-2.1"]).encode("utf-8"), "cocrec.yaml"
    )
    assert list(covenant.consequences) == [
        "correction",
        "warning",
        "temporary-ban",
        "permanent-ban",
    ]
    assert covenant.consequences["temporary-ban"].allows("banned", ban_permanent=False)
    assert not covenant.consequences["temporary-ban"].allows("banned", ban_permanent=True)
    django = validate.load_policy(template(PRESETS["django-2026"]).encode("utf-8"), "cocrec.yaml")
    assert django.consequences["other"].outcomes == (
        "no-violation",
        "unidentified",
        "resolved",
        "flagged",
        "banned",
    )
    assert [c.label for c in django.report_columns] == [
        "Reports",
        "People Named",
        "Actions (DSF)",
        "Actions (Local)",
        "Not a violation",
        "Out of scope",
        "Warned",
        "Suspended",
        "Banned",
        "Other",
        "No Action",
    ]


# --- dates of what has happened, as of the day a member writes ---------------------------------


def test_dates_of_what_happened_may_not_lie_after_the_as_of_date() -> None:
    import datetime as dt

    doc = closed("resolved") | {
        "disclosures": [{"on": "2026-08-01", "to": "Example Conf", "what": "shareable_summary"}]
    }
    assert validate.future_errors(doc, SOURCE, dt.date(2026, 8, 1)) == []
    errors = validate.future_errors(doc, SOURCE, dt.date(2026, 6, 1))
    assert [e.path for e in errors] == [
        "reported_on",
        "outcome.decided_on",
        "retention.override.decided_on",
        "retention.hold.since",
        "disclosures[0].on",
    ]
    assert all("is after 2026-06-01 (today, or --as-of)" in str(e) for e in errors)


def test_dates_of_what_is_to_come_may_lie_after_it() -> None:
    import datetime as dt

    doc = closed("banned", ban={"until": "2199-12-31"}) | {
        "retention": {"hold": {"reason": "x", "since": "2026-08-01", "review_on": "2030-01-01"}}
    }
    assert errors_of(doc) == []
    assert validate.future_errors(doc, SOURCE, dt.date(2027, 3, 1)) == []


def test_the_out_of_range_ban_says_how_to_write_forever() -> None:
    (error,) = errors_of(closed("banned", ban={"until": "9999-12-31"}))
    assert (
        str(error)
        == f"{SOURCE}: outcome.ban.until: dates run from 1900 to 2199: a ban without an end is written ban: {{permanent: true}}"
    )


def test_a_date_in_another_format_says_how_dates_are_written() -> None:
    (error,) = errors_of(example(reported_on="01/12/2026"))
    assert (
        str(error) == f"{SOURCE}: reported_on: must be a date, written YYYY-MM-DD like 2026-06-04"
    )
