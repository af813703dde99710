"""The one place jsonschema is used: the three schemas, and errors that quote no value.

Each validator is built once per process (reusing one is 37x faster than
`jsonschema.validate`, MEASURED.md), from JSON read through importlib.resources
so that an installed wheel validates without the source tree. A document is
first checked by a predicate compiled from the same schema (schema_fast, about
25 us instead of 500 us a record); jsonschema itself (about 0.1 s to import)
loads only for a document that predicate rejects, to find and word its errors,
so commands that meet only valid documents never import it.

jsonschema's own messages quote the offending value, and any value may be
personal data, so messages are rebuilt here from the failing keyword, its
schema value and the schema's `description` (what a value is) or
`errorMessage` (a rule stated in full, as in ajv-errors).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, cast

from . import schema_fast
from .errors import ValidationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError

Kind = Literal["record", "members", "policy", "mapping"]
KINDS: tuple[Kind, ...] = ("record", "members", "policy", "mapping")

# A key that looks like a field name may be quoted; anything else might be a value typed as a key.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")
_TYPE_NOUNS = {
    "object": "a mapping (field: value)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@functools.cache
def schema_doc(kind: Kind) -> dict[str, Any]:
    """The schema of `kind` as a dict, read from the installed package."""
    text = resources.files("cocrec").joinpath("schema", f"{kind}.schema.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@functools.cache
def validator(kind: Kind) -> Draft202012Validator:
    """The validator of `kind`, on the schema with its local references inlined.

    Following a `$ref` costs about a quarter of the validation time (the
    `referencing` library resolves it on every visit); inlining also puts each
    `description` on the very schema an error points at. The schemas are
    checked against the metaschema by the tests, not at every start (80 ms).
    """
    return validator_class()(_inlined(kind))


@functools.cache
def validator_class() -> type[Draft202012Validator]:
    """Draft 2020-12 with `pattern` as JSON Schema means it (ECMA-262: `$` only at the very end)."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError as SchemaError

    def pattern(checker: Any, regex: str, instance: Any, schema: Any) -> Iterable[SchemaError]:
        if checker.is_type(instance, "string") and not schema_fast.pattern_regex(regex).search(instance):
            yield SchemaError("does not match the pattern")  # reworded by _convert, never quoting the value

    extended: type[Draft202012Validator] = validators.extend(Draft202012Validator, {"pattern": pattern})  # type: ignore[no-untyped-call]
    return extended


@functools.cache
def fast(kind: Kind) -> Optional[schema_fast.Predicate]:
    """Whether a document of `kind` is valid, without jsonschema; None if the schema uses a keyword schema_fast lacks."""
    try:
        return schema_fast.compile_schema(_inlined(kind))
    except schema_fast.Unsupported:
        return None


@functools.cache
def _inlined(kind: Kind) -> dict[str, Any]:
    schema = schema_doc(kind)
    inlined: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    return inlined


def _passes(kind: Kind, doc: Any) -> bool:
    """True when the fast predicate accepts `doc`: jsonschema would find no error."""
    check = fast(kind)
    return check is not None and check(doc)


_ANNOTATIONS = frozenset({"description", "title", "$comment"})


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """`node` with every `#/$defs/NAME` reference replaced by its target, the referrer's keywords on top."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, Mapping):
        return node
    own = {key: _inline(value, defs) for key, value in node.items() if key not in ("$ref", "$defs")}
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return own
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"only local #/$defs/ references can be inlined, not {ref}")
    target = _inline(defs[ref[len("#/$defs/") :]], defs)
    clash = (set(target) & set(own)) - _ANNOTATIONS
    if clash:
        raise ValueError(f"{ref}: the referrer repeats {sorted(clash)}; merging would change the rule")
    return {**target, **own}


def validate(kind: Kind, doc: Any, source: str) -> None:
    """Raise the most relevant schema error of `doc`, as a ValidationError naming `source`."""
    if _passes(kind, doc):
        return
    from jsonschema.exceptions import best_match

    best = best_match(validator(kind).iter_errors(doc))
    if best is not None:
        raise _convert(best, source)[0]


def iter_errors(kind: Kind, doc: Any, source: str) -> list[ValidationError]:
    """Every schema error of `doc`, the most relevant (the one `validate` raises) first."""
    if _passes(kind, doc):
        return []
    from jsonschema.exceptions import relevance

    found = sorted(validator(kind).iter_errors(doc), key=relevance, reverse=True)
    result: list[ValidationError] = []
    seen: set[str] = set()
    for error in found:
        for converted in _convert(_descend(error), source):
            if str(converted) not in seen:
                seen.add(str(converted))
                result.append(converted)
    return result


def _descend(error: SchemaError) -> SchemaError:
    """What best_match picks inside one error (into anyOf/oneOf context)."""
    from jsonschema.exceptions import best_match

    picked = best_match([error])
    return picked if picked is not None else error


def field_path(parts: Iterable[str | int]) -> str:
    """`subjects[0].emails[1]`, `outcome.type`; empty for the document itself."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _convert(error: SchemaError, source: str) -> list[ValidationError]:
    owner, custom = _custom_message(error)
    path = list(owner.absolute_path)
    if owner.validator in ("required", "dependentRequired"):
        return [_missing(owner, source, path, name, custom) for name in _missing_names(owner)]
    if owner.validator == "additionalProperties" and custom is None:
        return [_unknown(owner, source, path, name) for name in _extra_names(owner)]
    return [ValidationError(source, field_path(path), custom or _generic(owner))]


def _custom_message(error: SchemaError) -> tuple[SchemaError, Optional[str]]:
    """The error itself, or the nearest enclosing one whose schema states the rule in full."""
    current: Optional[SchemaError] = error
    while current is not None:
        if isinstance(current.schema, Mapping) and isinstance(current.schema.get("errorMessage"), str):
            return current, str(current.schema["errorMessage"])
        # A parent is always the anyOf/oneOf-style error of the same validation run.
        current = cast(Optional["SchemaError"], current.parent)
    return error, None


def _missing_names(error: SchemaError) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    rule: Any = error.validator_value
    if error.validator == "required":
        return [str(name) for name in rule if name not in instance]
    wanted = [dep for field, deps in rule.items() if field in instance for dep in deps]
    return [str(name) for name in wanted if name not in instance]


def _missing(error: SchemaError, source: str, path: list[str | int], name: str, custom: Optional[str]) -> ValidationError:
    where = field_path([*path, name])
    if custom is not None:
        return ValidationError(source, where, custom)
    hint = _hint(_properties(error.schema).get(name, {}))
    return ValidationError(source, where, f"required ({hint}): add it" if hint else "required: add it")


def _extra_names(error: SchemaError) -> list[str]:
    known = _properties(error.schema)
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [name for name in instance if name not in known]


def _unknown(error: SchemaError, source: str, path: list[str | int], name: Any) -> ValidationError:
    allowed = ", ".join(_properties(error.schema))
    advice = f"remove it or check its spelling (allowed here: {allowed})"
    if isinstance(name, bool):
        # YAML 1.1 reads a bare on/off/yes/no key as a boolean; the field meant is likely `on`.
        return ValidationError(source, field_path(path), f"a field name that YAML reads as true or false (on, off, yes, no): quote it, like 'on': ...; {advice}")
    if isinstance(name, str) and _FIELD_NAME.match(name):
        return ValidationError(source, field_path([*path, name]), f"unknown field '{name}': {advice}")
    return ValidationError(source, field_path(path), f"a field with an unexpected name: {advice}")


def _properties(schema: Any) -> Mapping[str, Any]:
    props = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    return props if isinstance(props, Mapping) else {}


def _hint(schema: Any) -> str:
    """What a value of `schema` is, in words from the schema (never from the document)."""
    if not isinstance(schema, Mapping):
        return ""
    if isinstance(schema.get("description"), str):
        return str(schema["description"])
    if "enum" in schema:
        return "one of: " + ", ".join(_show(v) for v in schema["enum"])
    if "const" in schema:
        return _show(schema["const"])
    types = schema.get("type")
    if isinstance(types, str):
        return _TYPE_NOUNS.get(types, types)
    if isinstance(types, list):
        return " or ".join(_TYPE_NOUNS.get(t, str(t)) for t in types)
    return ""


def _show(value: Any) -> str:
    """A value from the schema, written as it would be in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _more(count: int) -> str:
    return "one" if count == 1 else "more"


_GENERIC: dict[str, Callable[[Any, Mapping[str, Any]], str]] = {
    "type": lambda value, schema: f"must be {_hint(schema) or _hint({'type': value})}",
    "enum": lambda value, schema: "must be one of: " + ", ".join(_show(v) for v in value),
    "const": lambda value, schema: f"must be {_show(value)}",
    "pattern": lambda value, schema: f"must be {_hint(schema) or 'in the expected form'}",
    "minLength": lambda value, schema: "must not be empty: write it, or remove the field",
    "maxLength": lambda value, schema: f"is too long: at most {value} characters",
    "minItems": lambda value, schema: f"needs at least {_plural(value, 'item')}: add {_more(value)}",
    "maxItems": lambda value, schema: f"allows at most {_plural(value, 'item')}: remove the rest",
    "uniqueItems": lambda value, schema: "lists the same item twice: remove the duplicate",
    "minimum": lambda value, schema: f"must be {_show(value)} or more",
    "maximum": lambda value, schema: f"must be {_show(value)} or less",
    "minProperties": lambda value, schema: f"needs at least {_plural(value, 'field')}: add {_more(value)}, or remove it",
    "maxProperties": lambda value, schema: f"allows at most {_plural(value, 'field')}: remove the rest",
    "not": lambda value, schema: "not allowed here: remove it",
    "additionalProperties": lambda value, schema: "has fields that are not allowed here: remove them",
}


def _generic(error: SchemaError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    rule = error.validator
    if isinstance(rule, str) and rule in _GENERIC:
        return _GENERIC[rule](error.validator_value, schema)
    if rule in ("anyOf", "oneOf"):
        return f"does not match any allowed form ({_hint(schema) or 'see the schema'}): fix it"
    if rule is None:
        return "not allowed here: remove it"
    return f"breaks the schema rule '{rule}': fix it"
