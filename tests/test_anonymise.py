"""Redaction of text that leaves the committee (cocrec.anonymise), pure. Every person here is invented."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec.anonymise import (
    PLACEHOLDER,
    anonymise,
    known_words,
    pii_of,
    redact,
    redact_words,
    scrub,
)
from cocrec.model import Reporter, Subject

JANE = pii_of(
    [
        Subject(
            name="Jane Doe",
            emails=("jane@example.org",),
            usernames=("github:janedoe",),
            urls=("https://example.org/~jane",),
        )
    ]
)
JOHN = pii_of(
    [Subject(name="John Doe", emails=("john@example.org",))],
    Reporter("public", "Sam Reporter", "sam@example.org"),
)


def test_values_their_name_words_bare_usernames_and_schemeless_urls_go() -> None:
    text = "JANE DOE (Jane@Example.org, @janedoe, example.org/~jane) met Doe again; Janet stays."
    assert (
        redact(text, JANE)
        == f"{PLACEHOLDER} ({PLACEHOLDER}, @{PLACEHOLDER}, {PLACEHOLDER}) met {PLACEHOLDER} again; Janet stays."
    )


def test_kept_values_stay_whole_even_where_another_name_word_matches_inside() -> None:
    text = "Jane Doe and John Doe wrote to sam@example.org and https://example.net/x, cc @someone; Sam Reporter saw it."
    assert anonymise(text, JOHN, keep=JANE) == (
        f"Jane Doe and {PLACEHOLDER} wrote to {PLACEHOLDER} and {PLACEHOLDER}, cc {PLACEHOLDER}; {PLACEHOLDER} saw it."
    )
    assert (
        scrub("mail jane@example.org or https://example.org/~jane/", keep=JANE)
        == "mail jane@example.org or https://example.org/~jane/"
    )


def test_word_sets_redact_names_of_many_records_at_once() -> None:
    words = known_words(JANE | JOHN)
    assert (
        all(word in words for word in ("jane", "doe", "john", "sam", "janedoe", "does"))
        and "github" not in words
    )
    assert redact_words("Jane met JOHN on GitHub, as janedoe; Janet stays.", words) == (
        f"{PLACEHOLDER} met {PLACEHOLDER} on GitHub, as {PLACEHOLDER}; Janet stays."
    )


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)


@settings(max_examples=80, deadline=None)
@given(first=words, last=words, host=words, filler=st.lists(words, max_size=6))
def test_no_value_survives(first: str, last: str, host: str, filler: list[str]) -> None:
    name = f"{first.title()} {last.title()}"
    subject = Subject(
        name=name,
        emails=(f"{first}.{last}@{host}.org",),
        usernames=(f"github:{first}{last}",),
        urls=(f"https://{host}.org/~{first}",),
    )
    values = [name, *subject.emails, *subject.usernames, *subject.urls]
    text = " ".join([*filler, *(v.upper() for v in values), *filler, first, last])
    out = anonymise(text, pii_of([subject])).casefold()
    for value in values:
        assert value.casefold() not in out
    for word in (first, last):
        assert f" {word} " not in f" {out} "
