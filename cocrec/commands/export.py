"""cocrec export QUERY: everything held about one person, for a subject access request.

The person is found as `lookup` finds them (cocrec.flags): by an email,
username or url through every record holding the same person, and through
`also_in` links. Only when no identifier matches does the query count as a
name, matched exactly (case and spacing aside), and the output says so: the
committee must confirm who is asking before it sends anything. Records where
someone of the same name shares no identifier are not included; stderr says
how many there are, so the committee can check them.

Each record gives its general facts, the person's own subject entry, the
outcome (with recommendations and the shareable summary), every disclosure
(when, to whom, what: recipients are the person's to know) and when their
data will be removed. It gives nothing about the reporter, and only the
number of other people named: their identifiers, the reporter's, and
anything else that looks like an email, url or @handle are redacted from
every text. The confidential summary and internal notes are not exported:
they tell the report as the reporter gave it; when a request needs them,
the committee reviews them by hand (`cocrec show`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .. import output, yaml_io
from ..anonymise import anonymise, pii_of
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..flags import Persons
from ..model import Record, Subject
from ..people import SubjectRef
from ..retention import RecordSchedule


def find_entries(persons: Persons, query: str) -> tuple[dict[SubjectRef, str], str]:
    """The person's subject entries and how they were found ("identifier" or "name")."""
    entries = persons.entries(query)
    if entries:
        return entries, "identifier"
    return {ref: "name" for ref in persons.people.find_name(query)}, "name"


def namesakes(persons: Persons, entries: Mapping[SubjectRef, str]) -> list[str]:
    """Records naming someone with a matched entry's name that hold none of the person's entries."""
    names = {persons.records[rid].subjects[i].name for rid, i in entries}
    found = {rid for name in names if name for rid, _ in persons.people.find_name(name)}
    return sorted(found - {rid for rid, _ in entries})


def own_entry(subject: Subject) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if subject.name:
        data["name"] = subject.name
    for key in ("emails", "usernames", "urls", "also_in"):
        if getattr(subject, key):
            data[key] = list(getattr(subject, key))
    return data


def kept_until(schedule: RecordSchedule | None) -> str:
    """When the person's data in this record goes (the subjects step)."""
    if schedule is None or schedule.steps is None:
        return "decided when the case is closed"
    step = schedule.steps["subjects"]
    if step.state == "done" and step.done_on is not None:
        return f"removed on {step.done_on.isoformat()}"
    if step.due is None:
        return "kept with no end date (policy: unidentified outcome or permanent ban)"
    return step.due.isoformat() + (
        " (held: a related case or review is pending)" if step.state == "held" else ""
    )


class Redactor:
    """Texts of one record as the person may see them: the reporter and everyone else taken out."""

    def __init__(self, record: Record, own: Sequence[int]) -> None:
        self.keep = pii_of([record.subjects[i] for i in own])
        self.hide = pii_of(
            [s for i, s in enumerate(record.subjects) if i not in own], record.reporter
        )

    def __call__(self, text: Any) -> str | None:
        return anonymise(str(text), self.hide, self.keep).strip() if text else None


def _action(doc: Mapping[str, Any], key: str, clean: Redactor) -> dict[str, Any]:
    action = doc.get(key) or {}
    data: dict[str, Any] = {"taken": bool(action.get("taken", False))}
    if action.get("description"):
        data["description"] = clean(action["description"])
    return data


def _outcome(record: Record, clean: Redactor) -> dict[str, Any] | None:
    outcome = record.outcome
    if outcome is None:
        return None
    data: dict[str, Any] = {"type": outcome.type, "decided_on": outcome.decided_on.isoformat()}
    if outcome.type == "banned":
        data["ban"] = (
            {"permanent": True}
            if outcome.ban_permanent
            else {"until": outcome.ban_until.isoformat() if outcome.ban_until else None}
        )
    for key in ("recommendations", "shareable_summary"):
        if getattr(outcome, key):
            data[key] = clean(getattr(outcome, key))
    return data


def record_export(
    record: Record, doc: Mapping[str, Any], own: Sequence[int], schedule: RecordSchedule | None
) -> dict[str, Any]:
    """One record as the person may receive it."""
    clean = Redactor(record, own)
    data: dict[str, Any] = {"id": record.id, "reported_on": record.reported_on.isoformat()}
    if record.event:
        data["event"] = clean(record.event)
    data.update(
        {
            "region": record.region,
            "categories": list(record.categories),
            "status": "open" if record.is_open else "closed",
        }
    )
    if record.channel:
        data["channel"] = record.channel
    data["your_entry"] = [own_entry(record.subjects[i]) for i in own]
    data["other_people_named"] = len(record.subjects) - len(own)
    data["action_by_committee"] = _action(doc, "action_by_committee", clean)
    data["action_by_local_rep"] = _action(doc, "action_by_local_rep", clean)
    data["outcome"] = _outcome(record, clean)
    data["disclosures"] = [
        {"on": d.on.isoformat(), "to": clean(d.to), "what": clean(d.what)}
        for d in record.disclosures
    ]
    data["your_data_kept_until"] = kept_until(schedule)
    return data


def subject_access(
    records: Mapping[str, Record],
    docs: Mapping[str, Mapping[str, Any]],
    schedules: Mapping[str, RecordSchedule],
    query: str,
    as_of: dt.date,
) -> tuple[dict[str, Any], list[str]]:
    """The export, and the ids of records naming a namesake who shares no identifier (for the committee)."""
    persons = Persons(list(records.values()))
    entries, how = find_entries(persons, query)
    own: dict[str, list[int]] = {}
    for rid, index in sorted(entries):
        own.setdefault(rid, []).append(index)
    exported = [
        record_export(records[rid], docs[rid], own[rid], schedules.get(rid)) for rid in sorted(own)
    ]
    data = {
        "query": query,
        "as_of": as_of.isoformat(),
        "matched_by": how if exported else None,
        "records": exported,
    }
    return data, namesakes(persons, entries)


def run(ctx: Context, query: str, as_of: dt.date, fmt: str) -> int:
    if not query.strip():
        raise UsageError("QUERY: give the person's email, username, url or name")
    loaded = ctx.store.load()
    ctx.store.tell_withheld(" from this export")
    records = {rid: item.record for rid, item in loaded.items()}
    docs = {rid: item.doc for rid, item in loaded.items()}
    data, others = subject_access(
        records, docs, ctx.store.schedules(loaded, as_of), query.strip(), as_of
    )
    if data["matched_by"] == "name":
        ctx.err(
            "cocrec: matched by name only: confirm the person asking is the one in these records before sending anything"
        )
    if others:
        ctx.err(
            f"cocrec: {', '.join(others)} name someone of the same name with no shared identifier: not included; check them with `cocrec show`"
        )
    ctx.out(output.to_json(data) if fmt == "json" else yaml_io.dumps(data).rstrip())
    return EXIT_OK
