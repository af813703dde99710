"""The one place PyYAML is used: a safe loader and a stable dumper.

The loader keeps dates as strings (as check-jsonschema does), refuses anchors
and aliases and files over 1 MiB, and its errors never quote the document
(a snippet could be personal data). The dumper writes keys in a stable order,
so re-saving an unchanged record is byte-identical.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import yaml

from .errors import ValidationError

MAX_BYTES = 1024 * 1024

# The C loader (libyaml) is many times faster than the pure Python one, which PyYAML without libyaml
# falls back to.
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
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


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
    What YAML would read differently from what a person typed is refused, each with its line:
    anchors and aliases, a field given twice (YAML keeps the last), merge keys, tags beyond the
    plain kinds, nesting deeper than MAX_DEPTH, and a `#` that silently cuts a value short.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        size = "1 MiB" if max_bytes == MAX_BYTES else f"{max_bytes >> 20} MiB"
        raise ValidationError(
            source, "", f"file is over {size}; records are small text files, split or trim it"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(source, "", "not UTF-8 text; save the file as UTF-8") from None
    anchors = (b"&" in raw or b"*" in raw) and _MAYBE_ANCHOR.search(raw) is not None
    if anchors or _may_nest_deeper(
        raw, _C_SAFE_NESTING
    ):  # else skip the event pass (it doubles the parse)
        _scan_events(text, source)
    try:
        doc = _load(text)
        # The substring test spares the regex for most records.
        if (b" #" in raw or b"\t#" in raw) and _HASH_WORD.search(text):
            _refuse_cut_comments(text)
        return doc
    except _Refused as exc:
        raise ValidationError(source, f"line {exc.line}", exc.message) from None
    except yaml.YAMLError as exc:
        raise ValidationError(source, *_syntax_error(exc, text)) from None
    except (
        ValueError,
        TypeError,
        OverflowError,
    ):  # defence in depth: `_build` words what PyYAML's constructors raise
        raise ValidationError(source, "", TAG_MISFIT) from None


# -- building the document from PyYAML's nodes ------------------------------------------------------
# PyYAML's constructor spends more than a third of a record's parse in its own machinery (state
# generators, bookkeeping for aliases, which are refused anyway). `_build` makes the same plain
# dicts, lists and strings straight from the nodes, and hands ints, floats, booleans and nulls to
# PyYAML's own constructors (a property test holds it to PyYAML's result). Whatever else YAML can
# express (merge keys, other tags, keys that are lists, a key given twice) is refused with its line.

MAX_DEPTH = (
    32  # a record is 5 levels deep (subjects[0].emails[0]); deeper is a mistake, or an attack
)
# libyaml composes nodes recursively in C: 20,000 nested levels passed, 50,000 crashed the process.
_C_SAFE_NESTING = 10_000
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALARS = {
    f"tag:yaml.org,2002:{kind}": _Loader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]
    for kind in ("int", "float", "bool", "null")
}
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = dict(_Loader.yaml_implicit_resolvers)
TAG_MISFIT = (
    "a value does not fit its YAML tag (!!int, !!float, !!bool...), or a number is too large; "
    "remove the tag or fix the value"
)
TOO_DEEP = (
    f"nested more than {MAX_DEPTH} levels deep; cocrec files are a few levels deep: "
    "remove the extra brackets or indentation"
)


class _NodeLoader(_Loader):
    """`_Loader` with PyYAML's resolver methods cut to what its tables hold: implicit resolvers by first
    character, no wildcard or path resolvers (a test keeps it so). The composer calls them for every
    node, and PyYAML's general versions are a good share of a record's parse."""

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


class _Refused(Exception):
    """A document YAML reads otherwise than it looks, or cocrec does not take: its line and what to do."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _load(text: str) -> Any:
    loader = _NodeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node, 0)
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1 if node.start_mark is not None else 0


def _build(loader: Any, node: yaml.Node, depth: int) -> Any:
    tag, kind = node.tag, type(node)
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        scalar = _SCALARS.get(tag)
        if scalar is None:
            raise _Refused(_line(node), _tag_refusal(tag))
        try:
            return scalar(loader, node)
        except (
            ValueError,
            TypeError,
            OverflowError,
            KeyError,
        ):  # `!!int abc`, `!!bool maybe`, a 5,000-digit number
            raise _Refused(_line(node), TAG_MISFIT) from None
    if depth >= MAX_DEPTH:
        raise _Refused(_line(node), TOO_DEEP)
    if kind is yaml.MappingNode and tag == _MAP:
        return _build_mapping(loader, node, depth)
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_build(loader, item, depth + 1) for item in node.value]
    raise _Refused(_line(node), _tag_refusal(tag))


def _build_mapping(loader: Any, node: yaml.Node, depth: int) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _STR:  # nearly every key: no call
            key = key_node.value
        elif type(key_node) is not yaml.ScalarNode:
            raise _Refused(
                _line(key_node), "a field name that is a list or mapping: write field: value"
            )
        elif key_node.tag == _MERGE:
            raise _Refused(
                _line(key_node), "YAML merge keys (<<) are not allowed; write the fields out"
            )
        else:
            key = _build(loader, key_node, depth + 1)
        if key in mapping:
            first = next(_line(k) for k, _ in node.value if _build(loader, k, depth + 1) == key)
            advice = "YAML would keep only the last one; keep one and merge the text into it"
            raise _Refused(_line(key_node), f"the same field as on line {first}: {advice}")
        mapping[key] = _build(loader, value_node, depth + 1)
    return mapping


def _tag_refusal(tag: str) -> str:
    shown = (
        "!!" + tag.rsplit(":", 1)[-1]
        if tag.startswith("tag:yaml.org,2002:")
        else "a custom YAML tag"
    )
    kinds = "text, numbers, true/false, lists and mappings"
    return f"{shown} is not allowed here: cocrec files hold {kinds}; remove the tag"


def _may_nest_deeper(raw: bytes, levels: int) -> bool:
    """False when the document cannot nest `levels` deep (cheap: a few byte counts, no parse).

    Each level opens with a `[` or `{`, a `-` or `?` indicator (each may carry a mapping on the same
    line: two levels), or a mapping on a line indented deeper than its parent's; d such lines need
    d*(d-1)/2 bytes of indentation.
    """
    if 2 * len(raw) + math.isqrt(2 * len(raw)) + 2 <= levels:  # too short to count (most records)
        return False
    indicators = raw.count(b"[") + raw.count(b"{") + raw.count(b"-") + raw.count(b"?")
    return 2 * indicators + math.isqrt(2 * len(raw)) + 2 > levels


def _scan_events(text: str, source: str) -> None:
    """One pass over the parser's events (iterative, unlike the composer): refuse anchors, aliases and nesting
    deeper than MAX_DEPTH before anything recurses. Stops at the first refusal: deep flow nesting makes libyaml's
    scanner slower with every level, so a 1 MiB file of brackets would take minutes to scan to the end."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                advice = "YAML anchors and aliases are not allowed; write the value out"
                raise ValidationError(source, f"line {_event_line(event)}", advice)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ValidationError(source, f"line {_event_line(event)}", TOO_DEEP)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):
            # libyaml from 0.2.5 (PyYAML 6.0.2+ wheels) stops at 1,000 flow levels while it still
            # scans ahead, before the events above reach MAX_DEPTH: the same refusal.
            mark = getattr(exc, "problem_mark", None)
            raise ValidationError(
                source, f"line {mark.line + 1 if mark else 1}", TOO_DEEP
            ) from None
        raise ValidationError(source, *_syntax_error(exc, text)) from None


def _event_line(event: yaml.Event) -> int:
    return int(event.start_mark.line) + 1 if event.start_mark else 0


# -- a `#` that cuts a value short ------------------------------------------------------------------
# YAML reads ` #` as the start of a comment, so `summary: Talk #3 was cut short` keeps only "Talk".
# A comment conventionally starts "# "; a `#` followed by a letter or digit after an unquoted value
# is far more likely text (a number, a hashtag), and is refused rather than silently dropped.

_HASH_WORD = re.compile(r"[ \t]#[^\W_]")
CUT_BY_COMMENT = (
    "the '#' here starts a comment, so YAML drops the rest of the line from the value: if it is "
    "text, put the whole value in quotes or write it as a block with |; if it is a comment, "
    "put a space after the #"
)
_CUT = re.compile(r"[ \t]+#[^\W_]")


def _refuse_cut_comments(text: str) -> None:
    loader = _NodeLoader(text)
    try:
        stack = [loader.get_single_node()]
    finally:
        loader.dispose()
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if (
                not node.style
                and node.end_mark is not None
                and _CUT.match(text, node.end_mark.index)
            ):
                raise _Refused(int(node.end_mark.line) + 1, CUT_BY_COMMENT)
        elif isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


# -- syntax errors, in words a volunteer can act on -------------------------------------------------

# Where PyYAML notices a problem is often a line after the mistake: an unclosed bracket or quote is
# found at the end of the file, a stray line of text where the next field should be. The context mark
# is where the construct in trouble began: that is the line to fix.
_STARTED_AT = (
    "while scanning a simple key",
    "while parsing a flow",
    "while scanning a quoted scalar",
)
_LINE_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_SYNTAX = "malformed YAML"


def _syntax_error(exc: yaml.YAMLError, text: str) -> tuple[str, str]:
    """(where, message) of a YAML syntax error: the line to fix, and the fix for the common mistakes."""
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    mark: Any = getattr(exc, "problem_mark", None)
    start: Any = getattr(exc, "context_mark", None)
    if start is not None and context.startswith(_STARTED_AT):
        mark = start
    if mark is None:
        return "", f"{_SYNTAX}; fix the syntax there"
    lines = _LINE_BREAKS.split(text)
    line = lines[mark.line] if mark.line < len(lines) else ""
    where = (
        f"line {mark.line + 1}"
        if mark is start
        else f"line {mark.line + 1}, column {mark.column + 1}"
    )
    return where, f"{_SYNTAX}; {_advice(problem, context, line, text[mark.index : mark.index + 1])}"


def _advice(problem: str, context: str, line: str, at: str) -> str:
    if "\t" in line or "tab" in problem:
        return "a tab character; YAML indents with spaces only: replace the tab with spaces"
    if problem.startswith("mapping values are not allowed"):
        return (
            "the value holds ': ', which YAML reads as a new field: put the text in quotes, "
            "or write it as a block (field: | and the text on the next lines, indented)"
        )
    if re.search(r"(?:^|[ \t])#", line) and ("flow" in context or "expected" in problem):
        return "a '#' after a space starts a comment, so YAML did not read the rest of the line: quote the text"
    if context.startswith("while scanning a quoted scalar"):
        return "a quote (\" or ') that is never closed: close it, or write the text without quotes"
    if context.startswith("while parsing a flow"):
        return "a [ or { that is not closed: close it with ] or }, or put the text in quotes"
    if context.startswith("while scanning a simple key"):
        return (
            "a line that is not field: value: to continue a text, indent the line under its field, "
            "or write the text as a block with |"
        )
    if at in ("@", "`", "%"):
        return f"a value cannot start with {at}: put it in quotes"
    if "expected key" in problem or "expected <block end>" in problem:
        return (
            "the indentation does not line up: indent the fields of one mapping alike, with spaces"
        )
    return "fix the syntax there"


_PLAIN_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]{0,99}")
_STR_TAG = "tag:yaml.org,2002:str"


@functools.lru_cache(maxsize=1024)
def is_plain(value: str) -> bool:
    """Whether `dumps` writes this string bare: a short word of letters, digits, '_', ':' and '-'
    that the dumper's resolver reads back as a string (not `123`, `null`, `yes`, `0b101`).

    Lets a fixed-shape file (the index) be written with a template that `dumps` would match byte for byte.
    Remembered: an index repeats its fingerprints, statuses and dates in every entry.
    """
    if not _PLAIN_CHARS.fullmatch(value) or value.endswith(":"):
        return False
    for tag, regexp in _IMPLICIT.get(
        value[0], ()
    ):  # what `_Dumper.resolve` does for a plain scalar, minus its overhead
        if regexp.match(value):
            return bool(tag == _STR_TAG)
    return True


# The dumper's implicit resolvers by first character; `resolve` also consults wildcard and path
# resolvers, which this dumper has none of (a test keeps it so).
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = dict(_Dumper.yaml_implicit_resolvers)


def dumps(doc: Any) -> str:
    """Serialise with stable (insertion) key order; callers order keys canonically."""
    return str(
        yaml.dump(
            doc,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=88,
        )
    )
