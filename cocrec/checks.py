"""Everything `check` verifies, as functions that return problems (never raise, never print).

`keyless` needs no identity: it reads only ciphertext headers, hashes, the
index and members.yaml, which is all CI holds (SPEC section 6). `with_keys`
adds what only a member can verify: each record decrypts and validates, the
index matches the records, and the retention warnings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal, Mapping, Optional

from . import crypto, index, validate
from .errors import CocrecError
from .index import Index
from .model import StepName
from .people import PeopleIndex
from .policy import Policy
from .repo import Repo
from .retention import RecordSchedule
from .store import Loaded, Problem, Store


Facts = tuple[str, int]  # a record file's sha256 and the number of recipients in its age header


def keyless(repo: Repo, idx: Index, key_count: int, fingerprint: str, policy: Policy, as_of: dt.date) -> list[Problem]:
    files = repo.record_files()
    listing, dates = index_problems(repo, idx, files, policy, as_of)
    return listing + file_problems(repo, idx, files, key_count, fingerprint) + dates


def index_problems(repo: Repo, idx: Index, files: Mapping[str, Path], policy: Policy, as_of: dt.date) -> tuple[list[Problem], list[Problem]]:
    """What needs neither a key nor the record files' bytes: (what records/ and the index list, what the index's dates say)."""
    listing = [Problem(name, "only record files (*.yaml.age) and index.yaml belong in records/; remove it") for name in repo.stray_files()]
    index_name = repo.rel(repo.index_path)
    for rid in sorted(set(idx.entries) - set(files)):
        listing.append(Problem(index_name, f"lists {rid} but there is no such record file: run `cocrec index`"))
    dates = []
    for rid, entry in sorted(idx.entries.items()):
        if rid in files:
            dates += _schedule_problems(repo.record_source(rid), entry, policy, as_of)
    return listing, dates


def file_problems(
    repo: Repo, idx: Index, files: Mapping[str, Path], key_count: int, fingerprint: str, known: Mapping[str, Facts] = {}
) -> list[Problem]:
    """Each file's hash and header against the index and members.yaml; `known` holds the facts of files
    already read (by `check`'s decrypting workers), the rest are read here."""
    problems = []
    for rid, path in files.items():
        source, entry = repo.record_source(rid), idx.entries.get(rid)
        try:
            sha, stanzas = known[rid] if rid in known else file_facts(path.read_bytes(), source)
        except CocrecError as exc:
            problems.append(Problem(source, str(exc), exc.exit_code))
            continue
        problems += _file_problems(source, sha, stanzas, entry, key_count, fingerprint)
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


def file_facts(ciphertext: bytes, source: str) -> Facts:
    """Raises DecryptError when the file is not an age file."""
    return index.sha256(ciphertext), len(crypto.header_stanzas(ciphertext, source))


def _file_problems(source: str, sha: str, stanzas: int, entry: index.Entry | None, key_count: int, fingerprint: str) -> list[Problem]:
    problems = []
    state = encryption_state(entry, sha, fingerprint)
    if state != "current":
        problems.append(Problem(source, ENCRYPTION_PROBLEMS[state]))
    if stanzas != key_count:
        problems.append(Problem(source, f"encrypted to {stanzas} key(s) but members.yaml has {key_count}: run `cocrec rekey`"))
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


def with_keys(store: Store, loaded: Mapping[str, Loaded], as_of: dt.date, idx: Index, files: Mapping[str, Path]) -> list[Problem]:
    """What only a member can check; `loaded` holds the records that decrypted and validated, of `files`,
    and `idx` is the index as read meanwhile."""
    repo = store.repo
    people = PeopleIndex.build([item.record for item in loaded.values()])
    schedules = store.schedules(loaded, as_of, people)
    problems = []
    collection = validate.collection_errors({repo.record_source(rid): item.doc for rid, item in loaded.items()})
    problems += [Problem(e.file, str(e)) for e in collection]
    if len(loaded) == len(files) and not _index_matches(store, idx, store.index_entries(loaded, schedules=schedules, as_read=True)):
        problems.append(Problem(repo.rel(repo.index_path), "does not match the records: run `cocrec index`"))
    problems += _retention_warnings(repo, schedules, people)
    problems += _surviving_text_warnings(repo, loaded, schedules)
    return problems


def _index_matches(store: Store, idx: Index, expected: Mapping[str, index.Entry]) -> bool:
    """Whether records/index.yaml is exactly what `cocrec index` would write now."""
    if idx.canonical:
        return idx.matches(store.fingerprint, expected)
    path = store.repo.index_path
    return index.render(store.fingerprint, expected) == (path.read_text("utf-8") if path.exists() else "")


def _retention_warnings(repo: Repo, schedules: Mapping[str, RecordSchedule], people: PeopleIndex) -> list[Problem]:
    warnings = []
    for rid, sched in sorted(schedules.items()):
        if not (sched.hold_needs_review or sched.override_blocked_by):
            continue
        source = repo.record_source(rid)
        if sched.hold_needs_review:
            warnings.append(Problem(source, "retention.hold: review_on has passed: review the hold, then update or remove it", warning=True))
        if sched.override_blocked_by:
            later = ", ".join(sched.override_blocked_by)
            warnings.append(Problem(source, f"retention.override: later violation(s) {later} would have extended it: confirm the override", warning=True))
    for first, second in people.name_only_matches():
        warnings.append(
            Problem(repo.record_source(first), f"a subject has the same name as one in {second} but no shared identifier: if it is the same person, add also_in", warning=True)
        )
    return warnings


WHO: Mapping[StepName, str] = {"reporter": "the reporter", "subjects": "a subject"}


def _surviving_text_warnings(repo: Repo, loaded: Mapping[str, Loaded], schedules: Mapping[str, RecordSchedule]) -> list[Problem]:
    """Text kept after expunge (event, descriptions, shareable summary, reasons) that names the record's own
    people: expunge will redact it, so ask for a rephrasing while the case is fresh. Names the field, never the value.

    The fields were found while the record was opened (`Store.open_files(for_check=True)`)."""
    warnings = []
    for rid, item in sorted(loaded.items()):
        steps = schedules[rid].steps if rid in schedules else None
        hits: dict[str, list[str]] = {}
        for step, path in item.text_hits:
            if steps is None or steps[step].state not in ("done", "never"):
                hits.setdefault(path, []).append(WHO[step])
        for path, people in hits.items():
            message = f"{path}: names {' and '.join(people)} of this record; it is kept after expunge with that redacted: rephrase it now"
            warnings.append(Problem(repo.record_source(rid), message, warning=True))
    return warnings


def workspace_warnings(repo: Repo) -> list[Problem]:
    files = repo.workspace_files()
    if not files:
        return []
    return [Problem(repo.rel(repo.workspace_dir), f"{len(files)} plaintext file(s) opened and not sealed: run `cocrec seal`", warning=True)]
