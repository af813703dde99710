"""Same person across records (SPEC section 5, rule 3). Every person here is invented."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec.model import Record, Subject
from cocrec.people import (
    PeopleIndex,
    identifiers,
    normalize_email,
    normalize_name,
    normalize_url,
    normalize_username,
    query_identifiers,
)


def rec(rid: str, *subjects: dict[str, Any], reported_on: str = "2025-01-01") -> Record:
    return Record.from_doc(
        {
            "id": rid,
            "reported_on": reported_on,
            "region": "europe",
            "reporter": {"kind": "private"},
            "handled_by": "alice",
            "subjects": list(subjects),
        }
    )


G = rec("2024-g7aa", {"name": "Jane Doe", "emails": ["jane@x.org"]})
H = rec("2025-h7aa", {"name": "J. Doe", "emails": ["Jane@X.org"], "usernames": ["github:janedoe"]})
I = rec("2026-j7aa", {"usernames": ["GitHub:JaneDoe"]})
OTHER = rec("2026-q7aa", {"name": "Jane Doe", "emails": ["another.jane@example.org"]})


def test_normalizers() -> None:
    assert normalize_email("  Jane@X.Org \n") == "jane@x.org"
    assert normalize_username(" GitHub:JaneDoe ") == "github:janedoe"
    assert normalize_url(" HTTPS://Example.org/~Jane/ ") == "https://example.org/~jane"
    assert normalize_url("https://example.org//") == "https://example.org"
    assert normalize_name("  Jane \t  DOE ") == "jane doe"


def test_identifiers_are_tagged_and_normalized() -> None:
    subject = Subject(
        name="Jane",
        emails=("Jane@X.org",),
        usernames=("GitHub:JaneDoe",),
        urls=("https://Example.org/~jane/",),
    )
    assert identifiers(subject) == {
        "email:jane@x.org",
        "username:github:janedoe",
        "url:https://example.org/~jane",
    }


def test_identifiers_skip_blank_values_and_names() -> None:
    assert identifiers(Subject(name="Jane Doe", emails=("  ",), urls=("/",))) == frozenset()


def test_expunged_subject_has_no_identifiers() -> None:
    assert identifiers(Subject(emails=("jane@x.org",), expunged=True)) == frozenset()


def test_query_identifiers_cover_every_kind() -> None:
    assert query_identifiers(" Jane@X.org ") == {
        "email:jane@x.org",
        "username:jane@x.org",
        "url:jane@x.org",
    }
    assert query_identifiers("   ") == frozenset()


def test_union_find_joins_the_worked_example() -> None:
    people = PeopleIndex.build([G, H, I])
    person = people.person_of(G.id, 0)
    assert person is not None
    assert people.person_of(H.id, 0) == person
    assert people.person_of(I.id, 0) == person
    assert people.shares_subject(G.id, I.id) and people.shares_subject(I.id, G.id)
    assert people.records_sharing_subject(G.id) == {H.id, I.id}


def test_without_the_joining_record_g_and_i_are_strangers() -> None:
    people = PeopleIndex.build([G, I])
    assert people.person_of(G.id, 0) != people.person_of(I.id, 0)
    assert not people.shares_subject(G.id, I.id)
    assert people.records_sharing_subject(G.id) == frozenset()


def test_subject_without_identifiers_links_to_nobody() -> None:
    nameless = rec("2025-n7aa", {"name": "Jane Doe"})
    people = PeopleIndex.build([G, nameless])
    assert people.person_of(nameless.id, 0) is None
    assert people.records_sharing_subject(nameless.id) == frozenset()
    assert people.person_of("2099-zzzz", 0) is None


def test_expunged_subject_links_to_nobody() -> None:
    gone = Record.from_doc(
        {
            "id": "2025-x7aa",
            "reported_on": "2025-01-01",
            "region": "europe",
            "reporter": {"kind": "private"},
            "subjects": [{"expunged": True}],
        }
    )
    people = PeopleIndex.build([G, gone])
    assert people.person_of(gone.id, 0) is None
    assert not people.shares_subject(G.id, gone.id)


def test_also_in_links_both_ways_without_identifiers() -> None:
    first = rec("2024-a7aa", {"name": "Sam"})
    second = rec(
        "2025-b7aa", {"name": "Sam Smith", "also_in": ["2024-a7aa", "2020-zzzz", "2025-b7aa"]}
    )
    people = PeopleIndex.build([first, second])
    assert people.shares_subject(first.id, second.id)
    assert people.shares_subject(second.id, first.id)
    # Links to unknown records (and to itself) are not links.
    assert people.records_sharing_subject(second.id) == {first.id}


def test_distinct_persons_in_one_record() -> None:
    both = rec("2025-b7aa", {"emails": ["jane@x.org"]}, {"emails": ["sam@example.org"]})
    people = PeopleIndex.build([both])
    assert people.person_of(both.id, 0) != people.person_of(both.id, 1)
    assert people.records_sharing_subject(both.id) == frozenset()


def test_find_by_any_identifier_returns_the_whole_person() -> None:
    people = PeopleIndex.build([G, H, I, OTHER])
    expected = {(G.id, 0), (H.id, 0), (I.id, 0)}
    assert people.find("JANE@x.org ") == expected
    assert people.find("github:JANEDOE") == expected
    assert people.find("another.jane@example.org") == {(OTHER.id, 0)}
    assert people.find("nobody@example.org") == frozenset()


def test_find_url_ignores_trailing_slash_and_case() -> None:
    people = PeopleIndex.build([rec("2025-u7aa", {"urls": ["https://example.org/~Jane"]})])
    assert people.find("HTTPS://example.org/~jane/") == {("2025-u7aa", 0)}


def test_find_name_is_a_hint_only() -> None:
    people = PeopleIndex.build([G, H, OTHER])
    assert people.find_name("  jane   DOE") == {(G.id, 0), (OTHER.id, 0)}
    assert people.find("Jane Doe") == frozenset()


def test_name_only_match_is_reported() -> None:
    people = PeopleIndex.build([G, H, I, OTHER])
    assert people.name_only_matches() == {G.id: (OTHER.id,)}


def test_name_match_with_shared_person_is_not_reported() -> None:
    same = rec("2026-s7aa", {"name": "JANE  doe", "emails": ["jane@x.org"]})
    assert PeopleIndex.build([G, same]).name_only_matches() == {}


def test_name_match_with_also_in_is_not_reported() -> None:
    linked = rec("2026-t7aa", {"name": "Jane Doe", "also_in": [G.id]})
    assert PeopleIndex.build([G, linked]).name_only_matches() == {}


def test_also_in_is_not_transitive() -> None:
    """SPEC rule 3 links the two records an also_in names, no further: the warning asks for another also_in."""
    same = rec("2026-s7aa", {"name": "Jane Doe", "emails": ["jane@x.org"]})
    linked = rec("2026-t7aa", {"name": "Jane Doe", "also_in": [G.id]})
    people = PeopleIndex.build([G, same, linked])
    assert not people.shares_subject(same.id, linked.id)
    assert people.name_only_matches() == {same.id: (linked.id,)}


def test_name_only_matches_name_each_pair_once_at_its_first_record() -> None:
    records = [
        rec(f"2025-{c}7aa", {"name": "Alex Example", "emails": [f"alex{c}@example.org"]})
        for c in "cba"
    ]
    assert PeopleIndex.build(records).name_only_matches() == {
        "2025-a7aa": ("2025-b7aa", "2025-c7aa"),
        "2025-b7aa": ("2025-c7aa",),
    }


POOL = [
    "email:jane@x.org",
    "email:sam@example.org",
    "username:github:janedoe",
    "username:gitlab:sam",
    "url:https://example.org/~a",
]


def _subject_doc(idents: Sequence[str]) -> dict[str, Any]:
    doc: dict[str, list[str]] = {"emails": [], "usernames": [], "urls": []}
    for ident in idents:
        kind, value = ident.split(":", 1)
        doc[kind + "s"].append(value.upper() if kind == "email" else value)
    return doc


subject_lists = st.lists(
    st.lists(st.lists(st.sampled_from(POOL), max_size=2), max_size=2), min_size=1, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(subject_lists, st.randoms(use_true_random=False))
def test_build_is_order_independent_and_symmetric(spec: list[list[list[str]]], random: Any) -> None:
    records = [
        rec(f"2025-a{n:03d}", *(_subject_doc(s) for s in subjects))
        for n, subjects in enumerate(spec)
    ]
    shuffled = list(records)
    random.shuffle(shuffled)
    first, second = PeopleIndex.build(records), PeopleIndex.build(shuffled)
    assert first == second
    for a in records:
        for b in records:
            assert first.shares_subject(a.id, b.id) == first.shares_subject(b.id, a.id)
            assert not first.shares_subject(a.id, a.id)
