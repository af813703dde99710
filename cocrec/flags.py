"""Who is flagged or banned now, and does a query (a name, email, username or url) match one of them.

Pure: records and their retention schedules in, matches out. Shared by
`cocrec lookup` and `cocrec screen`, so that both answer the same way.

A subject entry is *flagging* while its record's outcome is flagged or banned,
the entry is not expunged, and the record's subjects step is neither done nor
past its date (due or overdue, unless held): data whose time is up is not
used, it waits for `cocrec expunge`. A temporary ban that has ended still
counts, shown as ended: the policy keeps such a record for 26 months after
the ban so that organisers can be told, like a flag. A person only in
resolved, no-violation, unidentified or open records is never flagging.

Matching goes through `people.PeopleIndex` (the one place that decides "same
person"): an email, username or url matches every entry of the person it
belongs to, across records, and an explicit `also_in` carries the match into
the linked record. Names never link people; a name only gives a weaker,
fuzzy match for a human to confirm.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .anonymise import pii_of, redact
from .model import Record
from .people import PeopleIndex, SubjectRef, identifiers, normalize_name, query_identifiers
from .policy import Policy
from .redact import Pii
from .retention import RecordSchedule, schedule

FlagStatus = Literal["flagged", "banned"]
NAME_THRESHOLD = 0.8
"""How similar (difflib ratio, 0..1) a name must be to count as a weaker match."""
PAST_RETENTION = frozenset({"done", "due", "overdue"})
_EMAIL_IN_TEXT = re.compile(r"[^\s<>(),;\"']+@[^\s<>(),;\"']+")


@dataclass(frozen=True)
class Match:
    """One flagging subject entry that a query matched."""

    record_id: str
    subject_index: int
    status: FlagStatus
    decided_on: dt.date
    ban_until: dt.date | None
    ban_permanent: bool
    ban_ended: bool
    recommendations: str | None
    shareable_summary: str | None
    matched_by: str
    """"email", "username", "url" (possibly several, joined by "+"), "also_in", or "name"."""
    strong: bool
    """False for a name match: a hint to confirm, not an identification."""
    similarity: float = 1.0

    @property
    def until(self) -> str | None:
        """The ban's end as shown: a date, "permanent", or None for a flag."""
        if self.status != "banned":
            return None
        return (
            "permanent"
            if self.ban_permanent
            else (self.ban_until.isoformat() if self.ban_until else None)
        )

    @property
    def status_text(self) -> str:
        if self.status == "flagged":
            return "flagged"
        if self.ban_permanent:
            return "banned permanently"
        text = f"banned until {self.until}"
        return f"{text} (ended)" if self.ban_ended else text

    @property
    def match_text(self) -> str:
        return (
            self.matched_by
            if self.strong
            else f"name, weaker ({round(self.similarity * 100)}% similar): confirm before acting"
        )


def is_flagging(record: Record, schedule: RecordSchedule | None) -> bool:
    """Flagged or banned, and the subjects' data is still to be kept (see the module docstring)."""
    if (
        record.outcome is None
        or record.outcome.type not in ("flagged", "banned")
        or "subjects" in record.expunged
    ):
        return False
    steps = schedule.steps if schedule is not None else None
    return not (steps is not None and steps["subjects"].state in PAST_RETENTION)


def _forms(name: str) -> tuple[str, str]:
    """A name normalised, as written and with its words sorted ("Doe, Jane" = "Jane Doe")."""
    plain = normalize_name(name)
    return plain, " ".join(sorted(re.findall(r"\w+", plain)))


def _ratio(matcher: difflib.SequenceMatcher[str], text: str, threshold: float) -> float:
    """difflib's ratio, or 0.0 as soon as its cheap upper bounds fall below the threshold."""
    matcher.set_seq1(text)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


def _tokens(text: str) -> list[tuple[str, int]]:
    """Each character with its occurrence number ("anna": a1, n1, n2, a2): two strings share as many
    of these as difflib's quick_ratio counts matches (the size of their characters' multiset
    intersection)."""
    seen: dict[str, int] = {}
    tokens = []
    for char in text:
        seen[char] = seen.get(char, 0) + 1
        tokens.append((char, seen[char]))
    return tokens


class _Column:
    """One form of every distinct name (as written, or its words sorted), sorted by length, with a
    bitmap per token over them (bit j: the j-th name has that token): the names whose quick_ratio
    with a query can reach a threshold are then found for all names at once, with integer
    operations, and only those are compared."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names), key=lambda name: (len(name), name))
        self.lengths = [len(name) for name in self.names]
        self.bitmaps: dict[tuple[str, int], int] = defaultdict(int)
        for j, name in enumerate(self.names):
            for token in _tokens(name):
                self.bitmaps[token] |= 1 << j

    def candidates(self, query: str, threshold: float) -> list[str]:
        """The names of a length difflib's real_quick_ratio allows whose quick_ratio with `query`
        reaches `threshold`: exactly those `_ratio` would not cut short at its cheap bounds."""
        low, high = _length_range(len(query), threshold)
        start, stop = bisect.bisect_left(self.lengths, low), bisect.bisect_right(self.lengths, high)
        if start >= stop:
            return []
        counts = _bit_sliced_counts([self.bitmaps.get(token, 0) for token in _tokens(query)])
        wanted = 0
        reaching: dict[int, int] = {}  # shared tokens needed -> the names with at least that many
        j = start
        while j < stop:  # each run of names of one length needs one count of shared tokens
            length = self.lengths[j]
            end = bisect.bisect_right(self.lengths, length, j, stop)
            if not _length_allows(len(query), length, threshold):
                j = end
                continue
            need = _matches_needed(len(query) + length, threshold)
            if need not in reaching:
                reaching[need] = _at_least(counts, need)
            wanted |= reaching[need] & (((1 << end) - 1) ^ ((1 << j) - 1))
            j = end
        found = []
        while wanted:
            low_bit = wanted & -wanted
            found.append(self.names[low_bit.bit_length() - 1])
            wanted ^= low_bit
        return found


@functools.lru_cache(maxsize=4096)
def _matches_needed(total: int, threshold: float) -> int:
    """The fewest matching characters for which difflib's ratio of strings of `total` characters
    is not below the threshold (difflib's own float expression, so no rounding differs)."""
    if total == 0:
        return 0  # difflib calls two empty strings the same
    need = max(0, int(threshold * total / 2) - 1)
    while need <= total and 2.0 * need / total < threshold:
        need += 1
    return need


def _bit_sliced_counts(bitmaps: Sequence[int]) -> list[int]:
    """Per bit position, how many of `bitmaps` have it set, as binary digits across integers
    (counts[i] holds bit i of every position's count)."""
    counts: list[int] = []
    for carry in bitmaps:
        i = 0
        while carry:
            if i == len(counts):
                counts.append(carry)
                break
            counts[i], carry = counts[i] ^ carry, counts[i] & carry
            i += 1
    return counts


def _at_least(counts: Sequence[int], need: int) -> int:
    """The positions whose count (bit-sliced, as `_bit_sliced_counts` gives) is at least `need`."""
    if need <= 0:
        return -1
    if need >= 1 << len(counts):
        return 0
    greater, equal = 0, -1
    for i in reversed(range(len(counts))):
        if need >> i & 1:
            equal &= counts[i]
        else:
            greater |= equal & counts[i]
            equal &= ~counts[i]
    return greater | equal


class NameMatcher:
    """Fuzzy name look-up over subject entries (difflib, with the query's analysis reused for every name).

    Screening a list compares every cell with every flagging name, so: a query already asked is
    answered from memory (lists repeat names), each distinct name is compared once, and only the
    names whose cheap bounds (length, then shared characters, worked out for all names at once by
    `_Column`) can reach the threshold are compared at all.
    """

    def __init__(self, entries: Iterable[tuple[SubjectRef, str]]) -> None:
        named = [(ref, _forms(name)) for ref, name in entries if normalize_name(name)]
        self._refs: list[dict[str, list[SubjectRef]]] = [defaultdict(list), defaultdict(list)]
        for ref, forms in named:
            for i in (0, 1):
                self._refs[i][forms[i]].append(ref)
        self._columns = [_Column(refs) for refs in self._refs]
        self._memo: dict[tuple[str, float], dict[SubjectRef, float]] = {}

    def similar(self, query: str, threshold: float = NAME_THRESHOLD) -> dict[SubjectRef, float]:
        key = (query, threshold)
        if key not in self._memo:
            self._memo[key] = self._similar(query, threshold)
        return dict(self._memo[key])

    def _similar(self, query: str, threshold: float) -> dict[SubjectRef, float]:
        forms = _forms(query)
        if not forms[0]:
            return {}
        found: dict[SubjectRef, float] = {}
        for form, column, refs in zip(forms, self._columns, self._refs):
            names = column.candidates(form, threshold)
            if not names:
                continue
            matcher = difflib.SequenceMatcher(None, "", form)
            for name in names:
                score = _ratio(matcher, name, threshold)
                if score < threshold:
                    continue
                for ref in refs[name]:
                    if score > found.get(ref, -1.0):
                        found[ref] = score
        return found


def _length_range(length: int, threshold: float) -> tuple[float, float]:
    """Lengths a name may have to reach `threshold` with a query of `length` characters, with a
    character's slack each side (the exact test is `_length_allows`)."""
    if threshold <= 0:
        return 0, float("inf")
    factor = threshold / (2 - threshold)  # 2·min/(min+max) >= t  <=>  min/max >= t/(2-t)
    return length * factor - 1, length / factor + 1


def _length_allows(length: int, other: int, threshold: float) -> bool:
    """difflib's real_quick_ratio bound, in its own float expression: whether strings of these
    lengths can reach the threshold at all."""
    total = length + other
    return total == 0 or 2.0 * min(length, other) / total >= threshold


def name_similarity(query: str, name: str) -> float:
    """difflib's ratio of the normalised names, in their order or with words sorted ("Doe, Jane")."""
    return NameMatcher([(("", 0), name)]).similar(query, 0.0).get(("", 0), 0.0)


class Persons:
    """Records with who is the same person in them: `people.PeopleIndex`, plus explicit `also_in` links between entries."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = {r.id: r for r in records}
        self.people = PeopleIndex.build(records)
        self.known = frozenset(i for r in records for s in r.subjects for i in identifiers(s))
        self._listing: dict[str, list[SubjectRef]] = defaultdict(list)
        for record in records:
            for index, subject in enumerate(record.subjects):
                for target in subject.also_in:
                    if not subject.expunged:
                        self._listing[target].append((record.id, index))

    def linked(self, ref: SubjectRef) -> set[SubjectRef]:
        """Entries an explicit also_in makes the same person as `ref`.

        Forward: in a record this entry lists, the entry listing us back, else that record's only entry.
        Backward: an entry listing this record, when this entry is the record's only one.
        """
        rid, index = ref
        found: set[SubjectRef] = set()
        for target_id in self.records[rid].subjects[index].also_in:
            target = self.records.get(target_id)
            if target is not None:
                live = _live_entries(target)
                back = [i for i in live if rid in target.subjects[i].also_in]
                found |= {(target_id, i) for i in back or (live if len(live) == 1 else [])}
        if _live_entries(self.records[rid]) == [index]:
            found.update(self._listing.get(rid, ()))
        return found

    def entries(self, query: str) -> dict[SubjectRef, str]:
        """Every subject entry of the person an email, username or url names, with the kind(s) of identifier that matched."""
        matched: dict[SubjectRef, str] = {}
        for candidate in [query, *(_EMAIL_IN_TEXT.findall(query) if "<" in query else [])]:
            kinds = "+".join(
                sorted(tag.partition(":")[0] for tag in query_identifiers(candidate) & self.known)
            )
            for ref in self.people.find(candidate):
                matched.setdefault(ref, kinds or "identifier")
        todo = list(matched)
        while todo:
            for linked in self.linked(todo.pop()):
                if linked not in matched:
                    matched[linked] = "also_in"
                    todo.append(linked)
        return matched


def _live_entries(record: Record) -> list[int]:
    return [i for i, s in enumerate(record.subjects) if not s.expunged]


class FlagIndex:
    """Every record, who is the same person, and which records flag someone as of a date."""

    def __init__(self, records: Sequence[Record], schedules: Mapping[str, RecordSchedule]) -> None:
        self.persons = Persons(records)
        self.records = self.persons.records
        self.flagging = frozenset(r.id for r in records if is_flagging(r, schedules.get(r.id)))
        self.names = NameMatcher(
            ((rid, i), str(subject.name))
            for rid in sorted(self.flagging)
            for i, subject in enumerate(self.records[rid].subjects)
            if subject.name and not subject.expunged
        )
        self._cleaned: dict[SubjectRef, tuple[str | None, str | None]] = {}
        self.past_retention = frozenset(
            r.id
            for r in records
            if r.outcome is not None
            and r.outcome.type in ("flagged", "banned")
            and r.id not in self.flagging
        )

    @classmethod
    def as_of(cls, records: Sequence[Record], policy: Policy, as_of: dt.date) -> FlagIndex:
        """Who is flagged or banned as of `as_of` (what `lookup` and `screen` ask of the records)."""
        return cls(records, schedule(records, policy, as_of))

    def match(self, query: str, as_of: dt.date, names: bool = True) -> list[Match]:
        """Flagging entries matching the query: identifier matches first, then (if `names`) weaker name matches."""
        query = query.strip()
        if not query:
            return []
        strong = self.persons.entries(query)
        found = [
            self._match(ref, how, True, 1.0, as_of)
            for ref, how in strong.items()
            if self._live(ref)
        ]
        if names:
            weak = self.names.similar(query)
            found += [
                self._match(ref, "name", False, score, as_of)
                for ref, score in weak.items()
                if ref not in strong and self._live(ref)
            ]
        return sorted(
            found, key=lambda m: (not m.strong, -m.similarity, m.record_id, m.subject_index)
        )

    def past_retention_matches(self, query: str) -> list[str]:
        """Ids of flagged or banned records the query's identifiers match but whose data is past its date."""
        refs = self.persons.entries(query.strip()) if query.strip() else {}
        return sorted({rid for rid, _ in refs if rid in self.past_retention})

    def _live(self, ref: SubjectRef) -> bool:
        return ref[0] in self.flagging and not self.records[ref[0]].subjects[ref[1]].expunged

    def _shareable(self, ref: SubjectRef) -> tuple[str | None, str | None]:
        """The entry's recommendations and shareable summary with everyone else in its record
        redacted: worked out once per entry (a list names the same person on many rows)."""
        if ref not in self._cleaned:
            record = self.records[ref[0]]
            assert record.outcome is not None
            hide, keep = others_pii(record, ref[1]), pii_of([record.subjects[ref[1]]])
            self._cleaned[ref] = (
                _clean(record.outcome.recommendations, hide, keep),
                _clean(record.outcome.shareable_summary, hide, keep),
            )
        return self._cleaned[ref]

    def _match(
        self, ref: SubjectRef, how: str, strong: bool, score: float, as_of: dt.date
    ) -> Match:
        record = self.records[ref[0]]
        outcome = record.outcome
        assert outcome is not None and outcome.type in ("flagged", "banned")
        status: FlagStatus = "banned" if outcome.type == "banned" else "flagged"
        ended = (
            outcome.ban_until is not None
            and not outcome.ban_permanent
            and outcome.ban_until < as_of
        )
        recommendations, shareable_summary = self._shareable(ref)
        return Match(
            record_id=record.id,
            subject_index=ref[1],
            status=status,
            decided_on=outcome.decided_on,
            ban_until=outcome.ban_until,
            ban_permanent=outcome.ban_permanent,
            ban_ended=ended,
            recommendations=recommendations,
            shareable_summary=shareable_summary,
            matched_by=how,
            strong=strong,
            similarity=score,
        )


def others_pii(record: Record, index: int) -> Pii:
    """The reporter's and every other subject's identifying values in a record."""
    return pii_of([s for i, s in enumerate(record.subjects) if i != index], record.reporter)


def _clean(text: str | None, hide: Pii, keep: Pii) -> str | None:
    return redact(text, hide, keep).strip() if text else None


def match_json(match: Match) -> dict[str, object]:
    """One match as `lookup`/`screen --format json` print it: nothing about the reporter, no confidential summary."""
    return {
        "id": match.record_id,
        "status": match.status,
        "until": match.until,
        "ban_ended": match.ban_ended,
        "decided_on": match.decided_on.isoformat(),
        "matched_by": match.matched_by,
        "strong": match.strong,
        "similarity": round(match.similarity, 2),
        "recommendations": match.recommendations,
        "shareable_summary": match.shareable_summary,
    }


def match_lines(match: Match, indent: str = "  ") -> list[str]:
    """One match as text: a heading line, then what may be shared."""
    lines = [
        f"{match.record_id}  {match.status_text}  (matched by {match.match_text})",
        f"{indent}decided on: {match.decided_on.isoformat()}",
    ]
    for label, text in (
        ("recommendations", match.recommendations),
        ("shareable summary", match.shareable_summary),
    ):
        lines.append(f"{indent}{label}: " + (" ".join(text.split()) if text else "-"))
    return lines
