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
    doc = yaml_io.loads("event: Q&A at Example Conf\nnote: '*important* & urgent'\nlist: [a&b, c*d]\n", "x")
    assert doc == {"event": "Q&A at Example Conf", "note": "*important* & urgent", "list": ["a&b", "c*d"]}


def _has_anchor(text: str) -> bool:
    try:
        return any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in yaml.parse(text, Loader=yaml.SafeLoader))
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
@given(st.one_of(st.from_regex(WORD, fullmatch=True), st.from_regex(r"[0-9A-Za-z][0-9A-Za-z:_.+-]{0,20}", fullmatch=True), st.text(max_size=12)))
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
    st.sampled_from(["123", "0x1f", "0o17", "017", "1_000", "1:30", "1.5e3", ".inf", "-.NaN", "null", "~", "yes", "on", "true", "False", "2026-06-04", "<<", "="]),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(SCALARS, inner, max_size=4)), max_leaves=20)
TAGGED = [
    "<<: {a: 1}\nb: 2\n",  # a merge key
    "a: &x 1\n",
    "base: {a: 1}\nmerged: {<<: [{b: 2}, {c: 3}], d: 4}\n",
    "a: !!str 123\nb: !!int '7'\nc: !!float '1'\nd: !!binary aGk=\ne: !!set {x}\nf: !!timestamp 2026-06-04\n",
    "? [1, 2]\n: unhashable\n",
    "a: !!str [1]\n",
    "a: !!map x\n",
    "a: !!seq x\n",
    "1: one\ntrue: two\nnull: three\n1.5: four\n=: five\n",
    "dup: 1\ndup: 2\n",
    "a: !!omap [{b: 1}]\n",
    "--- a\n--- b\n",
    "",
    "# only a comment\n",
]


def outcome_of(load, text: str) -> object:  # type: ignore[no-untyped-def]
    try:
        return ("value", load(text))
    except Exception as exc:  # noqa: BLE001 - comparing how both fail
        return ("error", type(exc).__name__)


@settings(max_examples=300, deadline=None)
@given(doc=DOCS, flow=st.sampled_from([None, True, False]), canonical=st.booleans())
def test_documents_are_built_exactly_as_pyyaml_builds_them(doc: object, flow: bool | None, canonical: bool) -> None:
    """The node builder must give what PyYAML's own constructor gives, in any style (canonical YAML tags every
    value); its lean resolver stands in for PyYAML's only while the loader has no wildcard or path resolvers."""
    assert None not in yaml_io._Loader.yaml_implicit_resolvers and not yaml_io._Loader.yaml_path_resolvers
    text = yaml.safe_dump(doc, default_flow_style=flow, canonical=canonical, allow_unicode=True)
    assert outcome_of(yaml_io._load, text) == outcome_of(lambda t: yaml.load(t, Loader=yaml_io._Loader), text)


@pytest.mark.parametrize("text", TAGGED)
def test_merge_keys_tags_and_odd_keys_are_built_exactly_as_pyyaml_builds_them(text: str) -> None:
    assert outcome_of(yaml_io._load, text) == outcome_of(lambda t: yaml.load(t, Loader=yaml_io._Loader), text)


def test_a_value_that_does_not_fit_its_tag_is_one_line_naming_the_file() -> None:
    for text in (b"a: !!int Jane\n", b"a: !!float Jane\n", b"on: !!timestamp 2026-13-01\n"):
        with pytest.raises(ValidationError) as caught:
            yaml_io.loads(text, "records/2026-k7qd.yaml.age")
        assert str(caught.value).startswith("records/2026-k7qd.yaml.age: a value does not fit its YAML tag") and "Jane" not in str(caught.value)
