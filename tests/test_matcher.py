"""The one matcher (cocrec.matcher): every form of a name or identifier that redaction and the hooks
must find. Every person here is invented."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec.matcher import MARKER, Matcher, WordSet, common_words, fold, fold_text

R = MARKER


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def redact(text: str, *names: str, emails: tuple[str, ...] = ()) -> str:
    return Matcher(names, [("email", e) for e in emails]).redact(text)


# -- folding ------------------------------------------------------------------------------------


def test_folding_takes_off_case_accents_and_compatibility_forms() -> None:
    assert fold_text("José MÜLLER") == fold_text(nfd("José Müller")) == "jose muller"
    assert fold_text("Łukasz Søren Æsir Straße ǅ ﬁ") == "lukasz soren aesir strasse dz fi"
    assert (
        fold_text("Ja\u200bne\u00ad O’Neil") == "jane o'neil"
    )  # invisible characters, curly apostrophes
    assert (
        fold("the\u200bJane", spaced=True).folded == "the jane"
    )  # ... or as the word break they may be


def test_a_folded_span_maps_back_to_the_original_characters() -> None:
    text = nfd("Dr José Müller, ok")
    folded = fold(text)
    start = folded.folded.index("jose muller")
    assert folded.span(start, start + len("jose muller")) == (3, text.index(","))


# -- each form -----------------------------------------------------------------------------------

FORMS = [
    ("Jose Muller came", "José Müller", f"{R} came"),  # accents stripped
    (nfd("José Müller came"), "José Müller", f"{R} came"),  # NFD text
    ("José Müller came", nfd("José Müller"), f"{R} came"),  # NFD value
    ("JOSÉ MÜLLER came", "José Müller", f"{R} came"),
    ("Mueller came", "José Müller", f"{R} came"),  # ü spelled ue
    ("Lukasz and Soren", "Łukasz Søren", f"{R} and {R}"),  # letters without a decomposition
    (
        "Müller's, Müller’s, Müllers and the Joneses",
        "José Müller",
        f"{R}'s, {R}’s, {R} and the Joneses",
    ),
    ("the Joneses", "Ann Jones", f"the {R}"),
    ("王小明已道歉", "王小明", f"{R}已道歉"),  # no word boundaries in Han
    ("昨日山田さんと太郎が来た", "山田 太郎", f"昨日{R}さんと{R}が来た"),
    ("สมชายใจดีขอโทษแล้ว", "สมชาย ใจดี", f"{R}ขอโทษแล้ว"),  # Thai, written without spaces
    ("김민수는 사과했다", "김민수", f"{R}는 사과했다"),  # a Korean particle joins the name
    ("Müller先生は", "José Müller", f"{R}先生は"),  # a Latin name inside Japanese text
    ("Ja\u200bne Doe left", "Jane Doe", f"{R} left"),
    ("janedoe and jane.doe", "Jane Doe", f"{R} and {R}"),
    ("Janet and Doer stay", "Jane Doe", "Janet and Doer stay"),
]


@pytest.mark.parametrize(("text", "name", "expected"), FORMS)
def test_every_form_of_a_name_is_found(text: str, name: str, expected: str) -> None:
    assert redact(text, name) == expected


def test_an_email_matches_with_any_plus_tag_on_either_side_but_not_inside_a_longer_word() -> None:
    email = "jose.mueller@example.org"
    text = "JOSE.MUELLER+coc@Example.org, jose.mueller@example.org; xjose.mueller@example.org, jose.mueller@example.orgs"
    assert (
        redact(text, emails=(email,))
        == f"{R}, {R}; xjose.mueller@example.org, jose.mueller@example.orgs"
    )
    assert redact("jose.mueller@example.org", emails=("jose.mueller+coc@example.org",)) == R


def test_short_name_words() -> None:
    # two letters, not a common word: alone, like any name word
    assert redact("Li said; Lily stays", "Li Wei") == f"{R} said; Lily stays"
    # two letters that are a common word, or one letter: only beside another word of the name, or whole
    assert (
        redact("an hour; An Nguyen; Nguyen, An; Van An", "Nguyen Van An")
        == f"an hour; {R}; {R}; {R}"
    )
    assert redact("J. said, J Doe and Doe J", "J Doe") == f"J. said, {R} and {R}"
    assert redact("An came", "An") == f"{R} came"  # the whole name


def test_nothing_matches_inside_or_across_a_marker() -> None:
    assert not Matcher(["Red Dacted", "Redacted"]).occurs(f"{R} {R}")
    assert Matcher(["Do An"]).redact(f"Do{R}An and Do An") == f"Do{R}An and {R}"


def test_hits_say_what_matched_never_needing_the_value() -> None:
    matcher = Matcher(["Will Grant"], [("email", "will@example.org")])
    hits = matcher.hits("will review; grant it; Will Grant; will@example.org")
    assert [(h.label, h.part, h.common) for h in hits] == [
        ("name", "word", True),
        ("name", "word", True),
        ("name", "whole", False),
        ("email", "whole", False),
    ]
    assert [(h.part, h.common) for h in Matcher(["Zbigniew Best"]).hits("Zbigniew")] == [
        ("word", False)
    ]


def test_the_common_word_list_is_shipped_and_holds_no_given_names() -> None:
    words = common_words()
    assert 3000 <= len(words) < 10000
    assert {"will", "mark", "best", "grant", "reporter", "an", "do"} <= words
    assert not {"jane", "sam", "john", "li", "doe", "muller", "miller", "jose"} & words


def test_the_word_set_follows_the_same_rules() -> None:
    words = WordSet(["José Müller", "王小明", "Li Wei", "Nguyen Van An"], ["janedoe"])
    text = nfd("Jose Mullers, Müller's, janedoe, Li and an apple; 王小明已道歉")
    assert words.redact(text) == f"{R} {R}, {R}'s, {R}, {R} and an apple; {R}已道歉"


# -- invariants -------------------------------------------------------------------------------------

# Name letters and filler letters are disjoint, even folded: a removed form can only come from the name.
NAME_LETTERS = "jwkJWKĵŵķǰ"
FILLER = st.sampled_from(
    ["the", "report", "said", "on", "stage", "organisers", "met", "after", "lunch", "它", "了"]
)
GLUE = st.sampled_from([" ", ", ", "'s ", "’s ", "s ", "es ", "\n", "-", "/", "。", "\u200b"])


def forms(value: str) -> st.SearchStrategy[str]:
    stripped = "".join(c for c in nfd(value) if not unicodedata.combining(c))
    return st.sampled_from([value, value.upper(), nfd(value), stripped, value.title()])


names = st.lists(
    st.text(st.sampled_from(NAME_LETTERS), min_size=3, max_size=6), min_size=1, max_size=3
).map(" ".join)
han_names = st.text(st.sampled_from("王小明李华张伟"), min_size=2, max_size=3)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.one_of(names, han_names))
def test_after_redaction_no_folded_form_of_the_name_or_its_words_is_left(
    data: st.DataObject, name: str
) -> None:
    piece = st.one_of(FILLER, forms(name), *(forms(w) for w in name.split()))
    text = "".join(
        p + g for p, g in data.draw(st.lists(st.tuples(piece, GLUE), min_size=1, max_size=10))
    )
    matcher = Matcher([name])
    out = matcher.redact(text)
    folded = fold_text(out)
    assert fold_text(name) not in folded
    for word in name.split():
        assert fold_text(word) not in folded
    assert not matcher.occurs(out)
    assert matcher.redact(out) == out  # idempotent
