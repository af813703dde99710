"""A yes/no answer to "is this document valid?", compiled from a JSON Schema into plain closures.

Why: jsonschema's Draft202012Validator, even built once on the inlined schema,
spends about 500 us on a record (mostly its `descend`/`evolve` machinery), and
`cocrec check` validates every record. The predicate compiled here answers in
about 25 us (1,000 synthetic records, and the demo's), is compiled in about
1 ms and needs no jsonschema. Almost every record is valid, so cocrec.schema
asks this predicate first and runs jsonschema only on a document it rejects:
jsonschema remains the authority, and the only source of error messages.

The predicate follows jsonschema's Draft 2020-12 rules exactly (its type
checker, its `equal`, `re.search` with ECMA-262's `$`: see `pattern_regex`), for the keywords our schemas use. A
keyword it does not know raises Unsupported at compile time, so that a schema
change never silently weakens a check: cocrec.schema then uses jsonschema
alone for that schema. One known difference, in the safe direction:
jsonschema's `uniqueItems` sorts then compares neighbours, which misses a
duplicate among nested lists mixing `true` and `1`; this module compares every
pair, so it may reject such a list where jsonschema finds no error.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

Predicate = Callable[[Any], bool]


class Unsupported(ValueError):
    """The schema uses a keyword (or a form of one) that this module does not compile."""


def compile_schema(schema: Any) -> Predicate:
    """A predicate true exactly when jsonschema (Draft 2020-12) finds `schema` valid for the instance (but see uniqueItems above)."""
    if schema is True or schema is False:
        return _always if schema else _never
    if not isinstance(schema, dict):
        raise Unsupported(f"a schema is a mapping or a boolean, not {type(schema).__name__}")
    unknown = sorted(set(schema) - _KNOWN)
    if unknown:
        raise Unsupported(f"keyword(s) not compiled: {', '.join(unknown)}; validate with jsonschema alone")
    typed: dict[str, list[Predicate]] = {}
    for key, value in schema.items():
        if key in _TYPED:
            kind, factory = _TYPED[key]
            typed.setdefault(kind, []).append(factory(value))
    members = _members(schema)
    if members is not None:
        typed.setdefault("object", []).append(members)
    general = [factory(schema[key]) for key, factory in _ANY_TYPE.items() if key in schema]
    if "if" in schema:
        general.append(_if(schema))
    return _combine(_types(schema.get("type")), typed, general)


def _combine(types: Optional[list[str]], typed: dict[str, list[Predicate]], general: list[Predicate]) -> Predicate:
    """Type first (the cheapest refusal), then each type's keywords, then the rest."""
    checks: list[Predicate] = []
    type_checked = False
    for kind, kind_checks in typed.items():
        if types == [kind]:
            checks.insert(0, _both(kind, _all(kind_checks)))
            type_checked = True
        else:
            checks.append(_when(kind, _all(kind_checks)))
    if types is not None and not type_checked:
        checks.insert(0, _any([_IS[name] for name in types]))
    return _all(checks + general)


def _types(value: Any) -> Optional[list[str]]:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    unknown = [name for name in names if name not in _IS]
    if unknown:
        raise Unsupported(f"unknown type(s): {unknown}")
    return names


# --- jsonschema's type checker (draft 2020-12): bool is never a number; an integral float is an integer


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _is_number(instance: Any) -> bool:
    return isinstance(instance, numbers.Number) and not isinstance(instance, bool)


def _is_integer(instance: Any) -> bool:
    if isinstance(instance, float):
        return instance.is_integer()
    return isinstance(instance, int) and not isinstance(instance, bool)


_CLASS: dict[str, type] = {"object": dict, "array": list, "string": str}
_IS: dict[str, Predicate] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
    "number": _is_number,
    "integer": _is_integer,
}


# --- combinators


def _all(checks: list[Predicate]) -> Predicate:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def every(instance: Any) -> bool:
        for check in checks:
            if not check(instance):
                return False
        return True

    return every


def _any(checks: list[Predicate]) -> Predicate:
    if len(checks) == 1:
        return checks[0]

    def some(instance: Any) -> bool:
        for check in checks:
            if check(instance):
                return True
        return False

    return some


def _both(kind: str, check: Predicate) -> Predicate:
    """Of type `kind` and passing `check` (isinstance inline: this runs on every node)."""
    cls = _CLASS.get(kind)
    if cls is not None:
        return lambda instance: isinstance(instance, cls) and check(instance)
    is_kind = _IS[kind]
    return lambda instance: is_kind(instance) and check(instance)


def _when(kind: str, check: Predicate) -> Predicate:
    """`check` on an instance of type `kind`; jsonschema ignores a keyword on another type."""
    cls = _CLASS.get(kind)
    if cls is not None:
        return lambda instance: not isinstance(instance, cls) or check(instance)
    is_kind = _IS[kind]
    return lambda instance: not is_kind(instance) or check(instance)


# --- keywords that apply to any instance


def _const(value: Any) -> Predicate:
    return lambda instance: _equal(instance, value)


def _enum(values: Any) -> Predicate:
    if all(isinstance(value, str) for value in values):
        allowed = frozenset(values)
        return lambda instance: isinstance(instance, str) and instance in allowed
    return lambda instance: any(_equal(value, instance) for value in values)


def _not(schema: Any) -> Predicate:
    check = compile_schema(schema)
    return _never if check is _always else lambda instance: not check(instance)


def _all_of(schemas: Any) -> Predicate:
    return _all([compile_schema(schema) for schema in schemas])


def _any_of(schemas: Any) -> Predicate:
    return _any([compile_schema(schema) for schema in schemas])


def _one_of(schemas: Any) -> Predicate:
    checks = [compile_schema(schema) for schema in schemas]
    return lambda instance: sum(1 for check in checks if check(instance)) == 1


def _if(schema: Mapping[str, Any]) -> Predicate:
    """if/then/else; then or else without if is ignored, as jsonschema does."""
    condition = compile_schema(schema["if"])
    then = compile_schema(schema.get("then", True))
    otherwise = compile_schema(schema.get("else", True))
    if otherwise is _always:
        return lambda instance: not condition(instance) or then(instance)
    if then is _always:
        return lambda instance: condition(instance) or otherwise(instance)
    return lambda instance: then(instance) if condition(instance) else otherwise(instance)


_ANY_TYPE: dict[str, Callable[[Any], Predicate]] = {
    "const": _const,
    "enum": _enum,
    "not": _not,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
}


# --- keywords that apply to one type of instance (each predicate is called with that type only)


def _members(schema: Mapping[str, Any]) -> Optional[Predicate]:
    """properties and additionalProperties: with the latter, one pass over the instance's fields."""
    known = {name: compile_schema(sub) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    rest = None if extra is True else compile_schema(extra)
    if rest is None:
        return _named_fields(list(known.items())) if known else None

    def every_field(instance: dict[Any, Any]) -> bool:
        for key, value in instance.items():
            if not known.get(key, rest)(value):
                return False
        return True

    return every_field


def _named_fields(fields: list[tuple[str, Predicate]]) -> Predicate:
    """properties alone (as in most if-conditions): look up the few names, not every field."""

    def check(instance: dict[Any, Any]) -> bool:
        for name, field in fields:
            if name in instance and not field(instance[name]):
                return False
        return True

    return check


def _required(names: Any) -> Predicate:
    if len(names) == 1:
        (name,) = names
        return lambda instance: name in instance
    wanted = frozenset(names)
    return lambda instance: wanted <= instance.keys()


def _dependent_required(rule: Any) -> Predicate:
    pairs = [(name, frozenset(deps)) for name, deps in rule.items()]
    return lambda instance: all(name not in instance or deps <= instance.keys() for name, deps in pairs)


def _items(schema: Any) -> Predicate:
    check = compile_schema(schema)

    def each(instance: list[Any]) -> bool:
        for item in instance:
            if not check(item):
                return False
        return True

    return each


def _unique_items(on: Any) -> Predicate:
    return _unique if on else _always


def _unique(items: list[Any]) -> bool:
    if all(type(item) is str for item in items):
        return len(set(items)) == len(items)
    return not any(_equal(item, later) for index, item in enumerate(items) for later in items[index + 1 :])


def _pattern(regex: Any) -> Predicate:
    search = pattern_regex(regex).search
    return lambda instance: search(instance) is not None


@functools.lru_cache(maxsize=None)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema `pattern` as a Python regex that means what the schema means.

    JSON Schema patterns are ECMA-262 regexes, where `$` matches only at the end of the text; Python's
    `$` also matches before a final newline, so `^\\S+$` would take "github:jane\\n". Each `$` outside
    a character class becomes `\\Z`. cocrec.schema gives jsonschema the same `pattern` keyword.
    """
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            out.append("\\Z")
            continue
        out.append(char)
    return re.compile("".join(out))


def _at_least(bound: Any) -> Predicate:
    return lambda instance: not len(instance) < bound


def _at_most(bound: Any) -> Predicate:
    return lambda instance: not len(instance) > bound


def _minimum(bound: Any) -> Predicate:
    # `not x < bound`, as jsonschema writes it: a NaN is not below any bound, so it passes.
    return lambda instance: not instance < bound


def _maximum(bound: Any) -> Predicate:
    return lambda instance: not instance > bound


_TYPED: dict[str, tuple[str, Callable[[Any], Predicate]]] = {
    "required": ("object", _required),
    "minProperties": ("object", _at_least),
    "maxProperties": ("object", _at_most),
    "dependentRequired": ("object", _dependent_required),
    "items": ("array", _items),
    "minItems": ("array", _at_least),
    "maxItems": ("array", _at_most),
    "uniqueItems": ("array", _unique_items),
    "pattern": ("string", _pattern),
    "minLength": ("string", _at_least),
    "maxLength": ("string", _at_most),
    "minimum": ("number", _minimum),
    "maximum": ("number", _maximum),
}

_ANNOTATIONS = frozenset({"description", "title", "$comment", "errorMessage", "examples", "default", "$schema", "$id"})
_KNOWN = frozenset(_TYPED) | frozenset(_ANY_TYPE) | _ANNOTATIONS | {"type", "properties", "additionalProperties", "if", "then", "else"}


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's `equal`: true and 1 differ, 1 and 1.0 do not, containers compare deeply."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # not the same object, so not the same boolean
    return bool(one == two)
