"""Where a person's names and identifiers occur in text: the one matcher (SPEC section 3).

Expunge uses it to redact and to verify that nothing it removed is left; `report`,
`export`, `lookup` and `screen` to redact what leaves the committee; the commit-msg
hook to find names in a message. Pure: no I/O but reading the packaged word list once.

**Folding.** Text and values are compared folded: compatibility-decomposed (NFKD),
case-folded, combining marks dropped (`José Müller` and its NFD form both read `jose
muller`), letters without a decomposition mapped to their base (ł, ø, đ, æ, œ, ı...),
typographic apostrophes and hyphens made plain, invisible format characters (zero-width
spaces, soft hyphens) dropped, and a text holding any is searched again reading them as
spaces (they hide a word, or part two). Whatever is equal under NFKC and case-folding is
equal folded, so one comparison covers both. A name written with ä, ö or ü also matches
spelled with ae, oe, ue (`Mueller`).

**What matches.**
- An identifier, where it touches no other letter or digit; an email also with any `+tag`
  in its local part (`jose+coc@example.org`), and before a longer domain (`.uk`).
- A name: whole, its words separated by spaces, hyphens, dots, commas or nothing (`janedoe`).
- Each word of a name (a name's letters, split where the script changes):
  - in a script written without spaces between words (Han, kana, Hangul, Thai, Lao,
    Khmer, Myanmar, Tibetan...): anywhere, with no word boundary (`王小明已道歉`), when it
    has two or more characters;
  - in any other script, as a whole word, also inflected (`Müller's`, `Müller’s`,
    `Müllers`, `Joneses`): a word of three letters or more always; a word of two letters
    (`Li`) unless it is a common English word (`An`, `Do`, `Oh`); one letter (an initial)
    never alone;
  - a word under three letters also right beside another word of the same name, in
    either order (`An Nguyen`, `Nguyen, An`).
- A name word that is also a common English word (`Will`, `Mark`, `Best`), found alone, is
  a hit marked `common`: redaction removes it all the same; the commit-msg hook counts it
  only beside another part of the same person (cocrec.message_check).

The patterns are built once per matcher, when first needed: a cheap test on the folded
text (`might_occur`: a substring every match holds, or a name word standing as a word)
spares compiling them where nothing can match, which is most records for most texts.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

MARKER = "[redacted]"
MIN_ALONE = 3
"""A name word this long or longer matches alone, common word or not."""

Part = Literal["whole", "word", "pair"]

# Letters that carry no decomposition, so NFKD cannot take their accent off.
_BASE = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ŀ": "l",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
    "ĸ": "k",
}
_APOSTROPHES = "\u2018\u2019\u201b\u02bc\u02bb\u2032\u00b4`"
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212\u2043"
_GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue"}

# Scripts written without spaces between words, and Hangul, where particles join names (김민수는).
_NOSPACE_RANGES = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u0f00-\u0fff"  # Tibetan
    "\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff"  # Myanmar
    "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff"  # Hangul
    "\u1780-\u17ff\u19e0-\u19ff"  # Khmer
    "\u1b00-\u1b7f\ua980-\ua9df"  # Balinese, Javanese
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c"  # CJK radicals, ideographic marks
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ua000-\ua4cf"  # Han, Yi
    "\U00020000-\U0003ffff"
)


@functools.cache
def _nospace() -> re.Pattern[str]:
    """The class of those scripts, compiled when first asked for (a few milliseconds at start-up)."""
    return re.compile(f"[{_NOSPACE_RANGES}]")


@functools.cache
def _token() -> re.Pattern[str]:
    """A run of those scripts' characters, or a word of others (WordSet's tokens)."""
    return re.compile(f"[{_NOSPACE_RANGES}]+|(?:(?![{_NOSPACE_RANGES}])\\w)+")


# A letter (digit) that a word (identifier) may not touch. Indic vowel signs are not letters to
# `re`, so their blocks are listed. Where a script without spaces meets another, folding puts a
# SEPARATOR, so "Müller先生" still finds Müller (cheaper to compile than a class without them).
_LETTER = "(?:[^\\W\\d_]|[\u0900-\u0dff])"
_ALNUM = "(?:[^\\W_]|[\u0900-\u0dff])"
SEPARATOR = "\x00"
_LETTERS = re.compile(r"[^\W\d_]+")
_INFLECTION = "(?:e?s)?"
_NAME_GAP = r"[\s,.\-_\x00]*"
_PAIR_GAP = r"(?:\s*[,\-]\s*|\s+)"


# -- folding ------------------------------------------------------------------------------------


@functools.cache
def fold_char(char: str) -> str:
    """One character folded (see the module docstring); "" for a mark or an invisible character."""
    if char in _APOSTROPHES:
        return "'"
    if char in _HYPHENS:
        return "-"
    if _invisible(char):
        return ""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    plain = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me"))
    return "".join(_BASE.get(c, c) for c in plain)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


def has_invisible(text: str) -> bool:
    """Zero-width spaces and the like: inside a word they hide it, between words they part them
    (Thai uses them so), so such a text is searched both ways."""
    return not text.isascii() and any(_invisible(c) for c in text)


class _Table(dict[int, str]):
    """str.translate's table, filled as characters are met: folding runs at C speed once warm."""

    def __missing__(self, key: int) -> str:
        value = self[key] = fold_char(chr(key))
        return value


_TABLE = _Table()


def fold_text(text: str) -> str:
    """`text` folded, without positions: for tests and look-ups that need no span."""
    return text.lower() if text.isascii() else text.translate(_TABLE)


@dataclass(frozen=True)
class Folded:
    """A text and its folded form, with where each folded character came from (None: one to one)."""

    text: str
    folded: str
    sources: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text folded into folded[start:end], with its trailing marks."""
        if self.sources is None:
            return start, end
        first, last = self.sources[start], self.sources[end - 1] + 1
        while last < len(self.text) and not fold_char(self.text[last]):
            last += 1
        return first, last


def fold(text: str, spaced: bool = False) -> Folded:
    """`text` folded, with positions; `spaced`: invisible characters read as spaces, not nothing."""
    if text.isascii():
        return Folded(text, text.lower())
    pieces: list[str] = []
    sources: list[int] = []
    last = (
        ""  # the class of the last letter folded: "n" a script without spaces, "l" another, "" none
    )
    for index, char in enumerate(text):
        piece = " " if spaced and _invisible(char) else fold_char(char)
        if piece:
            kind = _letter_class(piece[0])
            if kind and last and kind != last:
                pieces.append(SEPARATOR)
                sources.append(index)
            last = _letter_class(piece[-1])
        pieces.append(piece)
        sources.extend([index] * len(piece))
    return Folded(text, "".join(pieces), tuple(sources))


def _letter_class(char: str) -> str:
    if not char.isalpha():
        return ""
    return "n" if _nospace().match(char) else "l"


def fold_name(value: str) -> str:
    """A name folded with its whitespace collapsed: how names are compared for look-ups."""
    return " ".join(fold_text(value).split())


# -- common words -------------------------------------------------------------------------------


@functools.cache
def common_words() -> frozenset[str]:
    """The packaged list of common English words (cocrec/data/common-words.txt), folded."""
    text = resources.files("cocrec").joinpath("data/common-words.txt").read_text(encoding="utf-8")
    return frozenset(
        fold_text(line.strip())
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def is_common(word: str) -> bool:
    """A common English word, or a simple inflection of one (the list holds base forms: "does" is "do")."""
    folded = fold_text(word)
    words = common_words()
    if folded in words:
        return True
    for suffix in ("'s", "’s", "es", "s"):
        if (
            folded.endswith(suffix)
            and len(folded) > len(suffix) + 1
            and folded[: -len(suffix)] in words
        ):
            return True
    return False


# -- what a value looks like folded -------------------------------------------------------------


def name_words(name: str) -> list[str]:
    """The folded words of a name: its letters, split also where a script without spaces starts
    or ends."""
    words: list[str] = []
    for run in _LETTERS.findall(fold_text(name)):
        words += [
            m.group(0) for m in re.finditer(f"[{_NOSPACE_RANGES}]+|[^{_NOSPACE_RANGES}]+", run)
        ]
    return words


def unspaced(word: str) -> bool:
    return bool(_nospace().match(word))


def spellings(value: str) -> set[str]:
    """A value folded, and folded again with ä, ö, ü spelled ae, oe, ue."""
    found = {fold_text(value)}
    composed = unicodedata.normalize("NFC", value.casefold())
    if any(c in composed for c in _GERMAN):
        found.add(fold_text("".join(_GERMAN.get(c, c) for c in composed)))
    return {s for s in found if s.strip()}


def _email_body(value: str) -> str | None:
    """An email's pattern, with any +tag; a longer domain (example.org.uk) still holds the value."""
    local, at, domain = value.rpartition("@")
    base = local.split("+", 1)[0]
    if not at or not base or not domain:
        return None
    return f"{re.escape(base)}(?:\\+[^\\s@]*)?@{re.escape(domain)}"


# -- the matcher ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One occurrence: its span in the original text, and what it is (never the value to print)."""

    start: int
    end: int
    label: str
    """"name", or the identifier's kind as given ("email", "username", "url", "contact", ...)."""
    part: Part
    """"whole" value, one "word" of a name, or a "pair" of name words side by side."""
    word: str
    """The folded value or name word that matched."""
    common: bool = False
    """A single name word that is also a common English word."""


Edges = Literal["identifier", "name", "free"]
_EDGES: dict[Edges, tuple[str, str]] = {
    "identifier": (f"(?<!{_ALNUM})", f"(?!{_ALNUM})"),
    "name": (f"(?<!{_LETTER})", f"{_INFLECTION}(?!{_LETTER})"),
    "free": ("", ""),  # words of scripts without spaces
}


@dataclass(frozen=True)
class _Pattern:
    body: str
    """The pattern without its edges: patterns sharing edges are compiled as one group (Python's
    compiler is slow, and the edges are most of each pattern)."""
    edges: Edges
    needle: str
    """A folded literal every match contains: the substring pre-test."""
    label: str
    part: Part
    word: str
    common: bool = False


class Matcher:
    """Every form of some names and identifiers (typically one person's, or one expunge step's)."""

    def __init__(
        self, names: Iterable[str] = (), identifiers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self._names = tuple(n for n in names if n.strip())
        self._identifiers = tuple((label, v) for label, v in identifiers if v.strip())
        # Built eagerly, and cheaply: most texts are tested against most matchers only this way.
        substrings = {n for _, v in self._identifiers for n in _identifier_needles(v)}
        words: set[str] = set()
        for name in self._names:
            _name_needles(name, substrings, words)
        self._substrings = frozenset(substrings)
        self._words = frozenset(words)

    def __bool__(self) -> bool:
        return bool(self._names or self._identifiers)

    @functools.cached_property
    def _patterns(self) -> list[_Pattern]:
        patterns: dict[tuple[str, Edges], _Pattern] = {}
        for label, value in self._identifiers:
            for pattern in _identifier_patterns(label, value):
                patterns.setdefault((pattern.body, pattern.edges), pattern)
        for name in self._names:
            for pattern in _name_patterns(name):
                patterns.setdefault((pattern.body, pattern.edges), pattern)
        # Identifiers first, then longest first: at one position an email wins over a name in it,
        # and a whole name over its words.
        order: list[Edges] = ["identifier", "name", "free"]
        return sorted(
            patterns.values(),
            key=lambda p: (order.index(p.edges), -len(p.word), p.part != "whole", p.body),
        )

    def might_occur(self, folded: str) -> bool:
        """False only when nothing can match in this folded text (see `fold_text`): a substring
        every match contains, or a name word standing as a word ("Rep" is not in "report")."""
        return any(n in folded for n in self._substrings) or any(
            w in folded and _stands_in(w, folded) for w in self._words
        )

    @functools.cached_property
    def _regex(self) -> re.Pattern[str] | None:
        if not self._patterns:
            return None
        groups = []
        for edges, (start, end) in _EDGES.items():
            alternatives = [
                f"(?P<p{n}>{p.body})" for n, p in enumerate(self._patterns) if p.edges == edges
            ]
            if alternatives:
                groups.append(f"{start}(?:{'|'.join(alternatives)}){end}")
        return re.compile("|".join(groups))

    def hits(self, text: str) -> list[Hit]:
        """Every occurrence in `text`, leftmost first, never overlapping, never across or inside
        a [redacted] marker."""
        found: list[Hit] = []
        offset = 0
        for part in text.split(MARKER):
            found += self._part_hits(part, offset)
            offset += len(part) + len(MARKER)
        return found

    def _part_hits(self, text: str, offset: int) -> list[Hit]:
        if not text:
            return []
        if not self.might_occur(fold_text(text)) and not (
            has_invisible(text) and self.might_occur(fold(text, spaced=True).folded)
        ):
            return []
        found = self._search(fold(text), offset)
        if not found and has_invisible(text):
            found = self._search(fold(text, spaced=True), offset)
        return found

    def _search(self, folded: Folded, offset: int) -> list[Hit]:
        regex = self._regex
        assert regex is not None
        found = []
        for match in regex.finditer(folded.folded):
            if match.end() == match.start():
                continue
            pattern = self._patterns[int(str(match.lastgroup)[1:])]
            start, end = folded.span(match.start(), match.end())
            # An inflected form that is itself an ordinary word ("does" for a subject called Doe)
            # counts as a common word: it is redacted, but names nobody on its own.
            common = pattern.common or (
                pattern.part == "word"
                and match.group(0) != pattern.word
                and is_common(match.group(0))
            )
            found.append(
                Hit(offset + start, offset + end, pattern.label, pattern.part, pattern.word, common)
            )
        return found

    def occurs(self, text: str) -> bool:
        return bool(self.hits(text))

    def redact(self, text: str) -> str:
        """Each occurrence replaced with [redacted], until nothing changes (taking one value
        out can leave another whole)."""
        while True:
            hits = self.hits(text)
            if not hits:
                return text
            text = replace(text, hits)


def replace(text: str, hits: Sequence[Hit | tuple[int, int]]) -> str:
    """`text` with each (non-overlapping, ordered) span replaced by the marker."""
    pieces = []
    last = 0
    for hit in hits:
        start, end = (hit.start, hit.end) if isinstance(hit, Hit) else hit
        pieces += [text[last:start], MARKER]
        last = end
    return "".join(pieces) + text[last:]


def _identifier_needles(value: str) -> set[str]:
    """What every match of the identifier contains: for an email, its local part without a +tag,
    then "@" or "+"."""
    found = set()
    for folded in spellings(value.strip()):
        base = folded.rpartition("@")[0].split("+", 1)[0]
        found |= {base + "@", base + "+"} if _email_body(folded) else {folded}
    return found


def _name_needles(name: str, substrings: set[str], words: set[str]) -> None:
    """What every match of the name has: one of its words standing as a word, or, where its first
    two words are run together ("janedoe"), those two; words of scripts without spaces anywhere."""
    for spelling in spellings(name.strip()):
        found = name_words(spelling)
        if not found:
            substrings.add(spelling)
        for word in found:
            (substrings if unspaced(word) else words).add(word)
        if len(found) > 1:
            substrings.add(found[0] + found[1])


def _stands_in(word: str, folded: str) -> bool:
    """`word` occurs in `folded` not touching another letter (inflected: +s, +es), as the patterns'
    edges want; a letter of a script without spaces is no letter here (folding sets them apart)."""
    start = folded.find(word)
    while start != -1:
        end = start + len(word)
        for suffix in ("", "s", "es"):
            after = end + len(suffix)
            edges = not _is_letter(folded, start - 1) and not _is_letter(folded, after)
            if edges and folded.startswith(suffix, end):
                return True
        start = folded.find(word, start + 1)
    return False


def _is_letter(text: str, index: int) -> bool:
    if index < 0 or index >= len(text):
        return False
    char = text[index]
    return char.isalpha() and not _nospace().match(char)


def _identifier_patterns(label: str, value: str) -> list[_Pattern]:
    patterns = []
    for folded in (fold(f).folded for f in spellings(value.strip())):  # separators, as in text
        email = _email_body(folded) if "@" in folded else None
        needle = folded.rpartition("@")[0].split("+", 1)[0] if email else folded
        body = email or re.escape(folded)
        patterns.append(_Pattern(body, "identifier", needle, label, "whole", folded))
    return patterns


def _name_patterns(name: str) -> list[_Pattern]:
    patterns: list[_Pattern] = []
    for spelling in spellings(name.strip()):
        words = name_words(spelling)
        if not words:  # no letters at all: taken as written
            patterns.append(
                _Pattern(re.escape(spelling), "identifier", spelling, "name", "whole", spelling)
            )
            continue
        body = _NAME_GAP.join(re.escape(w) for w in words)
        edges: Edges = "free" if any(unspaced(w) for w in words) else "name"
        alone = len(words) == 1 and words[0] in common_words()  # "Will" as the whole name
        patterns.append(
            _Pattern(body, edges, max(words, key=len), "name", "whole", spelling, alone)
        )
        for word in dict.fromkeys(words):
            patterns += _word_patterns(word, [w for w in words if w != word])
    return patterns


def _word_patterns(word: str, others: Sequence[str]) -> list[_Pattern]:
    if unspaced(word):
        return (
            [_Pattern(re.escape(word), "free", word, "name", "word", word)]
            if len(word) >= 2
            else []
        )
    common = word in common_words()
    found = []
    if len(word) >= MIN_ALONE or (len(word) == 2 and not common):
        weak = common and len(word) >= MIN_ALONE
        found.append(_Pattern(re.escape(word), "name", word, "name", "word", word, weak))
    if len(word) < MIN_ALONE:
        for other in dict.fromkeys(o for o in others if not unspaced(o)):
            needle = max(word, other, key=len)
            for first, second in ((word, other), (other, word)):
                body = f"{re.escape(first)}{_PAIR_GAP}{re.escape(second)}"
                found.append(_Pattern(body, "name", needle, "name", "pair", f"{first} {second}"))
    return found


# -- many people at once ------------------------------------------------------------------------


class WordSet:
    """The name words and single-word identifiers (bare handles) of many people, looked up word by
    word: linear in the text whatever the number of people (one pattern of every value held would
    be slow for thousands of records). Same folding, inflections and word rules as `Matcher`."""

    def __init__(self, names: Iterable[str] = (), handles: Iterable[str] = ()) -> None:
        spaced: set[str] = set()
        joined: set[str] = set()
        for name in names:
            for spelling in spellings(name):
                for word in name_words(spelling):
                    if unspaced(word):
                        joined.update([word] if len(word) >= 2 else [])
                    elif len(word) >= MIN_ALONE or (len(word) == 2 and word not in common_words()):
                        spaced.add(word)
        self.words = frozenset(
            spaced | {h for handle in handles for h in spellings(handle) if re.fullmatch(r"\w+", h)}
        )
        self.unspaced = tuple(sorted(joined, key=lambda w: (-len(w), w)))

    def __contains__(self, token: str) -> bool:
        words = self.words
        return token in words or (
            token.endswith("s")
            and (token[:-1] in words or (token.endswith("es") and token[:-2] in words))
        )

    def redact(self, text: str) -> str:
        text = MARKER.join(self._redact(part, False) for part in text.split(MARKER))
        if has_invisible(text):
            text = MARKER.join(self._redact(part, True) for part in text.split(MARKER))
        return text

    def _redact(self, text: str, spaced: bool) -> str:
        folded = fold(text, spaced)
        spans = []
        for token in _token().finditer(folded.folded):
            if unspaced(token.group(0)):
                spans += [
                    (token.start() + s, token.start() + e) for s, e in self._within(token.group(0))
                ]
            elif token.group(0) in self:
                spans.append(token.span())
        return replace(text, [folded.span(s, e) for s, e in spans])

    def _within(self, run: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        position = 0
        while position < len(run):
            word = next((w for w in self.unspaced if run.startswith(w, position)), None)
            if word is None:
                position += 1
            else:
                spans.append((position, position + len(word)))
                position += len(word)
        return spans
