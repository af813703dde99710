"""The one YAML seam: anchors and aliases refused wherever they appear, and plain text like "Q&A" parsed at full speed."""

from __future__ import annotations

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
