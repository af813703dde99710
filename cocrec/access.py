"""Who may open a record (SPEC section 11): every current member but those left out of it.

Pure. A record leaves out the union of three sets, each of current members only:

- recused: the record's own `recused` list (a conflict of interest, declared by the committee);
- named: members whose own identifiers (members.yaml `identifiers`) the record's reporter contact or
  subjects carry, normalised as cocrec.people normalises subjects', or whose identifiers belong to the
  same person as one of its subjects across the records (cocrec.people's groups): a report about a
  committee member;
- pending: members who joined under `access.onboarding: declare` and are not yet cleared for the
  records written before they joined (members.yaml `pending`).

This set is what the index's signed `excluded` field holds, what the store encrypts to (current
members minus it) and what `check --no-decrypt` compares each age header against.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from . import trust
from .errors import UsageError
from .model import Member, Members, Record, Subject
from .people import PeopleIndex, identifiers, query_identifiers

Kind = Literal["email", "username", "url"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:+-]*")


def classify(value: str) -> Kind | None:
    """What an identifier given on the command line is: an email, a url, a username, or none of these."""
    if _EMAIL.fullmatch(value):
        return "email"
    if _URL.fullmatch(value):
        return "url"
    if _USERNAME.fullmatch(value):
        return "username"
    return None


def with_identifiers(member: Member, values: Iterable[str]) -> Member:
    """The member with these identifiers added (each classified); refuses one that is none of the three."""
    found: dict[Kind, list[str]] = {
        "email": list(member.identifiers.emails),
        "username": list(member.identifiers.usernames),
        "url": list(member.identifiers.urls),
    }
    for position, value in enumerate(values, 1):
        kind = classify(value)
        if kind is None:
            raise UsageError(
                f"--identifier #{position}: not an email (name@domain), a url (https://...) or a username "
                "(like github:janedoe, no spaces): give one of those"
            )
        if value not in found[kind]:
            found[kind].append(value)
    own = Subject(
        emails=tuple(found["email"]), usernames=tuple(found["username"]), urls=tuple(found["url"])
    )
    return Member(member.id, member.name, member.keys, member.since, own)


@functools.lru_cache(maxsize=1024)
def member_identifiers(member: Member) -> frozenset[str]:
    """A member's own identifiers, normalised (asked of every member for every record: kept)."""
    return identifiers(member.identifiers)


def record_identifiers(record: Record) -> frozenset[str]:
    """Every normalised identifier the record's reporter contact and subjects carry."""
    found: set[str] = set()
    if record.reporter.contact:
        found |= query_identifiers(record.reporter.contact)
    for subject in record.subjects:
        found |= identifiers(subject)
    return frozenset(found)


Linked = Mapping[
    str, frozenset[str]
]  # record id -> members its subjects are, through same-person groups
NO_LINKS: Linked = {}


def linked_members(records: Sequence[Record], members: Members) -> Linked:
    """Per record, the members one of its subjects is the same person as (cocrec.people), across
    `records`: a subject listed with a member's email in one record and with another identifier in a
    second names the member in both. Empty (and free) when no member lists identifiers."""
    listing = [m for m in members.current if member_identifiers(m)]
    if not listing:
        return NO_LINKS
    people = PeopleIndex.build(records)
    found: dict[str, set[str]] = defaultdict(set)
    for member in listing:
        own = member.identifiers
        for value in (*own.emails, *own.usernames, *own.urls):
            for rid, _ in people.find(value):
                found[rid].add(member.id)
    return {rid: frozenset(ids) for rid, ids in found.items()}


_listed: list[tuple[Members, list[tuple[str, frozenset[str]]]]] = []  # the last members asked about


def _listing(members: Members) -> list[tuple[str, frozenset[str]]]:
    """Each current member who lists identifiers, with them (asked for every record: kept for the
    last `members`, which a command reads once)."""
    if not _listed or _listed[0][0] is not members:
        _listed[:] = [
            (members, [(m.id, own) for m in members.current if (own := member_identifiers(m))])
        ]
    return _listed[0][1]


def named(record: Record, members: Members, linked: Linked = NO_LINKS) -> tuple[str, ...]:
    """The current members the record names (as reporter contact or subject), by their own identifiers."""
    listing = _listing(members)
    if not listing and not linked:
        return ()  # no member lists identifiers: nothing to compare (the usual case)
    carried = record_identifiers(record) if listing else frozenset()
    direct = {member_id for member_id, own in listing if own & carried}
    return tuple(sorted((direct | linked.get(record.id, frozenset())) & members.current_ids))


def pending_for(record_id: str, members: Members) -> frozenset[str]:
    """The pending members not yet cleared for this record (it was written before they joined)."""
    return frozenset(p.id for p in members.pending if record_id in p.records)


def excluded(record: Record, members: Members, linked: Linked = NO_LINKS) -> tuple[str, ...]:
    """The current members this record is not encrypted to, sorted."""
    left_out = (
        set(record.recused) | set(named(record, members, linked)) | pending_for(record.id, members)
    )
    return tuple(sorted(left_out & members.current_ids))


def carried(old: Iterable[str], record_id: str, members: Members) -> tuple[str, ...]:
    """A record's excluded set after a change of members, from its signed entry alone (no plaintext):
    former members drop out, members newly pending for it come in."""
    return tuple(sorted((set(old) | pending_for(record_id, members)) & members.current_ids))


def pending_missing(
    record_id: str, entry_excluded: Iterable[str], members: Members
) -> tuple[str, ...]:
    """Pending members an index entry does not exclude although members.yaml says it must (keyless)."""
    return tuple(sorted(pending_for(record_id, members) - set(entry_excluded)))


def readers(left_out: Iterable[str], members: Members) -> tuple[str, ...]:
    """The current members who may open a record leaving out `left_out`."""
    out = set(left_out)
    return tuple(m.id for m in members.current if m.id not in out)


def is_pending(member_id: str, members: Members) -> bool:
    return any(p.id == member_id for p in members.pending)


def limits(members: Members, salt: str) -> dict[str, trust.Limit]:
    """What keeps each current member from records in members.yaml (their `pending` records and own
    identifiers, normalised), as the salted digests trust.yaml's membership log signs."""
    pending = {p.id: p.records for p in members.pending}
    found = {}
    for member in members.current:
        records = pending.get(member.id)
        limit = trust.Limit(
            None if records is None else trust.salted(salt, "pending", "\n".join(sorted(records))),
            tuple(sorted(trust.salted(salt, "identifier", v) for v in member_identifiers(member))),
        )
        if limit != trust.NO_LIMIT:
            found[member.id] = limit
    return found


def widened_for_self(before: Members, after: Members, member_id: str) -> str | None:
    """What a change of members.yaml gives the member who signs it of records kept from them, or None.

    A pending member who deletes their own `pending` entry (or records from it), or a member who deletes
    one of their own identifiers (a report about them then stops naming them), would receive on the next
    write what the committee keeps from them: another member reviews and signs that change."""
    was = {p.id: set(p.records) for p in before.pending}
    now = {p.id: set(p.records) for p in after.pending}
    if member_id in was and was[member_id] - now.get(member_id, set()):
        return f"it clears you ({member_id}) for records written before you joined"
    old = next((m for m in before.current if m.id == member_id), None)
    new = next((m for m in after.current if m.id == member_id), None)
    if old is not None and new is not None and member_identifiers(old) - member_identifiers(new):
        return f"it removes identifiers of yours ({member_id}): reports naming them would reach you"
    return None
