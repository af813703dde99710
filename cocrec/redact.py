"""The expunge steps on a record document, and the scan that proves nothing removed is left (SPEC section 3).

Pure: a document in, a new document out; no I/O, no clock. Every string of a
record is one of three kinds, by where it sits:

- structural: ids, dates, closed vocabularies (region, categories, outcome
  type, member ids). Never personal data, never redacted.
- identifying: reporter.name and reporter.contact (the reporter step), each
  subject's name, emails, usernames and urls (the subjects step).
- text: every other string (event, summary, descriptions, shareable summary,
  override and hold reasons, disclosures...). A field nobody has classified
  yet is text, so a new field is redacted by default.

A step removes its identifying fields (the subjects step also removes the
summary, notes, recommendations and disclosure recipients) and redacts, in
every text that stays, each removed value in every form cocrec.matcher
finds (folded accents and case, +tag emails, inflected name words, names in
scripts without spaces), with `[redacted]`.

"Occurs" is defined once, by `cocrec.matcher.Matcher`, and used both to
redact and to verify: after a step, `leftover` searches every string of the
result with the very matcher that redacted it. Text is searched between
`[redacted]` markers, never across or inside one. Redaction repeats until
nothing changes, because removing one value can leave a neighbouring word whole.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from .matcher import MIN_ALONE, Matcher, fold_text, spellings
from .record_layout import Removal, Shape, layout
from .schema import field_path
from .validate import FieldPath, find
from .vocabulary import STEPS, StepName

Doc = dict[str, Any]
Kind = Literal["structural", "reporter", "subjects", "text"]

MIN_NAME_WORD = MIN_ALONE
_WORD = re.compile(r"[^\W\d_]+")

# Each field's class and the step that removes it are declared in the record schema
# (cocrec.record_layout); a field nobody has classified is text.
_layout = layout()
STRUCTURAL: frozenset[Shape] = _layout.of_class("structural")
IDENTIFYING: Mapping[StepName, frozenset[Shape]] = {
    step: _layout.of_class("name", step) | _layout.of_class("identifier", step) for step in STEPS
}
NAME_FIELDS: frozenset[Shape] = _layout.of_class("name")
# What each step removes: fields, or list items replaced with a marker ({expunged: true}).
REMOVALS: Mapping[StepName, tuple[Removal, ...]] = _layout.removals


# -- what is personal data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pii:
    """The values a step removes: identifiers (emails, usernames, urls, contacts) and names."""

    identifiers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.identifiers or self.names)

    def __or__(self, other: Pii) -> Pii:
        return Pii(self.identifiers | other.identifiers, self.names | other.names)

    @property
    def values(self) -> frozenset[str]:
        return self.identifiers | self.names

    @cached_property
    def words(self) -> frozenset[str]:
        """Each word of 3 or more letters of a removed name (as written; the matcher folds them)."""
        return frozenset(
            w for name in self.names for w in _WORD.findall(name) if len(w) >= MIN_NAME_WORD
        )

    @cached_property
    def _folded(self) -> frozenset[str]:
        return frozenset(s for v in self.values for s in spellings(v.strip()))

    def without(self, kept: Iterable[str]) -> Pii:
        """These values less any still legitimately held elsewhere (compared folded)."""
        folded = {s for k in kept for s in spellings(k.strip())}
        return Pii(
            frozenset(v for v in self.identifiers if not spellings(v.strip()) & folded),
            frozenset(v for v in self.names if not spellings(v.strip()) & folded),
        )

    def equals_one(self, value: str) -> bool:
        """The value is one of these (folded: case, accents, NFC or NFD alike)."""
        return bool(spellings(value.strip()) & self._folded)

    @cached_property
    def matcher(self) -> Matcher:
        """Every form of every value (cocrec.matcher): what redaction removes and verification
        looks for."""
        return Matcher(self.names, [("identifier", v) for v in self.identifiers])

    def might_occur(self, text: str) -> bool:
        """False only when no value can occur: a substring test on the folded text that spares
        compiling the matcher's pattern, which `check` and the commit-msg hook would otherwise pay
        for every record."""
        return bool(self) and self.matcher.might_occur(fold_text(text))


def identifier_forms(kind: str, value: str) -> set[str]:
    """The forms an identifier is written in text: a username's handle without its site, a url without its scheme."""
    found = {value, value.rstrip("/")}
    if kind == "usernames" and ":" in value:
        found.add(value.rsplit(":", 1)[1].lstrip("@"))
    if kind == "urls" and "://" in value:
        bare = value.split("://", 1)[1]
        found |= {bare, bare.rstrip("/")}
    return {v for v in found if v.strip()}


def pii_values(doc: Mapping[str, Any], step: StepName) -> Pii:
    """The identifying values the step removes from this document (none once the step is done)."""
    if step in (doc.get("expunged") or {}):
        return Pii()
    identifiers: set[str] = set()
    names: set[str] = set()
    for path, value in strings(doc.get(step), (step,)):  # each step's fields live under its own key
        if kind_of(path) == step:
            _add_identifying(shape_of(path), value, identifiers, names)
    return Pii(frozenset(identifiers), frozenset(names))


def _add_identifying(shape: Shape, value: str, identifiers: set[str], names: set[str]) -> None:
    """Add one identifying field's value, in the forms it is written in text."""
    if not value.strip():
        return
    if shape in NAME_FIELDS:
        names.add(value.strip())
    else:
        field = shape[2] if shape[0] == "subjects" else shape[-1]
        identifiers |= identifier_forms(field, value.strip())


# -- walking a document ---------------------------------------------------------------------------


def strings(node: Any, path: FieldPath = ()) -> list[tuple[FieldPath, str]]:
    """Every string in a document (plain dicts and lists, as loaded), with its path, in document order."""
    found: list[tuple[FieldPath, str]] = []
    if isinstance(node, str):
        found.append((path, node))
    else:
        _strings(node, path, found)
    return found


def _strings(node: Any, path: FieldPath, found: list[tuple[FieldPath, str]]) -> None:
    """Strings are taken in the loop, not by a call each: most of a record's values are strings."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                found.append(((*path, str(key)), value))
            elif isinstance(value, (dict, list)):
                _strings(value, (*path, str(key)), found)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str):
                found.append(((*path, index), item))
            elif isinstance(item, (dict, list)):
                _strings(item, (*path, index), found)


# Paths repeat from record to record: their classification is cached (`check` reads every record).
@functools.lru_cache(maxsize=4096)
def shape_of(path: FieldPath) -> Shape:
    return tuple("*" if isinstance(part, int) else part for part in path)


@functools.lru_cache(maxsize=4096)
def kind_of(path: FieldPath) -> Kind:
    shape = shape_of(path)
    if shape in STRUCTURAL:
        return "structural"
    for step in STEPS:
        if shape in IDENTIFYING[step]:
            return step
    return "text"


def _matches(shape: Shape, pattern: Shape) -> bool:
    return len(shape) >= len(pattern) and all(p == "*" or p == s for s, p in zip(shape, pattern))


@functools.lru_cache(maxsize=4096)
def survives_expunge(path: FieldPath) -> bool:
    """A text field that no step removes: it is kept forever (redacted), so it should name nobody."""
    shape = shape_of(path)
    return kind_of(path) == "text" and not any(
        _matches(shape, r.shape) for step in STEPS for r in REMOVALS[step]
    )


# -- redacting and verifying ----------------------------------------------------------------------


def redact_text(text: str, pii: Pii) -> str:
    """`text` with every occurrence of a removed value or name word replaced by [redacted], to a fixpoint."""
    if not pii.might_occur(text):
        return text
    return pii.matcher.redact(text)


def occurs_in_text(text: str, pii: Pii) -> bool:
    return pii.might_occur(text) and pii.matcher.occurs(text)


def leftover(doc: Mapping[str, Any], pii: Pii) -> list[str]:
    """Field paths where a removed value still occurs: in text, anywhere; in an identifying field still
    held (the other step's), as that very value. Empty means the step left nothing behind."""
    if not pii:
        return []
    found = []
    for path, value in strings(doc):
        kind = kind_of(path)
        if kind == "structural":
            continue
        hit = occurs_in_text(value, pii) if kind == "text" else pii.equals_one(value)
        if hit:
            found.append(field_path(path))
    return found


def general_text_hits(doc: Mapping[str, Any]) -> list[tuple[StepName, str]]:
    """(step, field path) of each text field that survives expunge and names people that step removes
    (what `check` warns about). `pii_values` of both steps, found in the same one walk of the document."""
    return text_scan(doc)[0]


def text_scan(doc: Mapping[str, Any]) -> tuple[list[tuple[StepName, str]], tuple[Matcher, ...]]:
    """`general_text_hits`, and a matcher of the values each step still to come removes: a text none
    of them `might_occur` in names none of the record's people."""
    expunged = doc.get("expunged") or {}
    found: dict[StepName, tuple[set[str], set[str]]] = {
        step: (set(), set()) for step in STEPS if step not in expunged
    }
    kept = []
    for path, value in strings(doc):
        kind = kind_of(path)
        if kind == "text":
            if survives_expunge(path):
                kept.append((path, value))
        elif kind in found:
            _add_identifying(shape_of(path), value, *found[kind])
    by_step = [
        (step, pii)
        for step, (identifiers, names) in found.items()
        if (pii := Pii(frozenset(identifiers), frozenset(names)))
    ]
    if not by_step:
        return [], ()
    # Most records name nobody in the kept text: one test of all of it, not one per field.
    everything = fold_text("\n".join(value for _, value in kept))
    hits = [
        (step, field_path(path))
        for step, pii in by_step
        if pii.matcher.might_occur(everything)
        for path, value in kept
        if occurs_in_text(value, pii)
    ]
    return hits, tuple(pii.matcher for _, pii in by_step)


def without_text(node: Any, path: FieldPath = ()) -> Any:
    """The document with every free-text value emptied: what `check` keeps of a record once its text
    has been scanned (ids, dates, names and identifiers stay), so that neither memory nor a worker's
    result holds the summaries of every record at once."""
    if isinstance(node, dict):
        return {
            key: ""
            if isinstance(value, str) and kind_of((*path, str(key))) == "text"
            else without_text(value, (*path, str(key)))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            ""
            if isinstance(item, str) and kind_of((*path, index)) == "text"
            else without_text(item, (*path, index))
            for index, item in enumerate(node)
        ]
    return node


def removed_fields(doc: Mapping[str, Any], step: StepName) -> list[str]:
    """The field paths the step removes from this document, as it stands."""
    return [field_path(path) for removal in REMOVALS[step] for path, _ in _removable(doc, removal)]


def _removable(doc: Any, removal: Removal) -> list[tuple[FieldPath, Any]]:
    """What `removal` removes here: each field it names, or each list item not yet replaced."""
    return [(path, value) for path, value in find(doc, removal.shape) if value != removal.becomes]


# -- the steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """One step applied: the new document, what was removed and what was redacted (paths, never values)."""

    step: StepName
    doc: Doc
    removed: tuple[str, ...] = ()
    redacted: tuple[str, ...] = ()
    leftover: tuple[str, ...] = ()


def apply_step(doc: Mapping[str, Any], step: StepName, on: dt.date) -> StepResult:
    """The record after one expunge step, marked `expunged.<step>: on`. A step already done changes nothing."""
    result: Doc = copy.deepcopy(dict(doc))
    if step in (doc.get("expunged") or {}):
        return StepResult(step, result)
    pii = pii_values(doc, step)
    removed = removed_fields(doc, step)
    _remove(result, step)
    redacted = _redact_texts(result, pii)
    result["expunged"] = {**(result.get("expunged") or {}), step: on.isoformat()}
    return StepResult(step, result, tuple(removed), tuple(redacted), tuple(leftover(result, pii)))


def apply_steps(doc: Mapping[str, Any], steps: Iterable[StepName], on: dt.date) -> list[StepResult]:
    """Several steps in SPEC order (reporter, then subjects), each on the previous one's result."""
    results: list[StepResult] = []
    current: Mapping[str, Any] = doc
    for step in (s for s in STEPS if s in set(steps)):
        results.append(apply_step(current, step, on))
        current = results[-1].doc
    return results


def expunge(doc: Mapping[str, Any], steps: Iterable[StepName], on: dt.date) -> Doc:
    """The document after the steps (a copy of it when there are none)."""
    results = apply_steps(doc, steps, on)
    return results[-1].doc if results else copy.deepcopy(dict(doc))


def _remove(doc: Doc, step: StepName) -> None:
    for removal in REMOVALS[step]:
        for path, _ in reversed(_removable(doc, removal)):  # last first: list positions stay true
            parent = _at(doc, path[:-1])
            if removal.becomes is not None:
                parent[path[-1]] = copy.deepcopy(removal.becomes)
            elif isinstance(parent, dict):
                parent.pop(path[-1], None)


def _redact_texts(doc: Doc, pii: Pii) -> list[str]:
    changed = []
    for path, value in list(strings(doc)):
        if kind_of(path) != "text":
            continue
        redacted = redact_text(value, pii)
        if redacted != value:
            _set(doc, path, redacted)
            changed.append(field_path(path))
    return changed


def _set(doc: Any, path: FieldPath, value: str) -> None:
    _at(doc, path[:-1])[path[-1]] = value


def _at(doc: Any, path: FieldPath) -> Any:
    node = doc
    for part in path:
        node = node[part]
    return node


# -- history ----------------------------------------------------------------------------------------


def version_leftovers(old: Mapping[str, Any], steps: Iterable[StepName], removed: Pii) -> list[str]:
    """Where an earlier version of a record still holds what the current one lost: the fields of each
    expunged step it still has, and every text or identifying field holding one of `removed`."""
    paths: list[str] = []
    for step in steps:
        paths += removed_fields(old, step) if step not in (old.get("expunged") or {}) else []
    return paths + [path for path in leftover(old, removed) if not _within(path, paths)]


def _within(path: str, parents: Sequence[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in parents)


def held_identifiers(doc: Mapping[str, Any]) -> list[str]:
    """Every identifying value a document still holds (whatever its step)."""
    return [value for path, value in strings(doc) if kind_of(path) in STEPS]
