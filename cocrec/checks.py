"""Everything `check` verifies, as functions that return problems (never raise, never print).

`keyless` needs no identity: it reads only ciphertext headers, hashes, the
index and members.yaml, which is all CI holds (SPEC section 6). `with_keys`
adds what only a member can verify: each record decrypts and validates, the
index matches the records, and the retention warnings.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Mapping, Optional

from . import crypto, index, redact, validate
from .errors import CocrecError
from .index import Index
from .model import StepName
from .people import PeopleIndex
from .policy import Policy
from .repo import Repo
from .retention import RecordSchedule
from .store import Loaded, Problem, Store


def keyless(repo: Repo, idx: Index, key_count: int, fingerprint: str, policy: Policy, as_of: dt.date) -> list[Problem]:
    problems = [Problem(name, "only record files (*.yaml.age) and index.yaml belong in records/; remove it") for name in repo.stray_files()]
    files = repo.record_files()
    index_name = repo.rel(repo.index_path)
    for rid in sorted(set(idx.entries) - set(files)):
        problems.append(Problem(index_name, f"lists {rid} but there is no such record file: run `cocrec index`"))
    for rid, path in files.items():
        problems += _file_problems(repo.rel(path), path.read_bytes(), idx.entries.get(rid), key_count, fingerprint)
    for rid, entry in sorted(idx.entries.items()):
        if rid in files:
            problems += _schedule_problems(repo.rel(files[rid]), entry, policy, as_of)
    return problems


EncryptionState = Literal["current", "unindexed", "changed", "stale"]
ENCRYPTION_PROBLEMS: Mapping[EncryptionState, str] = {
    "unindexed": "not in records/index.yaml: run `cocrec index`",
    "changed": "changed since records/index.yaml was written: run `cocrec index`",
    "stale": "not encrypted to the current members: run `cocrec rekey`",
}


def encryption_state(entry: Optional[index.Entry], file_sha: str, fingerprint: str) -> EncryptionState:
    """Whether the index vouches that this ciphertext is encrypted to the current key set (`status` lists the rest)."""
    if entry is None:
        return "unindexed"
    if entry.sha256 != file_sha:
        return "changed"
    return "current" if entry.recipients == fingerprint else "stale"


def _file_problems(source: str, ciphertext: bytes, entry: index.Entry | None, key_count: int, fingerprint: str) -> list[Problem]:
    try:
        stanzas = crypto.header_stanzas(ciphertext)
    except CocrecError as exc:
        return [Problem(source, str(exc), exc.exit_code)]
    problems = []
    state = encryption_state(entry, index.sha256(ciphertext), fingerprint)
    if state != "current":
        problems.append(Problem(source, ENCRYPTION_PROBLEMS[state]))
    if len(stanzas) != key_count:
        problems.append(
            Problem(source, f"encrypted to {len(stanzas)} key(s) but members.yaml has {key_count}: run `cocrec rekey`")
        )
    return problems


def _index_dates(entry: index.Entry) -> Optional[tuple[Optional[dt.date], dict[str, dt.date]]]:
    """The entry's reported_on and due dates, or None when one is not a date (a hand-edited index)."""
    try:
        reported = dt.date.fromisoformat(entry.reported_on) if entry.reported_on else None
        dues = {step: dt.date.fromisoformat(str(info["due"])) for step, info in entry.steps.items() if info.get("due") not in (None, "never")}
    except ValueError:
        return None
    return reported, dues


def _schedule_problems(source: str, entry: index.Entry, policy: Policy, as_of: dt.date) -> list[Problem]:
    dates = _index_dates(entry)
    if dates is None:
        return [Problem(source, f"records/index.yaml has a malformed date for {entry.id}: run `cocrec index`")]
    reported, dues = dates
    problems = []
    if entry.status == "open" and reported and (as_of - reported).days > policy.stale_open_case_days:
        problems.append(
            Problem(source, f"open case reported on {entry.reported_on} is stale (over {policy.stale_open_case_days} days): decide an outcome")
        )
    for step, due in dues.items():
        if due < as_of and not entry.held:
            problems.append(Problem(source, f"{step} step overdue since {due}: run `cocrec expunge {entry.id}`"))
    return problems


def with_keys(store: Store, loaded: Mapping[str, Loaded], schedules: Mapping[str, RecordSchedule]) -> list[Problem]:
    """What only a member can check; `loaded` holds the records that decrypted and validated."""
    repo = store.repo
    problems = []
    collection = validate.collection_errors({repo.rel(item.path): item.doc for item in loaded.values()})
    problems += [Problem(e.file, str(e)) for e in collection]
    if len(loaded) == len(repo.record_files()):
        expected = store.render_index(loaded, schedules=schedules)
        actual = repo.index_path.read_text("utf-8") if repo.index_path.exists() else ""
        if expected != actual:
            problems.append(Problem(repo.rel(repo.index_path), "does not match the records: run `cocrec index`"))
    problems += _retention_warnings(repo, loaded, schedules)
    problems += _surviving_text_warnings(repo, loaded, schedules)
    return problems


def _retention_warnings(repo: Repo, loaded: Mapping[str, Loaded], schedules: Mapping[str, RecordSchedule]) -> list[Problem]:
    warnings = []
    for rid, sched in sorted(schedules.items()):
        source = repo.rel(repo.record_path(rid))
        if sched.hold_needs_review:
            warnings.append(Problem(source, "retention.hold: review_on has passed: review the hold, then update or remove it", warning=True))
        if sched.override_blocked_by:
            later = ", ".join(sched.override_blocked_by)
            warnings.append(Problem(source, f"retention.override: later violation(s) {later} would have extended it: confirm the override", warning=True))
    people = PeopleIndex.build([item.record for item in loaded.values()])
    for first, second in people.name_only_matches():
        warnings.append(
            Problem(repo.rel(repo.record_path(first)), f"a subject has the same name as one in {second} but no shared identifier: if it is the same person, add also_in", warning=True)
        )
    return warnings


WHO: Mapping[StepName, str] = {"reporter": "the reporter", "subjects": "a subject"}


def _surviving_text_warnings(repo: Repo, loaded: Mapping[str, Loaded], schedules: Mapping[str, RecordSchedule]) -> list[Problem]:
    """Text kept after expunge (event, descriptions, shareable summary, reasons) that names the record's own
    people: expunge will redact it, so ask for a rephrasing while the case is fresh. Names the field, never the value."""
    warnings = []
    for rid, item in sorted(loaded.items()):
        steps = schedules[rid].steps if rid in schedules else None
        hits: dict[str, list[str]] = {}
        for step, who in WHO.items():
            if steps is not None and steps[step].state in ("done", "never"):
                continue
            for path in redact.general_text_hits(item.doc, step):
                hits.setdefault(path, []).append(who)
        for path, people in hits.items():
            message = f"{path}: names {' and '.join(people)} of this record; it is kept after expunge with that redacted: rephrase it now"
            warnings.append(Problem(repo.rel(item.path), message, warning=True))
    return warnings


def workspace_warnings(repo: Repo) -> list[Problem]:
    files = repo.workspace_files()
    if not files:
        return []
    return [Problem(repo.rel(repo.workspace_dir), f"{len(files)} plaintext file(s) opened and not sealed: run `cocrec seal`", warning=True)]
