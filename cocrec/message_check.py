"""Does a commit message name anyone in the records? The commit-msg hook's core, pure.

Each person of a record (its reporter, each subject entry not expunged) is matched
with cocrec.matcher, the matcher redaction uses, so every form expunge removes is
found here too (accents, case, +tags, inflections, names in scripts without spaces).

- An identifier (email, username, url, contact) blocks alone.
- A name, whole, or a pair of its words side by side, blocks alone.
- A word of a name blocks alone, unless it is also a common English word (the list
  shipped in cocrec/data): "will review next week" passes when a subject is Will Grant,
  "best practices" when one is Mark Best. Such a word blocks only where another part
  of the same person is also in the message: another word of that name, or one of that
  person's identifiers ("Will, see grant@example.org" or "Will and Grant").

A finding says which kind of thing matched (a subject's name, the reporter's email...),
never the value. cocrec's own messages (`expunge --commit`) always pass: they are
recognised by their shape, which has room for record ids, code names, step names, counts
and a date only, so a name like "Sam Reporter" cannot stop them.

A record's code name (cocrec.codenames) names nobody, so a message may use it: each code
name of the repository is read as its record's id before the message is checked, and a
name word that happens to be a code word ("Rose" in "rose garden") stops nothing there. A
code name that is also a person's name in the records (two words of it side by side: drawn
by chance, or planted in an index edited by hand) is not read as an id (`not_names`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .matcher import Hit, Matcher, fold_text
from .redact import identifier_forms

ROLES = {"reporter": "the reporter", "subjects": "a subject"}
_ID = r"[0-9]{4}-[0-9a-hjkmnp-tv-z]{4}"
_STEPS = r"(?:reporter|subjects)(?:, (?:reporter|subjects))?"
_EXPUNGE = re.compile(
    rf"Expunge personal data from [0-9]+ record\(s\)\n\n(?:{_ID}(?: \({_ID}\))?: {_STEPS}\n)+"
    r"\nAs of [0-9]{4}-[0-9]{2}-[0-9]{2}, by cocrec expunge\.\s*"
)


# -- cocrec's own messages ------------------------------------------------------------------------


def expunge_message(
    steps: Mapping[str, Sequence[str]], as_of: dt.date, code_names: Mapping[str, str | None] = {}
) -> str:
    """`cocrec expunge --commit`'s message: record ids, their code names and step names only."""
    lines = [
        f"{rid}{f' ({code_names[rid]})' if code_names.get(rid) else ''}: {', '.join(names)}"
        for rid, names in sorted(steps.items())
    ]
    head = f"Expunge personal data from {len(steps)} record(s)"
    return f"{head}\n\n" + "\n".join(lines) + f"\n\nAs of {as_of.isoformat()}, by cocrec expunge.\n"


def is_own(message: str, code_names: Mapping[str, str] = {}) -> bool:
    """A message cocrec wrote, by its whole shape (nothing else fits in it); `code_names` as in `check`."""
    return _EXPUNGE.fullmatch(as_ids(message, code_names).strip() + "\n") is not None


_WORD = re.compile(r"[^\W\d_]+")
_BETWEEN = re.compile(r"[\s_-]+")


def as_ids(message: str, code_names: Mapping[str, str]) -> str:
    """The message with each code name (code name -> record id; any case, its words apart by spaces,
    `-` or `_`) replaced by its record's id."""
    if not code_names:
        return message
    words = list(_WORD.finditer(message))
    out, pos, i = [], 0, 0
    while i + 1 < len(words):
        first, second = words[i], words[i + 1]
        rid = code_names.get(f"{first[0].lower()} {second[0].lower()}")
        if rid is not None and _BETWEEN.fullmatch(message, first.end(), second.start()):
            out += [message[pos : first.start()], rid]
            pos, i = second.end(), i + 2
        else:
            i += 1
    return "".join(out) + message[pos:]


# -- people --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    role: str
    """"the reporter" or "a subject"."""
    matcher: Matcher


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _contact_label(value: str) -> str:
    return "email" if "@" in value else "contact"


def _reporter(doc: Mapping[str, Any], with_names: bool = True) -> Person | None:
    reporter = doc.get("reporter")
    if not isinstance(reporter, Mapping) or "reporter" in (doc.get("expunged") or {}):
        return None
    name, contact = reporter.get("name"), reporter.get("contact")
    names = [name] if isinstance(name, str) and with_names else []
    ids = [(_contact_label(contact), contact)] if isinstance(contact, str) else []
    return Person(ROLES["reporter"], Matcher(names, ids))


def _subject(subject: Mapping[str, Any], with_names: bool = True) -> Person:
    name = subject.get("name")
    ids: list[tuple[str, str]] = []
    for field, label in (("emails", "email"), ("usernames", "username"), ("urls", "url")):
        for value in _strings(subject.get(field)):
            ids += [(label, form) for form in identifier_forms(field, value.strip())]
    return Person(
        ROLES["subjects"], Matcher([name] if isinstance(name, str) and with_names else [], ids)
    )


def people(doc: Any, with_names: bool = True) -> list[Person]:
    """The record's reporter and each subject entry still holding data, each with a matcher (of their
    identifiers only, without `with_names`)."""
    if not isinstance(doc, Mapping):
        return []
    found = [p for p in [_reporter(doc, with_names)] if p is not None]
    subjects = doc.get("subjects") if "subjects" not in (doc.get("expunged") or {}) else None
    for subject in subjects if isinstance(subjects, list) else []:
        if isinstance(subject, Mapping) and subject.get("expunged") is not True:
            found.append(_subject(subject, with_names))
    return [p for p in found if p.matcher]


# -- the check -------------------------------------------------------------------------------------


def blocking(hits: Sequence[Hit]) -> list[Hit]:
    """The hits of one person that block: all of them, unless every one is the same common word."""
    if any(not hit.common for hit in hits) or len({hit.word for hit in hits}) > 1:
        return list(hits)
    return []


def _what(role: str, hits: Iterable[Hit]) -> list[str]:
    return [f"{role}'s {label}" for label in dict.fromkeys(hit.label for hit in hits)]


def named_in(message: str, doc: Any, folded: str | None = None) -> list[str]:
    """What of this record's people the message holds ("a subject's email", "the reporter's
    name")."""
    folded = fold_text(message) if folded is None else folded
    found: list[str] = []
    for person in people(doc):
        if person.matcher.might_occur(folded):
            found += _what(person.role, blocking(person.matcher.hits(message)))
    return list(dict.fromkeys(found))


def check(
    message: str, docs: Mapping[str, Sequence[Any]], code_names: Mapping[str, str] = {}
) -> dict[str, list[str]]:
    """Record id -> what the message holds of its people (every version given); only records hit.
    `code_names` (code name -> record id) may appear freely, but for one that is also a person's name.
    """
    message = as_ids(message, not_names(code_names, docs))
    if is_own(message):
        return {}
    folded = fold_text(message)
    found: dict[str, list[str]] = {}
    for rid, versions in sorted(docs.items()):
        what = list(dict.fromkeys(w for doc in versions for w in named_in(message, doc, folded)))
        if what:
            found[rid] = what
    return found


def not_names(code_names: Mapping[str, str], docs: Mapping[str, Sequence[Any]]) -> dict[str, str]:
    """The code names that are no person's name in the records (its two words side by side in a
    reporter's or subject's name): such a code name, drawn by chance or written into the index by
    hand, is checked as the name it also is."""
    if not code_names:
        return {}
    pairs: set[str] = set()
    for versions in docs.values():
        for doc in versions:
            for name in _names(doc):
                words = _WORD.findall(fold_text(name))
                pairs |= {f"{a} {b}" for a, b in zip(words, words[1:])}
    return {name: rid for name, rid in code_names.items() if fold_text(name) not in pairs}


def _names(doc: Any) -> list[str]:
    if not isinstance(doc, Mapping):
        return []
    reporter = doc.get("reporter")
    found = [reporter.get("name")] if isinstance(reporter, Mapping) else []
    subjects = doc.get("subjects")
    for subject in subjects if isinstance(subjects, list) else []:
        if isinstance(subject, Mapping):
            found.append(subject.get("name"))
    return [name for name in found if isinstance(name, str)]


def identifiers_in(text: str, docs: Mapping[str, Sequence[Any]]) -> dict[str, list[str]]:
    """Record id -> which identifiers (emails, usernames, urls, contacts: never names) of its people
    `text` holds: what a file in the tree may never hold (names there are ordinary words too often)."""
    folded = fold_text(text)
    found: dict[str, list[str]] = {}
    for rid, versions in sorted(docs.items()):
        what: list[str] = []
        for doc in versions:
            for person in people(doc, with_names=False):
                if person.matcher.might_occur(folded):
                    what += _what(person.role, person.matcher.hits(text))
        if what:
            found[rid] = list(dict.fromkeys(what))
    return found
