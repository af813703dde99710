"""The one place JSON Schema is used (jsonschema-rs): the four schemas, errors that quote no value.

Each validator is built once per process, from JSON read through importlib.resources so that an
installed wheel validates without the source tree, on the schema with its local references inlined
(each `description` then sits on the very subschema an error points at).

Patterns mean what they meant to cocrec from the start: `$` matches only at the very end (as in
ECMA-262, so `^\\S+$` refuses "github:jane\\n"), and `\\s` is whitespace as Python's `str.isspace`
has it, which also counts U+001C-U+001F and NEL (U+0085, a line break to YAML) and not U+FEFF.
`_portable` spells each `\\s` and `\\S` out as that class, so the regex engine's own idea of
whitespace never decides.

The library's messages quote the offending value, and any value may be personal data, so messages
are worded here from each error's keyword, its place in the schema and the document, and the
schema's `description` (what a value is) or `errorMessage` (a rule stated in full, as in
ajv-errors). Errors come most relevant first, ranked as the jsonschema library's `best_match`
ranks them (cocrec used it before jsonschema-rs: messages keep their order).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from .errors import ValidationError

if TYPE_CHECKING:
    from jsonschema_rs import ValidationError as SchemaError
    from jsonschema_rs import Validator

Kind = Literal["record", "members", "policy", "mapping"]
KINDS: tuple[Kind, ...] = ("record", "members", "policy", "mapping")
Path = tuple[Any, ...]  # where in a document or a schema: field names and list positions

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
# A failed choice says less than a failed rule at the same place.
_WEAK = frozenset({"anyOf", "oneOf"})


@functools.cache
def schema_doc(kind: Kind) -> dict[str, Any]:
    """The schema of `kind` as a dict, read from the installed package."""
    text = (
        resources.files("cocrec")
        .joinpath("schema", f"{kind}.schema.json")
        .read_text(encoding="utf-8")
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


@functools.cache
def inlined(kind: Kind) -> dict[str, Any]:
    """The schema of `kind` with every local reference replaced by its target."""
    schema = schema_doc(kind)
    result: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    return result


@functools.cache
def validator(kind: Kind) -> Validator:
    """The validator of `kind` (built once: the schema is compiled)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_portable(inlined(kind)))


_ANNOTATIONS = frozenset({"description", "title", "$comment", "x-cocrec"})


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """`node` with every `#/$defs/NAME` reference replaced by its target, the referrer's keywords
    on top."""
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
        raise ValueError(
            f"{ref}: the referrer repeats {sorted(clash)}; merging would change the rule"
        )
    return {**target, **own}


# -- patterns -----------------------------------------------------------------------------------

# Python's whitespace (str.isspace), as escapes every regex engine reads alike (a test holds it to
# str.isspace over all of Unicode).
WHITESPACE = r"\t\n\x0B\x0C\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"


def portable_pattern(pattern: str) -> str:
    """`pattern` with each `\\s` and `\\S` written out as Python's whitespace (in classes too)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if escape == "s":
                out.append(WHITESPACE if in_class else f"[{WHITESPACE}]")
            elif escape == "S" and not in_class:
                out.append(f"[^{WHITESPACE}]")
            elif escape == "S":
                raise ValueError(
                    f"{pattern}: \\S inside a character class cannot be written out; use [^\\s...]"
                )
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _portable(node: Any) -> Any:
    if isinstance(node, list):
        return [_portable(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    return {
        key: portable_pattern(value)
        if key == "pattern" and isinstance(value, str)
        else _portable(value)
        for key, value in node.items()
    }


# -- validating -----------------------------------------------------------------------------------


def validate(kind: Kind, doc: Any, source: str) -> None:
    """Raise the most relevant schema error of `doc`, as a ValidationError naming `source`."""
    errors = iter_errors(kind, doc, source)
    if errors:
        raise errors[0]


def iter_errors(kind: Kind, doc: Any, source: str) -> list[ValidationError]:
    """Every schema error of `doc`, the most relevant (the one `validate` raises) first."""
    check = validator(kind)
    try:
        if check.is_valid(doc):
            return []
    except ValueError:  # a field name YAML read as a number, true/false or null: JSON has none
        pass
    keys = _Keys()
    errors = list(check.iter_errors(keys.as_text(doc)))
    schema = inlined(kind)
    found = [_Error(error, schema, keys) for error in errors]
    found.sort(key=lambda e: e.order)  # where jsonschema would have met it: breaks ties below
    found.sort(key=lambda e: e.relevance, reverse=True)
    result: list[ValidationError] = []
    seen: set[str] = set()
    for error in found:
        for converted in error.convert(source):
            if str(converted) not in seen:
                seen.add(str(converted))
                result.append(converted)
    return result


class _Keys:
    """Field names the library cannot place, each stood in for by a text no schema names while it
    finds the errors, and given back in messages: names that are not text (YAML reads `1:`, `true:`
    and `null:` so; JSON has no such names) and the empty name (left out of its error paths)."""

    PREFIX = "\x00cocrec-key-"

    def __init__(self) -> None:
        self.originals: dict[str, Any] = {}

    def as_text(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.as_text(item) for item in node]
        if isinstance(node, Mapping):
            return {self._text(key): self.as_text(value) for key, value in node.items()}
        return node

    def _text(self, key: Any) -> str:
        if isinstance(key, str) and key and not key.startswith(self.PREFIX):
            return key
        stand_in = f"{self.PREFIX}{len(self.originals)}"
        self.originals[stand_in] = key
        return stand_in

    def original(self, key: Any) -> Any:
        return self.originals.get(key, key) if isinstance(key, str) else key


def _walk(schema: Any, path: Iterable[Any]) -> Any:
    for step in path:
        schema = schema[step]
    return schema


def _document_order(schema: Any, path: Path) -> tuple[int, ...]:
    """Where the keyword at `path` stands in the schema as written: jsonschema applies the keywords
    of a subschema in that order (`then` and `else` where their `if` stands)."""
    order = []
    node = schema
    for step in path:
        if isinstance(node, list):
            order.append(int(step))
        elif isinstance(node, Mapping):
            keys = list(node)
            order.append(
                keys.index("if") if step in ("then", "else") and "if" in node else keys.index(step)
            )
        node = node[step]
    return tuple(order)


def _is_type(instance: Any, name: str) -> bool:
    """The JSON Schema types of a Python value as jsonschema told them (1.0 is an integer)."""
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return False
    return name == "number" or isinstance(instance, int) or instance.is_integer()


class _Error:
    """One error of the library, placed: its keyword, the subschema holding it, the part of the
    document."""

    def __init__(self, error: SchemaError, schema: Mapping[str, Any], keys: _Keys) -> None:
        where = tuple(error.schema_path)
        false = error.kind.name == "falseSchema"
        # The keyword (None: the subschema is `false`, nothing is allowed there) and the subschema
        # holding it.
        self.keyword: str | None = None if false else str(where[-1])
        self.owner: Any = _walk(schema, where if false else where[:-1])
        self.order = _document_order(schema, where)
        original = [keys.original(part) for part in error.instance_path]
        # A `null:` field is not named (jsonschema left it out of its paths); every other name is.
        self.path: Path = tuple(part for part in original if part is not None)
        self.instance: Any = error.instance
        self._keys = keys
        self._where = tuple(  # as the library saw it, every field name a text: they sort
            part for part, was in zip(error.instance_path, original) if was is not None
        )

    @property
    def relevance(self) -> tuple[Any, ...]:
        """jsonschema's `relevance`: higher in the document first, then a rule before a failed
        choice, then an error whose subschema's type the value has not."""
        return (
            -len(self._where),
            self._where,
            self.keyword not in _WEAK,
            False,
            not self._matches_type(),
        )

    def _matches_type(self) -> bool:
        types = self.owner.get("type") if isinstance(self.owner, Mapping) else None
        if types is None:
            return False
        return any(
            _is_type(self.instance, name) for name in ([types] if isinstance(types, str) else types)
        )

    def convert(self, source: str) -> list[ValidationError]:
        custom = self.owner.get("errorMessage") if isinstance(self.owner, Mapping) else None
        custom = custom if isinstance(custom, str) else None
        if self.keyword in ("required", "dependentRequired"):
            return [self._missing(source, name, custom) for name in self._missing_names()]
        if self.keyword == "additionalProperties" and custom is None:
            return [self._unknown(source, name) for name in self._extra_names()]
        return [ValidationError(source, field_path(self.path), custom or self._generic())]

    def _fields(self) -> Mapping[Any, Any]:
        return self.instance if isinstance(self.instance, Mapping) else {}

    def _missing_names(self) -> list[str]:
        rule: Any = self.owner[self.keyword]
        instance = self._fields()
        if self.keyword == "required":
            return [str(name) for name in rule if name not in instance]
        wanted = [dep for field, deps in rule.items() if field in instance for dep in deps]
        return [str(name) for name in wanted if name not in instance]

    def _missing(self, source: str, name: str, custom: str | None) -> ValidationError:
        where = field_path([*self.path, name])
        if custom is not None:
            return ValidationError(source, where, custom)
        hint = _hint(_properties(self.owner).get(name, {}))
        return ValidationError(
            source, where, f"required ({hint}): add it" if hint else "required: add it"
        )

    def _extra_names(self) -> list[Any]:
        known = _properties(self.owner)
        return [self._keys.original(name) for name in self._fields() if name not in known]

    def _unknown(self, source: str, name: Any) -> ValidationError:
        allowed = ", ".join(_properties(self.owner))
        advice = f"remove it or check its spelling (allowed here: {allowed})"
        if isinstance(name, bool):
            # YAML 1.1 reads a bare on/off/yes/no key as a boolean; the field meant is likely `on`.
            said = (
                "a field name that YAML reads as true or false (on, off, yes, no): quote it, "
                f"like 'on': ...; {advice}"
            )
            return ValidationError(source, field_path(self.path), said)
        if isinstance(name, str) and _FIELD_NAME.match(name):
            return ValidationError(
                source, field_path([*self.path, name]), f"unknown field '{name}': {advice}"
            )
        return ValidationError(
            source, field_path(self.path), f"a field with an unexpected name: {advice}"
        )

    def _generic(self) -> str:
        schema = self.owner if isinstance(self.owner, Mapping) else {}
        rule = self.keyword
        if rule is None:
            return "not allowed here: remove it"
        if rule in _GENERIC:
            return _GENERIC[rule](schema[rule], schema)
        if rule in _WEAK:
            return f"does not match any allowed form ({_hint(schema) or 'see the schema'}): fix it"
        return f"breaks the schema rule '{rule}': fix it"


def field_path(parts: Iterable[str | int]) -> str:
    """`subjects[0].emails[1]`, `outcome.type`; empty for the document itself."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


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
    "minItems": lambda value, schema: (
        f"needs at least {_plural(value, 'item')}: add {_more(value)}"
    ),
    "maxItems": lambda value, schema: f"allows at most {_plural(value, 'item')}: remove the rest",
    "uniqueItems": lambda value, schema: "lists the same item twice: remove the duplicate",
    "minimum": lambda value, schema: f"must be {_show(value)} or more",
    "maximum": lambda value, schema: f"must be {_show(value)} or less",
    "minProperties": lambda value, schema: (
        f"needs at least {_plural(value, 'field')}: add {_more(value)}, or remove it"
    ),
    "maxProperties": lambda value, schema: (
        f"allows at most {_plural(value, 'field')}: remove the rest"
    ),
    "not": lambda value, schema: "not allowed here: remove it",
    "additionalProperties": lambda value, schema: (
        "has fields that are not allowed here: remove them"
    ),
}
