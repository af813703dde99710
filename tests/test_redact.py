from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocrec import redact, validate
from cocrec.matcher import fold_text
from cocrec.model import Members
from cocrec.policy import Policy
from cocrec.vocabulary import StepName

from .conftest import outcome, record

ON = dt.date(2028, 1, 1)
POLICY = Policy.from_doc({})
MEMBERS = Members.from_doc({"members": [{"id": "alice", "name": "Alice Member", "keys": []}]})


def errors(doc: dict[str, Any]) -> list[str]:
    return [str(e) for e in validate.record_errors(doc, "record", POLICY, MEMBERS)]


# -- the rules, by example --------------------------------------------------------------------------


def pii(*names: str, identifiers: tuple[str, ...] = ()) -> redact.Pii:
    return redact.Pii(frozenset(identifiers), frozenset(names))


def test_whole_words_of_a_name_are_redacted_case_insensitively_and_nothing_inside_other_words() -> (
    None
):
    text = "JANE's friend Janet met jane doe, not Doer; Li Wu stays, Jo too."
    assert (
        redact.redact_text(text, pii("Jane Doe", "Li Wu", "Jo"))
        == "[redacted]'s friend Janet met [redacted], not Doer; [redacted] stays, [redacted] too."
    )
    # a two-letter word goes alone unless it is a common word; then, and an initial always, only beside the name
    assert redact.redact_text("Li met Wu", pii("Li Wu")) == "[redacted] met [redacted]"
    assert (
        redact.redact_text("An apple for An; Nguyen, An said", pii("Nguyen Van An"))
        == "An apple for An; [redacted] said"
    )
    assert redact.redact_text("Q and Jane Q. Public", pii("Jane Q. Public")) == "Q and [redacted]"


def test_identifiers_are_found_in_the_forms_text_uses() -> None:
    removed = redact.pii_values(record(), "subjects")
    text = "Mail JANE@example.org, ping @janedoe (github:janedoe), see example.org/~jane/ and https://example.org/~jane."
    assert (
        redact.redact_text(text, removed)
        == "Mail [redacted], ping @[redacted] ([redacted]), see [redacted]/ and [redacted]."
    )
    assert (
        redact.redact_text("janedoex and xjane@example.org", removed)
        == "janedoex and xjane@example.org"
    )
    # the name run together is the name, digits after it or not
    assert redact.redact_text("janedoe2 met JaneDoe", removed) == "[redacted]2 met [redacted]"


def test_redaction_reaches_a_fixpoint_and_never_matches_its_own_marker() -> None:
    assert (
        redact.redact_text("Red Dacted, red and DACTED", pii("Red Dacted"))
        == "[redacted], [redacted] and [redacted]"
    )
    assert not redact.occurs_in_text("[redacted] [redacted]", pii("Red Dacted", "Redacted"))


def test_a_step_removes_its_fields_and_redacts_every_kept_text() -> None:
    doc = record(
        id="2026-k7qd",
        outcome=outcome("flagged", shareable_summary="Jane Doe was told by Sam.\n"),
        notes="Sam Reporter called twice.",
        retention={"hold": {"reason": "appeal by Jane", "since": "2026-08-01"}},
        disclosures=[
            {
                "on": "2026-09-01",
                "to": "Example Conf organisers",
                "what": "the summary about github:janedoe",
            }
        ],
    )
    reporter = redact.apply_step(doc, "reporter", ON)
    assert reporter.removed == ("reporter.name", "reporter.contact")
    assert set(reporter.redacted) == {"notes", "outcome.shareable_summary"}
    assert (
        reporter.doc["reporter"] == {"kind": "public"}
        and reporter.doc["subjects"] == doc["subjects"]
    )
    subjects = redact.apply_step(reporter.doc, "subjects", ON)
    assert subjects.removed == (
        "subjects[0]",
        "summary",
        "notes",
        "outcome.recommendations",
        "disclosures[0].to",
    )
    assert subjects.doc["retention"]["hold"]["reason"] == "appeal by [redacted]"
    assert subjects.doc["disclosures"] == [
        {"on": "2026-09-01", "what": "the summary about [redacted]"}
    ]
    assert subjects.doc["expunged"] == {"reporter": "2028-01-01", "subjects": "2028-01-01"}
    assert errors(subjects.doc) == [] and subjects.leftover == ()


def test_the_verify_scan_names_paths_where_a_removed_value_survives() -> None:
    doc = redact.expunge(record(outcome=outcome("resolved")), ["reporter"], ON)
    removed = redact.pii_values(record(), "reporter")
    assert redact.leftover(doc, removed) == []
    doc["event"] = "Sam's conference"
    doc["subjects"][0]["emails"].append(
        "SAM@example.org"
    )  # the other step's field, holding this step's very value
    assert redact.leftover(doc, removed) == ["event", "subjects[0].emails[1]"]


def test_check_hits_are_kept_text_only_and_an_earlier_version_shows_what_it_still_holds() -> None:
    doc = record(outcome=outcome("flagged", shareable_summary="Jane left.\n"))
    doc["action_by_committee"]["description"] = "Emailed jane@example.org."
    # the summary names Jane too, but the subjects step removes it: no reporter hit
    assert redact.general_text_hits(doc) == [
        ("subjects", "action_by_committee.description"),
        ("subjects", "outcome.shareable_summary"),
    ]
    current = redact.expunge(doc, ["reporter", "subjects"], ON)
    removed = (redact.pii_values(doc, "reporter") | redact.pii_values(doc, "subjects")).without(
        redact.held_identifiers(current)
    )
    assert redact.version_leftovers(current, ["reporter", "subjects"], removed) == []
    paths = redact.version_leftovers(doc, ["reporter", "subjects"], removed)
    assert (
        paths[:3] == ["reporter.name", "reporter.contact", "subjects[0]"]
        and "action_by_committee.description" in paths
    )
    assert not any(p.startswith("subjects[0].") for p in paths)


# -- the invariants, for any record ----------------------------------------------------------------

# Reporter values, subject values and everything else are drawn from three alphabets that stay disjoint
# when folded, joined by characters that are neither letters nor digits: a value then occurs in a text
# exactly where it was put, in one of the forms people write it (accents, case, NFD, +tags, inflections).
REPORTER_LETTERS = "qxzQXZźẑẍ"
SUBJECT_LETTERS = "jwkJWKĵŵķ"
FILLER = st.sampled_from(
    ["the", "report", "said", "on", "stage", "organisers", "met", "after", "lunch", "party"]
)
GLUE = st.sampled_from([" ", ", ", " (", ") ", "'s ", "\n", " - ", "/", ": ", "."])


def word(letters: str) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(letters), min_size=3, max_size=6)


def name(letters: str) -> st.SearchStrategy[str]:
    return st.lists(word(letters), min_size=1, max_size=3).map(" ".join)


def email(letters: str) -> st.SearchStrategy[str]:
    return st.tuples(word(letters), word(letters)).map(lambda p: f"{p[0]}@{p[1]}.org")


def subject() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": name(SUBJECT_LETTERS)},
        optional={
            "emails": st.lists(email(SUBJECT_LETTERS), min_size=1, max_size=2, unique=True),
            "usernames": st.lists(
                word(SUBJECT_LETTERS).map(lambda h: f"github:{h}"),
                min_size=1,
                max_size=2,
                unique=True,
            ),
            "urls": st.lists(
                word(SUBJECT_LETTERS).map(lambda h: f"https://{h}.org/{h}"), min_size=1, max_size=1
            ),
        },
    )


def written(value: str, name: bool) -> st.SearchStrategy[str]:
    """A value as someone might write it in a text."""
    bare = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    found = [value, value.upper(), unicodedata.normalize("NFD", value), bare]
    if "@" in value:
        local, _, domain = value.rpartition("@")
        found.append(f"{local}+coc@{domain}")
    elif name:  # possessive and inflected
        found += [f"{value}'s", f"{value}’s", f"{value}s"]
    return st.sampled_from(found)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["no-violation", "unidentified", "resolved", "flagged", "banned"]))
    subjects = draw(st.lists(subject(), min_size=0 if kind == "unidentified" else 1, max_size=3))
    private = draw(st.booleans())
    rep: dict[str, Any] = (
        {"kind": "private"} if private else {"kind": "public", "name": draw(name(REPORTER_LETTERS))}
    )
    if not private and draw(st.booleans()):
        rep["contact"] = draw(email(REPORTER_LETTERS))
    people = [
        v for s in subjects for v in redact.pii_values({"subjects": [s]}, "subjects").values
    ] + [v for k, v in rep.items() if k != "kind"]
    names = {s["name"] for s in subjects} | ({rep["name"]} if "name" in rep else set())
    piece = (
        st.one_of(FILLER, st.sampled_from(people).flatmap(lambda v: written(v, v in names)))
        if people
        else FILLER
    )

    def text() -> str:
        parts = draw(st.lists(st.tuples(piece, GLUE), min_size=1, max_size=8))
        return "".join(p + g for p, g in parts).strip() or "text"

    extra: dict[str, Any] = {"type": kind, "decided_on": "2026-07-01", "shareable_summary": text()}
    if kind in ("flagged", "banned"):
        extra["recommendations"] = text()
    if kind == "banned":
        extra["ban"] = {"until": "2027-07-01"} if draw(st.booleans()) else {"permanent": True}
    doc = record(
        id="2026-0000",
        reporter=rep,
        subjects=subjects or None,
        event=text(),
        summary=text(),
        outcome=extra,
    )
    doc["action_by_committee"] = {"taken": True, "description": text()}
    if private:
        doc["handled_by"] = "alice"
    if draw(st.booleans()):
        doc["notes"] = text()
    if draw(st.booleans()):
        doc["disclosures"] = [{"on": "2026-08-01", "to": text(), "what": text()}]
    if draw(st.booleans()):
        doc["retention"] = {
            "hold": {"reason": text(), "since": "2026-08-01"},
            "override": {"reporter": "2026-09-01", "reason": text(), "decided_on": "2026-07-02"},
        }
    return doc


STEP_SETS = st.sampled_from([("reporter",), ("subjects",), ("reporter", "subjects")])
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def removed_strings(doc: dict[str, Any], steps: tuple[StepName, ...]) -> set[str]:
    found: set[str] = set()
    for step in steps:
        values = redact.pii_values(doc, step)
        found |= set(values.values) | set(values.words)
    return found


@FAST
@given(documents(), STEP_SETS)
def test_after_expunge_no_removed_value_occurs_anywhere(
    doc: dict[str, Any], steps: tuple[StepName, ...]
) -> None:
    assert errors(doc) == []
    after = redact.expunge(doc, steps, ON)
    every_string = [fold_text(value) for _, value in redact.strings(after)]
    for value in removed_strings(doc, steps):
        assert not any(fold_text(value) in s for s in every_string)
    assert all(not result.leftover for result in redact.apply_steps(doc, steps, ON))
    assert errors(after) == []


@FAST
@given(documents(), STEP_SETS)
def test_expunge_is_idempotent(doc: dict[str, Any], steps: tuple[StepName, ...]) -> None:
    once = redact.expunge(doc, steps, ON)
    assert redact.expunge(once, steps, ON + dt.timedelta(days=30)) == once
    assert all(
        result.removed == result.redacted == () for result in redact.apply_steps(once, steps, ON)
    )


@FAST
@given(documents(), STEP_SETS)
def test_expunge_keeps_what_statistics_need(
    doc: dict[str, Any], steps: tuple[StepName, ...]
) -> None:
    after = redact.expunge(doc, steps, ON)
    for key in ("id", "reported_on", "region", "categories", "channel", "handled_by"):
        assert after.get(key) == doc.get(key)
    assert {k: after["outcome"].get(k) for k in ("type", "decided_on", "ban")} == {
        k: doc["outcome"].get(k) for k in ("type", "decided_on", "ban")
    }
    assert len(after.get("subjects", [])) == len(doc.get("subjects", []))
    assert after["action_by_committee"]["taken"] == doc["action_by_committee"]["taken"]
    assert after["reporter"]["kind"] == doc["reporter"]["kind"]
    assert after["expunged"] == {step: ON.isoformat() for step in steps}
    assert [d["on"] for d in after.get("disclosures", [])] == [
        d["on"] for d in doc.get("disclosures", [])
    ]
    if "subjects" not in steps:
        assert after.get("subjects") == doc.get("subjects")


@FAST
@given(documents(), st.sampled_from([(), ("reporter",), ("subjects",)]))
def test_check_s_one_walk_finds_what_each_step_s_values_find(
    doc: dict[str, Any], done: tuple[StepName, ...]
) -> None:
    """general_text_hits gathers both steps' values in one walk: it must warn exactly where searching
    each kept text for each step's pii_values would (a step already done removes nothing more)."""
    doc = redact.expunge(doc, done, ON) if done else doc
    kept = [(path, value) for path, value in redact.strings(doc) if redact.survives_expunge(path)]
    expected = [
        (step, redact.field_path(path))
        for step in ("reporter", "subjects")
        if (values := redact.pii_values(doc, step))  # type: ignore[arg-type]
        for path, value in kept
        if redact.occurs_in_text(value, values)
    ]
    assert redact.general_text_hits(doc) == expected


def test_what_check_keeps_of_a_record_holds_no_free_text_and_reads_as_the_same_record() -> None:
    from cocrec.model import Record

    doc = record(
        id="2026-k7qd",
        summary="Jo Doe shouted at the booth.",
        action_by_committee={"taken": True, "description": "Wrote to Jo Doe."},
        outcome=outcome("warning", shareable_summary="A warning was given."),
    )
    kept = redact.without_text(doc)
    texts = [value for path, value in redact.strings(doc) if redact.kind_of(path) == "text"]
    assert texts and all(value not in str(kept) for value in texts)
    assert {p for p, v in redact.strings(kept) if v} == {
        p for p, v in redact.strings(doc) if redact.kind_of(p) != "text"
    }
    full, lean = Record.from_doc(doc), Record.from_doc(kept)
    assert (full.id, full.reported_on, full.subjects, full.outcome.type) == (
        lean.id,
        lean.reported_on,
        lean.subjects,
        lean.outcome.type,
    )
