"""The one place PyYAML is used: a safe loader and a stable dumper.

The loader keeps dates as strings (as check-jsonschema does), refuses anchors
and aliases and files over 1 MiB, and its errors never quote the document
(a snippet could be personal data). The dumper writes keys in a stable order,
so re-saving an unchanged record is byte-identical.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import ValidationError

MAX_BYTES = 1024 * 1024

# The C loader is 11x faster on 10,000 records (MEASURED.md); PyYAML without libyaml falls back.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader with timestamps left as strings."""


# Dates stay strings, and only true/false are booleans: YAML 1.1 would read the
# `on` of a disclosure (`{on: 2027-03-01, ...}`) as True, and `no` as False.
_DROPPED = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Block style, literal blocks for multi-line text, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)
# Dates are strings in memory; write them bare, as a person would type them.
_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseDumper.yaml_implicit_resolvers.items()
}


# An anchor (&a) or alias (*a) token never follows a letter or digit ("Q&A" holds none); after anything
# else (a space, a flow indicator, a BOM, a Unicode line break such as U+2028) it may be one.
_MAYBE_ANCHOR = re.compile(rb"(?:^|[^A-Za-z0-9])[&*]")


def loads(data: bytes | str, source: str, max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document; raise ValidationError naming `source`, never the content.

    `max_bytes` is 1 MiB (a record); the generated index, about 300 bytes a record, is allowed more.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        size = "1 MiB" if max_bytes == MAX_BYTES else f"{max_bytes >> 20} MiB"
        raise ValidationError(source, "", f"file is over {size}; records are small text files, split or trim it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(source, "", "not UTF-8 text; save the file as UTF-8") from None
    if (b"&" in raw or b"*" in raw) and _MAYBE_ANCHOR.search(raw):  # else skip the event pass (it doubles the parse)
        _refuse_anchors(text, source)
    try:
        return _load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(source, _position(exc), "malformed YAML; fix the syntax there") from None
    except (ValueError, TypeError, OverflowError):  # `!!int abc`, `!!timestamp 2026-13-01`: PyYAML's constructors raise these
        raise ValidationError(source, "", "a value does not fit its YAML tag (!!int, !!float, !!timestamp...); remove the tag or fix the value") from None


# -- building the document from PyYAML's nodes ------------------------------------------------------
# PyYAML's constructor spends more than a third of a record's parse in its own machinery (state
# generators, bookkeeping for aliases, which are refused anyway). `_build` makes the same plain
# dicts, lists and strings straight from the nodes, and hands ints, floats, booleans and nulls to
# PyYAML's own constructors; on anything else (a merge key, another tag, an unhashable key) the
# whole document goes back to PyYAML's constructor, so the result is always exactly what it builds.

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS = {tag: _Loader.yaml_constructors[tag] for tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")}
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = dict(_Loader.yaml_implicit_resolvers)


class _NodeLoader(_Loader):
    """`_Loader` with PyYAML's resolver methods cut to what its tables hold: implicit resolvers by first
    character, no wildcard or path resolvers (a test keeps it so). The composer calls them for every
    node; PyYAML's general versions took 12% of a record's parse."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _RESOLVERS.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _MAP if kind is yaml.MappingNode else _SEQ

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class _NotPlain(Exception):
    """A node `_build` leaves to PyYAML's constructor."""


def _load(text: str) -> Any:
    loader = _NodeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _build(loader, node)
        except _NotPlain:
            return loader.construct_document(node)
    finally:
        loader.dispose()


def _build(loader: Any, node: yaml.Node) -> Any:
    tag, kind = node.tag, type(node)
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        scalar = _SCALARS.get(tag)
        if scalar is None:
            raise _NotPlain
        return scalar(loader, node)
    if kind is yaml.MappingNode and tag == _MAP:
        mapping = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node)
            if isinstance(key, (dict, list)):
                raise _NotPlain  # PyYAML words the error
            mapping[key] = _build(loader, value_node)
        return mapping
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_build(loader, item) for item in node.value]
    raise _NotPlain


def _refuse_anchors(text: str, source: str) -> None:
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise ValidationError(source, f"line {line}", "YAML anchors and aliases are not allowed; write the value out")
    except yaml.YAMLError as exc:
        raise ValidationError(source, _position(exc), "malformed YAML; fix the syntax there") from None


def _position(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


_PLAIN_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]{0,99}")
_STR_TAG = "tag:yaml.org,2002:str"


def is_plain(value: str) -> bool:
    """Whether `dumps` writes this string bare: a short word of letters, digits, '_', ':' and '-'
    that the dumper's resolver reads back as a string (not `123`, `null`, `yes`, `0b101`).

    Lets a fixed-shape file (the index) be written with a template that `dumps` would match byte for byte.
    """
    if not _PLAIN_CHARS.fullmatch(value) or value.endswith(":"):
        return False
    for tag, regexp in _IMPLICIT.get(value[0], ()):  # what `_Dumper.resolve` does for a plain scalar, minus its overhead
        if regexp.match(value):
            return bool(tag == _STR_TAG)
    return True


# The dumper's implicit resolvers by first character; `resolve` also consults wildcard and path
# resolvers, which this dumper has none of (a test keeps it so).
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = dict(_Dumper.yaml_implicit_resolvers)


def dumps(doc: Any) -> str:
    """Serialise with stable (insertion) key order; callers order keys canonically."""
    return str(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=88))
