"""Taking identifiers out of text that leaves the committee: transparency reports, access requests, look-ups.

Pure. What a person's values are, their variants (a username's bare handle,
a url without its scheme, each name word of 3+ letters) and what "occurs"
means come from cocrec.redact, the module expunge uses: one definition of
redaction. This module adds what text leaving the committee needs on top:

- `keep`: the values of the person the text is for (the requester of an
  access request, the matched person of a look-up) stay, even where another
  person's name word would match inside them;
- `scrub`: anything that merely looks like an email, a url or an @handle goes,
  whoever it belongs to;
- `known_words` / `redact_words`: the name words and handles of every record
  at once, as a `cocrec.matcher.WordSet` looked up word by word (one pattern
  of every value held would be slow for thousands of records).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .matcher import MARKER, Matcher, WordSet, fold_text
from .model import Reporter, Subject
from .redact import Pii, pii_values, redact_text

PLACEHOLDER = MARKER
NOBODY = Pii()
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>()\[\]{}\"']*[^\s<>()\[\]{}\"'.,;:!?]"
)
_HANDLE = re.compile(r"(?<![\w@])@\w(?:[\w.-]*\w)?")
_WORD = re.compile(r"\w+")
_MASK = "\ue000"  # private-use characters: neither letters nor digits, never in a record


def _subject_doc(subject: Subject) -> dict[str, Any]:
    return {
        "name": subject.name or "",
        "emails": list(subject.emails),
        "usernames": list(subject.usernames),
        "urls": list(subject.urls),
    }


def pii_of(subjects: Iterable[Subject] = (), reporter: Reporter | None = None) -> Pii:
    """The identifying values of these subject entries and this reporter, with their variants (cocrec.redact)."""
    doc: dict[str, Any] = {"subjects": [_subject_doc(s) for s in subjects if not s.expunged]}
    if reporter is not None:
        doc["reporter"] = {
            key: value
            for key, value in (("name", reporter.name), ("contact", reporter.contact))
            if value
        }
    return pii_values(doc, "reporter") | pii_values(doc, "subjects")


def _mask(text: str, keep: Pii) -> tuple[str, list[str]]:
    """Hide the kept values' whole occurrences (in any form the matcher finds) behind tokens, so
    nothing else's pattern can match inside them. (Their name words alone are not kept: "Doe" on
    its own may be another Doe.)"""
    kept: list[str] = []
    if not keep.values:
        return text, kept
    matcher = Matcher(keep.names, [("identifier", v) for v in keep.identifiers])
    whole = [h for h in matcher.hits(text) if h.part == "whole"]
    pieces = []
    last = 0
    for hit in whole:
        kept.append(text[hit.start : hit.end])
        pieces += [text[last : hit.start], f"{_MASK}{chr(0xE100 + len(kept) - 1)}{_MASK}"]
        last = hit.end
    return "".join(pieces) + text[last:], kept


def _unmask(text: str, kept: list[str]) -> str:
    for index, value in enumerate(kept):
        text = text.replace(f"{_MASK}{chr(0xE100 + index)}{_MASK}", value)
    return text


def redact(text: str, pii: Pii, keep: Pii = NOBODY) -> str:
    """Every occurrence of `pii` (cocrec.redact's rule) replaced with [redacted], except where `keep` occurs."""
    masked, kept = _mask(text, keep)
    return _unmask(redact_text(masked, pii.without(keep.values)), kept)


def scrub(text: str, keep: Pii = NOBODY) -> str:
    """Redact anything that looks like an email, a url or an @handle, except `keep`'s own."""
    kept = {fold_text(value).rstrip("/") for value in keep.values}

    def replace(match: re.Match[str]) -> str:
        plain = fold_text(match.group(0)).rstrip("/")
        return match.group(0) if plain in kept or plain.lstrip("@") in kept else PLACEHOLDER

    for pattern in (_EMAIL, _URL, _HANDLE):
        text = pattern.sub(replace, text)
    return text


def anonymise(text: str, pii: Pii, keep: Pii = NOBODY) -> str:
    """Whatever looks like an email, url or @handle first (whole), then `pii`'s values and name words."""
    return redact(scrub(text, keep), pii, keep)


def known_words(pii: Pii) -> WordSet:
    """The name words, and the identifiers that are single words (bare handles), as one word set."""
    return WordSet(pii.names, [v for v in pii.identifiers if _WORD.fullmatch(v)])


def redact_words(text: str, words: WordSet) -> str:
    """Replace each whole word found in `words` (inflected too): linear in the text, whatever
    the set's size."""
    return words.redact(text)
