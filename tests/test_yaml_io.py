"""The one YAML seam: anchors and aliases refused wherever they appear, and plain text like "Q&A" parsed at full speed."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import yaml_io
from cocrec.errors import ValidationError


@pytest.mark.parametrize(
    "text",
    [
        "a: &x Jane\nb: *x\n",
        "a: &x Jane\n",  # an anchor alone is refused too
        "- &x one\n- *x\n",
        "{a: &x 1, b: *x}\n",
        "[&x 1, *x]\n",
        '{"a":&x 1}\n',
        "&x a: 1\n",
        "b: 2\u2028&x a: 1\n",  # YAML reads U+2028, U+2029 and U+0085 as line breaks
        "a: [1,\u2029*x]\n",
        "\ufeff&x a: 1\n",
    ],
)
def test_anchors_and_aliases_are_refused_wherever_they_stand(text: str) -> None:
    with pytest.raises(ValidationError, match="anchors and aliases are not allowed"):
        yaml_io.loads(text, "records/x.yaml")


def test_ampersands_and_asterisks_in_text_are_only_text() -> None:
    doc = yaml_io.loads(
        "event: Q&A at Example Conf\nnote: '*important* & urgent'\nlist: [a&b, c*d]\n", "x"
    )
    assert doc == {
        "event": "Q&A at Example Conf",
        "note": "*important* & urgent",
        "list": ["a&b", "c*d"],
    }


def _has_anchor(text: str) -> bool:
    try:
        return any(
            isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)
            for e in yaml.parse(text, Loader=yaml.SafeLoader)
        )
    except yaml.YAMLError:
        return False


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="&*ab1:-[]{},' \n\t\"?!|>#\u2028\u2029\x85\ufeff\u00e9", max_size=24))
def test_every_text_with_an_anchor_or_alias_takes_the_careful_path(text: str) -> None:
    if _has_anchor(text):
        assert yaml_io._MAYBE_ANCHOR.search(text.encode())


def test_dates_stay_text_and_only_true_and_false_are_booleans() -> None:
    doc = yaml_io.loads("on: 2027-03-01\nyes: no\nflag: true\n", "x")
    assert doc == {"on": "2027-03-01", "yes": "no", "flag": True}


WORD = r"[0-9A-Za-z][0-9A-Za-z:_-]{0,20}"  # the characters the index template writes


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(WORD, fullmatch=True),
        st.from_regex(r"[0-9A-Za-z][0-9A-Za-z:_.+-]{0,20}", fullmatch=True),
        st.text(max_size=12),
    )
)
def test_is_plain_says_when_the_dumper_writes_a_word_bare(value: str) -> None:
    """is_plain stands in for the dumper's resolver, which it may do only while the dumper has no
    wildcard or path resolvers. A plain value is written unquoted and read back as itself; a word of
    the template's characters that is written so is plain."""
    dumper = yaml_io._Dumper
    assert None not in dumper.yaml_implicit_resolvers and not dumper.yaml_path_resolvers
    written = yaml_io.dumps({"k": value})
    bare = written == f"k: {value}\n" and yaml.safe_load(written) == {"k": value}
    if yaml_io.is_plain(value):
        assert bare
    elif re.fullmatch(WORD, value):
        assert not bare


SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "123",
            "0x1f",
            "0o17",
            "017",
            "1_000",
            "1:30",
            "1.5e3",
            ".inf",
            "-.NaN",
            "null",
            "~",
            "yes",
            "on",
            "true",
            "False",
            "2026-06-04",
            "<<",
            "=",
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(SCALARS, inner, max_size=4)
    ),
    max_leaves=20,
)
# What PyYAML builds, and cocrec builds the same.
PLAIN_FORMS = [
    "a: !!str 123\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'true'\ne: !!null ''\n",
    "1: one\nfalse: two\nnull: three\n1.5: four\n",  # (true would be the same key as 1 in Python)
    "!!map {a: !!seq [1, 2]}\n",
    "--- a\n--- b\n",
    "",
    "# only a comment\n",
]
# What YAML reads otherwise than a person typed it, or cocrec files never hold: refused with the line to fix.
REFUSED = [
    ("<<: {a: 1}\nb: 2\n", 1, "merge keys (<<) are not allowed"),
    ("base: {a: 1}\nmerged: {<<: [{b: 2}, {c: 3}], d: 4}\n", 2, "merge keys (<<) are not allowed"),
    ("a: !!binary aGk=\n", 1, "!!binary is not allowed here"),
    ("a: 1\ne: !!set {x}\n", 2, "!!set is not allowed here"),
    ("f: !!timestamp 2026-06-04\n", 1, "!!timestamp is not allowed here"),
    ("a: !!omap [{b: 1}]\n", 1, "!!omap is not allowed here"),
    ("a: !custom x\n", 1, "a custom YAML tag is not allowed here"),
    ("a: !!str [1]\n", 1, "!!str is not allowed here"),
    ("a: !!map x\n", 1, "!!map is not allowed here"),
    ("=: five\n", 1, "!!value is not allowed here"),
    ("? [1, 2]\n: unhashable\n", 1, "a field name that is a list or mapping"),
    (
        "dup: 1\nother: 2\ndup: 3\n",
        3,
        "the same field as on line 1: YAML would keep only the last one",
    ),
    ("summary: long\nsummary: short\n", 2, "the same field as on line 1"),
    ("a: {x: 1, x: 2}\n", 1, "the same field as on line 1"),
    ("1: a\n1.0: b\n", 2, "the same field as on line 1"),
    ("1: a\ntrue: b\n", 2, "the same field as on line 1"),
    ("a: !!bool maybe\n", 1, "does not fit its YAML tag"),
    ("a: " + "9" * 5000 + "\n", 1, "a number is too large"),
]


def outcome_of(load, text: str) -> object:  # type: ignore[no-untyped-def]
    try:
        return ("value", load(text))
    except Exception as exc:  # noqa: BLE001 - comparing how both fail
        return ("error", type(exc).__name__)


@settings(max_examples=300, deadline=None)
@given(doc=DOCS, flow=st.sampled_from([None, True, False]), canonical=st.booleans())
def test_documents_are_built_exactly_as_pyyaml_builds_them(
    doc: object, flow: bool | None, canonical: bool
) -> None:
    """The node builder must give what PyYAML's own constructor gives, in any style (canonical YAML tags every
    value); its lean resolver stands in for PyYAML's only while the loader has no wildcard or path resolvers."""
    assert (
        None not in yaml_io._Loader.yaml_implicit_resolvers
        and not yaml_io._Loader.yaml_path_resolvers
    )
    text = yaml.safe_dump(doc, default_flow_style=flow, canonical=canonical, allow_unicode=True)
    assert outcome_of(yaml_io._load, text) == outcome_of(
        lambda t: yaml.load(t, Loader=yaml_io._Loader), text
    )


@pytest.mark.parametrize("text", PLAIN_FORMS)
def test_explicit_plain_tags_and_odd_keys_are_built_exactly_as_pyyaml_builds_them(
    text: str,
) -> None:
    assert outcome_of(yaml_io._load, text) == outcome_of(
        lambda t: yaml.load(t, Loader=yaml_io._Loader), text
    )


@pytest.mark.parametrize(("text", "line", "message"), REFUSED)
def test_what_yaml_reads_otherwise_is_refused_with_its_line(
    text: str, line: int, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        yaml_io.loads(text, "records/x.yaml")
    assert str(caught.value).startswith(f"records/x.yaml: line {line}: ")
    assert message in str(caught.value)


def test_a_value_that_does_not_fit_its_tag_is_one_line_naming_the_file() -> None:
    for text in (b"a: !!int Jane\n", b"a: !!float Jane\n", b"b: 1\non: !!bool Jane\n"):
        with pytest.raises(ValidationError) as caught:
            yaml_io.loads(text, "records/2026-k7qd.yaml.age")
        line = text.count(b"\n")
        assert str(caught.value).startswith(
            f"records/2026-k7qd.yaml.age: line {line}: a value does not fit its YAML tag"
        )
        assert "Jane" not in str(caught.value)


# -- nesting ---------------------------------------------------------------------------------------

DEEP = [
    pytest.param("a: " + "[" * 500 + "]" * 500 + "\n", id="500-flow-lists"),
    pytest.param("a: " + "{b: " * 500 + "}" * 500 + "\n", id="500-flow-mappings"),
    pytest.param("- " * 500 + "x\n", id="500-compact-sequences"),
    pytest.param(
        "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 500)), id="500-indented-mappings"
    ),
    pytest.param(
        "a: " + "[" * 400_000 + "]" * 400_000 + "\n", id="400000-flow-lists"
    ),  # crashed libyaml's composer
    pytest.param("- " * 400_000 + "x\n", id="400000-compact-sequences"),
]


@pytest.mark.parametrize("text", DEEP)
def test_nesting_beyond_the_limit_is_one_line_not_a_crash(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        yaml_io.loads(text, "members.yaml")
    assert str(caught.value).startswith("members.yaml: line ")
    assert f"nested more than {yaml_io.MAX_DEPTH} levels deep" in str(caught.value)


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = yaml_io.MAX_DEPTH
    assert yaml_io.loads("[" * depth + "]" * depth, "x") is not None
    with pytest.raises(ValidationError, match="nested more than"):
        yaml_io.loads("[" * (depth + 1) + "]" * (depth + 1), "x")


def _depth(text: str) -> int:
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


NESTED = st.recursive(
    st.just(1),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=2)
        | st.dictionaries(st.sampled_from("ab"), inner, min_size=1, max_size=2)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    doc=NESTED,
    flow=st.sampled_from([None, True, False]),
    indent=st.integers(2, 6),
    compact=st.integers(0, 6),
)
def test_the_cheap_bound_is_never_below_the_real_depth(
    doc: object, flow: bool | None, indent: int, compact: int
) -> None:
    """A document the byte counts call shallow goes straight to libyaml's recursive composer: it must be."""
    text = "- " * compact + yaml.safe_dump(doc, default_flow_style=flow, indent=indent).replace(
        "\n", "\n" + "  " * compact
    )
    depth = _depth(text)
    assert yaml_io._may_nest_deeper(text.encode(), depth - 1)


# -- a `#` that cuts a value short -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("event: Example Conf\nsummary: Talk #3 was disrupted\n", 2),
        ("summary: #42 was disrupted\n", 1),
        ("subjects:\n- name: Jane Doe #organiser\n", 2),
        ("categories: [harassment #again]\n", 1),
    ],
)
def test_a_hash_that_would_cut_text_short_is_refused(text: str, line: int) -> None:
    with pytest.raises(ValidationError) as caught:
        yaml_io.loads(text, "new.yaml")
    assert str(caught.value).startswith(f"new.yaml: line {line}: ")
    assert "starts a comment" in str(caught.value) and "Jane" not in str(caught.value)


def test_comments_and_quoted_or_block_hashes_are_fine() -> None:
    text = 'kind: public           # official | public | private\n# note\nx: "Talk #3"\ny: |\n  Talk #3\nz: a#b\n'
    assert yaml_io.loads(text, "x") == {
        "kind": "public",
        "x": "Talk #3",
        "y": "Talk #3\n",
        "z": "a#b",
    }


# -- syntax errors a volunteer can act on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "advice"),
    [
        (
            "reporter:\n  kind: public\n\tname: Sam\n",
            "line 3, column 1",
            "a tab character; YAML indents with spaces only",
        ),
        ("a: 1\nb:\n\tc: 2\n", "line 3, column 1", "replace the tab with spaces"),
        (
            "summary: He said: go away\n",
            "line 1, column 17",
            "which YAML reads as a new field: put the text in quotes, or write it as a block",
        ),
        (
            "emails: [jane@example.org #work, x]\nb: 1\n",
            "line 1",
            "a '#' after a space starts a comment",
        ),
        ('summary: "Jane said\nb: 2\nc: 3\n', "line 1", "a quote (\" or ') that is never closed"),
        ("emails: [jane@example.org\nb: 2\n", "line 1", "a [ or { that is not closed"),
        (
            "summary: Jane Doe did it\nagain and again\nb: 1\n",
            "line 2",
            "a line that is not field: value",
        ),
        ("a: @janedoe\n", "line 1, column 4", "a value cannot start with @: put it in quotes"),
        ("a:\n  b: 1\n c: 2\n", "line 3, column 2", "the indentation does not line up"),
    ],
)
def test_syntax_errors_name_the_line_to_fix_and_how(text: str, where: str, advice: str) -> None:
    with pytest.raises(ValidationError) as caught:
        yaml_io.loads(text, "new.yaml")
    message = str(caught.value)
    assert message.startswith(f"new.yaml: {where}: malformed YAML; "), message
    assert advice in message
    assert "Jane" not in message and "jane" not in message


# YAML-ish text in pieces: whatever `_load` builds from it, PyYAML builds too (or `_load` refuses it).
PIECES = st.sampled_from(
    [
        "a",
        "b: ",
        "c:",
        " ",
        "  ",
        "- ",
        "\n",
        "\n  ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "? ",
        "'x'",
        '"y\\n"',
        "|\n  t\n",
        ">-\n  u\n",
        "1",
        "-2",
        "0x1f",
        "1.5",
        ".inf",
        "~",
        "null",
        "true",
        "False",
        "on",
        "2026-06-04",
        "!!str ",
        "!!int ",
        "<<: ",
        "# c",
        "&a ",
        "*a",
        "---\n",
        "é",
        "\u2028",
        "\t",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=16).map("".join))
def test_on_any_text_the_node_builder_is_pyyaml_or_refuses(text: str) -> None:
    """The loader's fast path (`_build`, straight from nodes) against PyYAML's constructor: never a
    different value, never a value where PyYAML fails; where it differs it refuses, with its line."""
    reference = outcome_of(lambda t: yaml.load(t, Loader=yaml_io._Loader), text)
    try:
        built = ("value", yaml_io._load(text))
    except yaml_io._Refused:
        return  # what YAML reads otherwise than a person typed it: refused on purpose
    except Exception as exc:  # noqa: BLE001 - comparing how both fail
        built = ("error", type(exc).__name__)
    assert built == reference
