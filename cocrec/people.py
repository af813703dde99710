"""Who is the same person across records (SPEC section 5, rule 3): the one place that decides it.

The identifiers listed in one subject entry (emails, usernames, urls, each
normalised) belong to one person, and a person is the whole group this joins
across all records (union-find). Two records share a subject when a subject
of each belongs to the same person, or a subject of one lists the other in
`also_in`. Names alone never link: equal names only feed
`name_only_matches`, which `check` turns into a warning so that the
committee can add `also_in`. Expunged subjects have no identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .matcher import fold_name
from .model import Record, Subject

SubjectRef = tuple[str, int]
"""A subject entry: (record id, its index in `record.subjects`)."""


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_username(value: str) -> str:
    return value.strip().lower()


def normalize_url(value: str) -> str:
    return value.strip().lower().rstrip("/")


def normalize_name(value: str) -> str:
    """Folded as cocrec.matcher folds (case, accents, NFC/NFD alike), whitespace collapsed: only for
    name-only warnings and name look-ups, never for linking."""
    return fold_name(value)


_KINDS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("email", normalize_email),
    ("username", normalize_username),
    ("url", normalize_url),
)


def _tagged(kind: str, normalize: Callable[[str], str], values: Iterable[str]) -> set[str]:
    return {f"{kind}:{n}" for n in (normalize(v) for v in values) if n}


def identifiers(subject: Subject) -> frozenset[str]:
    """The subject's tagged, normalised identifiers, e.g. "email:jane@x.org", "username:github:janedoe"."""
    if subject.expunged:
        return frozenset()
    values = {"email": subject.emails, "username": subject.usernames, "url": subject.urls}
    found: set[str] = set()
    for kind, normalize in _KINDS:
        found |= _tagged(kind, normalize, values[kind])
    return frozenset(found)


def query_identifiers(query: str) -> frozenset[str]:
    """Every identifier a raw query could stand for: it may be an email, a username or a url."""
    found: set[str] = set()
    for kind, normalize in _KINDS:
        found |= _tagged(kind, normalize, [query])
    return frozenset(found)


class _UnionFind:
    """Disjoint sets of identifiers; each root is its set's smallest member, so results never depend on input order."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self._parent.setdefault(item, item)
        while self._parent[root] != root:
            root = self._parent[root]
        while item != root:
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[max(a, b)] = min(a, b)


def _group(subjects: Mapping[SubjectRef, frozenset[str]]) -> dict[SubjectRef, str]:
    """Each subject entry with identifiers, and the smallest identifier of the person it belongs to."""
    groups = _UnionFind()
    for found in subjects.values():
        if len(found) > 1:
            first, *others = found  # any order: a set's root is its smallest member
            for other in others:
                groups.union(first, other)
    return {ref: groups.find(next(iter(found))) for ref, found in subjects.items() if found}


def _record_links(
    records: Sequence[Record], members: Mapping[int, tuple[SubjectRef, ...]]
) -> dict[str, set[str]]:
    """Which records share a subject: through a person, or an `also_in` either way (known records only)."""
    known = {r.id for r in records}
    links: dict[str, set[str]] = defaultdict(set)
    for refs in members.values():
        ids = {rid for rid, _ in refs}
        for rid in ids:
            links[rid] |= ids - {rid}
    for record in records:
        for subject in record.subjects:
            for target in (t for t in subject.also_in if t in known and t != record.id):
                links[record.id].add(target)
                links[target].add(record.id)
    return links


@dataclass(frozen=True)
class PeopleIndex:
    """Same-person groups over a set of records, and the record links they make.

    A person's entries, and the entries of one name, are tuples: most hold one entry, and `check`
    builds this for every record at once (a tuple of one is a quarter of a set of one)."""

    _person: Mapping[SubjectRef, int]
    _members: Mapping[int, tuple[SubjectRef, ...]]
    _by_identifier: Mapping[str, int]
    _links: Mapping[str, frozenset[str]]
    _by_name: Mapping[str, tuple[SubjectRef, ...]]

    @classmethod
    def build(cls, records: Sequence[Record]) -> PeopleIndex:
        subjects = {(r.id, n): identifiers(s) for r in records for n, s in enumerate(r.subjects)}
        root_of = _group(subjects)
        number = {root: n for n, root in enumerate(sorted(set(root_of.values())))}
        person: dict[SubjectRef, int] = {}
        members: dict[int, list[SubjectRef]] = defaultdict(list)  # each entry once: (record, index)
        by_identifier: dict[str, int] = {}
        by_name: dict[str, list[SubjectRef]] = defaultdict(list)
        for record in records:
            for index, subject in enumerate(record.subjects):
                ref = (record.id, index)
                ids = subjects[ref]
                if ids:
                    key = number[root_of[ref]]
                    person[ref] = key
                    members[key].append(ref)
                    by_identifier.update(dict.fromkeys(ids, key))
                name = normalize_name(subject.name) if subject.name and not subject.expunged else ""
                if name:
                    by_name[name].append(ref)
        # What is built is let go as soon as its frozen copy is made: at 10,000 records, peak memory.
        del subjects, root_of
        frozen_members = {k: tuple(sorted(v)) for k, v in members.items()}
        del members
        links = _record_links(records, frozen_members)
        frozen_links = {}
        while links:
            rid, linked = links.popitem()
            frozen_links[rid] = frozenset(linked)
        return cls(
            person,
            frozen_members,
            by_identifier,
            frozen_links,
            {name: tuple(sorted(refs)) for name, refs in by_name.items()},
        )

    def person_of(self, record_id: str, subject_index: int) -> int | None:
        """The person key of a subject entry; None when it has no identifiers (it then links to nobody)."""
        return self._person.get((record_id, subject_index))

    def records_sharing_subject(self, record_id: str) -> frozenset[str]:
        """The other records that share a subject with this one (same person, or `also_in` either way)."""
        return self._links.get(record_id, frozenset())

    def shares_subject(self, first_id: str, second_id: str) -> bool:
        return second_id in self.records_sharing_subject(first_id)

    def find(self, query: str) -> frozenset[SubjectRef]:
        """Every subject entry of the person(s) a raw email, username or url belongs to."""
        keys = {
            self._by_identifier[i] for i in query_identifiers(query) if i in self._by_identifier
        }
        return frozenset(ref for key in keys for ref in self._members[key])

    def find_name(self, query: str) -> frozenset[SubjectRef]:
        """Subject entries whose normalised name equals the query's: a hint for a human, never a link."""
        return frozenset(self._by_name.get(normalize_name(query), ()))

    def name_only_matches(self) -> dict[str, tuple[str, ...]]:
        """Each record with a subject named like one in a later record (by id) with which it shares no
        subject at all: those later records, sorted. A pair of records is named once, at the first."""
        later: dict[str, set[str]] = defaultdict(set)
        for refs in self._by_name.values():
            ids = sorted({rid for rid, _ in refs})
            for n, first in enumerate(ids):
                later[first].update(b for b in ids[n + 1 :] if not self.shares_subject(first, b))
        return {rid: tuple(sorted(others)) for rid, others in sorted(later.items()) if others}
