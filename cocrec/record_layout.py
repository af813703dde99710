"""The record's layout, read once from its schema (cocrec/schema/record.schema.json).

Every table that says something about the fields of a record is derived here, from the schema's
`x-cocrec` annotations (a keyword JSON Schema ignores), so that a new field is one edit:

- a field is a date when its schema is `{"$ref": "#/$defs/date"}`; its annotation may add
  `not_before: {field, advice}` (it never comes before that other date), `past: what` (it is the
  date of something that has happened, never after the day a member writes the record) and
  `out_of_range: advice` (what to say of a date outside dates.RANGE besides "fix the year");
- `pii` is the field's class: `structural` (ids, dates, closed vocabularies: never personal data),
  `name` or `identifier` (personal data, removed by an expunge step), or `text` (free text:
  redacted of every removed value in every form; a field nobody classified counts as text, and
  tests/test_record_layout.py refuses it);
- `removed_by: step` names the expunge step that removes the field (or, on a list, each of its
  items: `item_becomes` is what an item is replaced with, when it is replaced rather than
  deleted). What lies inside a removed field goes with it;
- the canonical key order of each kind of mapping is the order of its `properties` (a kind named
  after its `$defs` entry); a kind with two shapes (a subject: named, or `{expunged: true}`) lists
  its usual shape's (`else`) fields first, then the other's (`then`).

Shapes are field paths with "*" for every item of a list: `("subjects", "*", "emails", "*")`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, Literal, NamedTuple, cast, get_args

from .schema import schema_doc
from .vocabulary import STEPS, StepName

Shape = tuple[str, ...]
PiiClass = Literal["structural", "name", "identifier", "text"]
PII_CLASSES: tuple[PiiClass, ...] = get_args(PiiClass)
ANNOTATION = "x-cocrec"
DATE_REF = "#/$defs/date"
_DEFS = "#/$defs/"


class Field(NamedTuple):
    """One field of a record as the schema declares it, at one place (a leaf, or a mapping or list
    of them)."""

    shape: Shape
    note: Mapping[str, Any]
    is_leaf: bool
    is_date: bool
    kind: str | None = None  # the kind of mapping it holds (or its items hold), if any

    @property
    def pii(self) -> PiiClass | None:
        value = self.note.get("pii")
        return cast(PiiClass, value) if value in PII_CLASSES else None

    @property
    def removed_by(self) -> StepName | None:
        value = self.note.get("removed_by")
        return cast(StepName, value) if value in STEPS else None


class Removal(NamedTuple):
    """What one step removes at one place: the field (`becomes` None), or each item of the list,
    replaced with `becomes`."""

    shape: Shape
    step: StepName
    becomes: Any = None


def _target(
    node: Mapping[str, Any], defs: Mapping[str, Any]
) -> tuple[str | None, Mapping[str, Any]]:
    """The `$defs` name `node` refers to (None for an inline schema) and the schema it means."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS):
        name = ref[len(_DEFS) :]
        return name, {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return None, node


def _properties(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a mapping schema declares: its own, then those of its branch shapes."""
    found = dict(node.get("properties") or {})
    for branch in ("else", "then"):
        shape = node.get(branch)
        if isinstance(shape, Mapping) and "$ref" in shape:
            found.update(
                {
                    k: v
                    for k, v in _properties(_target(shape, defs)[1], defs).items()
                    if k not in found
                }
            )
    return found


def _is_mapping(node: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    return bool(_properties(node, defs))


def _walk(node: Mapping[str, Any], shape: Shape, defs: Mapping[str, Any]) -> Iterator[Field]:
    """Every field under the mapping schema `node`, in declaration order, outer before inner."""
    for name, declared in _properties(node, defs).items():
        note = declared.get(ANNOTATION) or {}
        kind, schema = _target(declared, defs)
        here = (*shape, name)
        if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
            kind, schema = _target(schema["items"], defs)
            here = (*here, "*")
        if _is_mapping(schema, defs):
            yield Field(here, note, False, False, kind)
            yield from _walk(schema, here, defs)
        else:
            yield Field(here, note, True, kind == "date")


class Layout:
    """The record's layout: its fields, and each table derived from them (a plain class, like
    Field's and Removal's named tuples: cheaper to define at start-up than a dataclass)."""

    def __init__(
        self,
        fields: tuple[Field, ...],
        key_order: Mapping[str, tuple[str, ...]],
        nested: Mapping[tuple[str, str], str],
    ) -> None:
        self.fields = fields
        self.key_order = key_order
        self.nested = nested

    @functools.cached_property
    def leaves(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_leaf)

    @functools.cached_property
    def dates(self) -> tuple[Shape, ...]:
        return tuple(f.shape for f in self.leaves if f.is_date)

    @functools.cached_property
    def date_order(self) -> tuple[tuple[Shape, Shape, str], ...]:
        """(earlier, later, advice): `later` is never before `earlier`."""
        return tuple(
            (
                tuple(f.note["not_before"]["field"].split(".")),
                f.shape,
                f.note["not_before"]["advice"],
            )
            for f in self.leaves
            if "not_before" in f.note
        )

    @functools.cached_property
    def past_dates(self) -> tuple[tuple[Shape, str], ...]:
        """(date, what it dates): never after the day a member writes the record."""
        return tuple((f.shape, f.note["past"]) for f in self.leaves if "past" in f.note)

    @functools.cached_property
    def out_of_range_advice(self) -> Mapping[Shape, str]:
        return {f.shape: f.note["out_of_range"] for f in self.leaves if "out_of_range" in f.note}

    def of_class(self, pii: PiiClass, step: StepName | None = None) -> frozenset[Shape]:
        """The leaves of class `pii` (removed by `step`, when given)."""
        return frozenset(
            f.shape
            for f in self.leaves
            if f.pii == pii and (step is None or self._step_of(f) == step)
        )

    @functools.cached_property
    def _removed(self) -> tuple[Field, ...]:
        """The fields a step removes, outer before inner."""
        return tuple(f for f in self.fields if f.removed_by)

    def _step_of(self, field: Field) -> StepName | None:
        """The step that removes `field`: its own, or that of the field it lies in."""
        for outer in self._removed:
            if field.shape[: len(outer.shape)] == outer.shape:
                return outer.removed_by
        return None

    @functools.cached_property
    def removals(self) -> Mapping[StepName, tuple[Removal, ...]]:
        """What each step removes, outermost fields only (what lies inside goes with them), top-level
        fields first: the order `expunge` lists them in."""
        found: dict[StepName, list[tuple[int, int, Removal]]] = {step: [] for step in STEPS}
        for position, f in enumerate(self.fields):
            step = f.removed_by
            if step is None or self._step_of(f) != step or self._inside_removed(f):
                continue
            depth = sum(part != "*" for part in f.shape)
            found[step].append(
                (depth, position, Removal(f.shape, step, f.note.get("item_becomes")))
            )
        return {
            step: tuple(r for _, _, r in sorted(items, key=lambda t: t[:2]))
            for step, items in found.items()
        }

    def _inside_removed(self, field: Field) -> bool:
        return any(
            outer.shape != field.shape and field.shape[: len(outer.shape)] == outer.shape
            for outer in self._removed
        )


def _kinds(
    root: Mapping[str, Any], defs: Mapping[str, Any]
) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, str], str]]:
    """Each kind of mapping's canonical key order, and which kind each field of a kind holds."""
    order: dict[str, tuple[str, ...]] = {}
    nested: dict[tuple[str, str], str] = {}
    todo: list[tuple[str, Mapping[str, Any]]] = [("record", root)]
    while todo:
        kind, node = todo.pop(0)
        if kind in order:
            continue
        fields = _properties(node, defs)
        order[kind] = tuple(fields)
        for name, declared in fields.items():
            inner, schema = _target(declared, defs)
            if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
                inner, schema = _target(schema["items"], defs)
            if inner is not None and _is_mapping(schema, defs):
                nested[(kind, name)] = inner
                todo.append((inner, schema))
    return order, nested


@functools.cache
def layout() -> Layout:
    """The record's layout (read from the schema once per process)."""
    return layout_of(schema_doc("record"))


def layout_of(root: Mapping[str, Any]) -> Layout:
    defs = root.get("$defs", {})
    order, nested = _kinds(root, defs)
    return Layout(tuple(_walk(root, (), defs)), order, nested)


NOTE_KEYS = frozenset({"pii", "removed_by", "item_becomes", "not_before", "past", "out_of_range"})
DATE_NOTES = ("not_before", "past", "out_of_range")


def problems(lay: Layout) -> list[str]:
    """What the schema's annotations leave unsaid or contradict, one line per field (empty: every
    leaf is classified)."""
    found = []
    dates = set(lay.dates)
    for f in lay.fields:
        where = ".".join(f.shape)
        if set(f.note) - NOTE_KEYS:
            found.append(f"{where}: unknown {ANNOTATION} keys {sorted(set(f.note) - NOTE_KEYS)}")
        if "removed_by" in f.note and f.removed_by is None:
            found.append(f"{where}: removed_by names no expunge step (one of {', '.join(STEPS)})")
        if not f.is_leaf:
            continue
        if f.pii is None:
            found.append(
                f"{where}: no PII class: add {ANNOTATION}: {{pii: {' | '.join(PII_CLASSES)}}}"
            )
        if f.pii in ("name", "identifier") and lay._step_of(f) is None:
            found.append(f"{where}: personal data that no step removes: add removed_by")
        if not f.is_date and any(key in f.note for key in DATE_NOTES):
            found.append(f"{where}: {', '.join(DATE_NOTES)} are for dates only")
        earlier = f.note.get("not_before", {}).get("field")
        if earlier is not None and tuple(earlier.split(".")) not in dates:
            found.append(f"{where}: not_before names {earlier}, which is not a date of the record")
    return found
