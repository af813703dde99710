"""Everything `check` verifies, as functions that return problems (never raise, never print).

The one place that decides: `check`, `check --no-decrypt` (CI), `rekey --check`,
`status` and the pre-commit hook (which runs these on the commit's files,
exported from git's index) ask the same questions with the same words.

`keyless` needs no identity: it reads only trust.yaml, members.yaml,
cocrec.yaml, the index, and each record file's hash and age header, which is
all CI holds (SPEC sections 6 and 10). `with_keys` adds what only a member
can verify: each record decrypts and validates, the index says what the
records say, and the retention warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from . import access, bulk, crypto, index, opening, trust, validate
from .errors import EXIT_REPO, CocrecError
from .index import Index
from .model import Record
from .people import PeopleIndex
from .problems import Problem
from .repo import Repo
from .retention import RecordSchedule
from .store import Loaded, RecordRead, Store
from .vocabulary import StepName

if TYPE_CHECKING:
    from . import message_check

Facts = tuple[
    str, tuple[crypto.Stanza, ...]
]  # a record file's sha256 and the recipients in its age header
# (step, field path) of text kept after expunge that names that step's people
TextHits = tuple[tuple[StepName, str], ...]

EncryptionState = Literal["current", "unindexed", "changed", "stale"]
ADVICE: Mapping[EncryptionState, str] = {
    "unindexed": "not in records/index.yaml yet (an interrupted write or a merge): run `cocrec index`",
    "changed": "changed since records/index.yaml was written (an interrupted write or a merge): run `cocrec index`",
    "stale": "not encrypted to the current members: run `cocrec rekey`",
}


def keyless(
    store: Store,
    as_of: dt.date | None,
    known: Mapping[str, Facts] = {},
    idx: Index | None = None,
) -> list[Problem]:
    """What needs no key; `as_of` None leaves out what depends on the date (the pre-commit hook).
    `known` holds the facts of files already read (by `check`'s decrypting workers)."""
    repo = store.repo
    files = repo.record_files()
    try:
        _ = (
            store.policy,
            store.members,
        )  # both must parse and validate: everything else rests on them
    except CocrecError as exc:
        return [Problem.of(exc, "members.yaml")]
    try:
        idx = store.read_index() if idx is None else idx
    except CocrecError as exc:
        return [
            *store.verification.flaws,
            Problem(repo.rel(repo.index_path), str(exc), exc.exit_code),
        ]
    problems = list(store.verification.flaws) + listing_problems(repo, idx, files, store)
    if not repo.index_path.exists() and files:
        problems.append(
            Problem(
                repo.rel(repo.index_path),
                "missing: run `cocrec index` (it is rebuilt from the last commit)",
            )
        )
        idx = store.previous_index()
    problems += file_problems(store, idx, files, known)
    if as_of is not None:
        problems += date_problems(repo, idx, files, store, as_of)
    return problems


def listing_problems(
    repo: Repo, idx: Index, files: Mapping[str, Path], store: Store | None = None
) -> list[Problem]:
    """records/ holds only record files and the index, and the index lists no file that is not there."""
    problems = [
        Problem(name, "only record files (*.yaml.age) and index.yaml belong in records/; remove it")
        for name in repo.stray_files()
    ]
    index_name = repo.rel(repo.index_path)
    signed = store.verification.signed if store is not None else {}
    for rid in sorted(set(idx.entries) - set(files)):
        if (
            idx.entries[rid].removed or rid in signed
        ):  # a signed entry without its file is a removal, reported as such
            continue
        problems.append(
            Problem(index_name, f"lists {rid} but there is no such record file: run `cocrec index`")
        )
    return problems


def file_problems(
    store: Store, idx: Index, files: Mapping[str, Path], known: Mapping[str, Facts] = {}
) -> list[Problem]:
    """Each file against the signed index and the members: signed by a current member, encrypted to
    exactly the keys it should be (by count, type and ssh key tag)."""
    problems = []
    for rid, path in files.items():
        source = store.repo.record_source(rid)
        try:
            facts = known[rid] if rid in known else file_facts(path.read_bytes(), source)
        except CocrecError as exc:
            problems.append(Problem.of(exc, source))
            continue
        problems += record_problems(store, rid, facts, idx.entries.get(rid))
    return problems


def file_facts(ciphertext: bytes, source: str) -> Facts:
    """Raises DecryptError when the file is not an age file."""
    return index.sha256(ciphertext), tuple(crypto.header_recipients(ciphertext, source))


def record_problems(
    store: Store, rid: str, facts: Facts, entry: index.Entry | None
) -> list[Problem]:
    source = store.repo.record_source(rid)
    sha, stanzas = facts
    why = store.why_not(rid, sha)
    if why is not None:
        return [Problem(source, why, EXIT_REPO)]
    doubt = store.verification.entry_flaws.get(rid)
    if (
        entry is not None and doubt is not None
    ):  # the file is vouched for elsewhere (the last commit): its entry here is not
        return [
            Problem(
                source,
                f"{doubt.split(':')[0]}; the record itself is signed: run `cocrec index` to write its entry anew",
                EXIT_REPO,
            )
        ]
    state = encryption_state(store, entry, sha, stanzas)
    if state != "current":
        return [Problem(source, ADVICE[state])]
    assert entry is not None
    pending = access.pending_missing(rid, entry.excluded, store.members)
    if (
        pending
    ):  # members.yaml (signed) says who is not cleared for it; the signed entry must leave them out
        return [
            Problem(
                source,
                f"not cleared for {', '.join(pending)} (pending in members.yaml), yet its index entry does not leave them out: run `cocrec rekey`",
            )
        ]
    return []


def encryption_state(
    store: Store,
    entry: index.Entry | None,
    file_sha: str,
    stanzas: tuple[crypto.Stanza, ...] | None,
) -> EncryptionState:
    """Whether the signed index vouches that this ciphertext is encrypted to the keys it should be: the
    current members but those left out of it; with `stanzas`, its age header must name exactly those keys."""
    if entry is None:
        return "unindexed"
    if entry.sha256 != file_sha:
        return "changed"
    fingerprint, expected = store.expected_recipients(entry.excluded)
    if entry.recipients != fingerprint:
        return "stale"
    if stanzas is not None and tuple(sorted(stanzas)) != expected:
        return "stale"
    return "current"


def date_problems(
    repo: Repo, idx: Index, files: Mapping[str, Path], store: Store, as_of: dt.date
) -> list[Problem]:
    problems = []
    policy = store.policy
    for rid, entry in sorted(idx.entries.items()):
        if rid in files:
            problems += _schedule_problems(
                repo.record_source(rid), entry, policy.stale_open_case_days, as_of
            )
    return problems


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _schedule_problems(
    source: str, entry: index.Entry, stale_days: int, as_of: dt.date
) -> list[Problem]:
    try:
        reported, due, deadline = _date(entry.reported_on), _date(entry.due), _date(entry.deadline)
    except ValueError:
        return [
            Problem(
                source,
                f"records/index.yaml has a malformed date for {entry.id}: run `cocrec index`",
            )
        ]
    problems = []
    if entry.status == "open" and reported and (as_of - reported).days > stale_days:
        problems.append(
            Problem(
                source,
                f"open case reported on {entry.reported_on} is stale (over {stale_days} days): decide an outcome",
            )
        )
    if due is not None and due < as_of and not entry.held:
        problems.append(
            Problem(
                source, f"an expunge step is overdue since {due}: run `cocrec expunge {entry.id}`"
            )
        )
    if deadline is not None and deadline < as_of:
        problems.append(
            Problem(source, f"a deadline passed on {deadline}: see `cocrec due {entry.id}`")
        )
    return problems


class Checked(NamedTuple):
    """A record file as `check` opens it: opened and validated; if that went well, the recipients
    in its age header, the text that survives expunge naming its people, and the tracked files that
    may name them (all found in the worker)."""

    opened: opening.Opened
    stanzas: tuple[crypto.Stanza, ...] | None = None
    text_hits: TextHits = ()
    named_in: tuple[str, ...] = ()
    refs: validate.Refs = (None, ())
    record: Record | None = None


class Kept(NamedTuple):
    """What `check` keeps of a record that opened: its model, its file's hash and, only when a tracked
    file may name its people, its document. Neither holds its free text (scanned in the worker)."""

    record: Record
    file_sha: str
    doc: dict[str, Any] | None = None


Scanned = tuple[
    tuple[str, str], ...
]  # (path, folded text) of each tracked file the tree scan reads


class Checking(NamedTuple):
    """What each of `check`'s workers holds for every record it opens (made there by `CheckSetup`)."""

    opening: opening.Opening
    scanned: Scanned
    # Every scanned file's text in one, each apart from the next: a record's people are tested
    # against all of them at once first (most records are named in none).
    together: str
    # One copy of each set of recipients: the records of a chunk that share one (most do) send it
    # back once, so the parent neither unpickles nor lets go of a copy a record.
    recipient_sets: dict[tuple[crypto.Stanza, ...], tuple[crypto.Stanza, ...]]


@dataclass(frozen=True)
class CheckSetup:
    """What crosses to each of `check`'s workers: how to open records, and the tracked files in
    which to look for each record's people."""

    opener: opening.Opener
    scanned: Scanned = ()

    def __call__(self) -> Checking:
        together = "\0".join(folded for _, folded in self.scanned)
        return Checking(self.opener(), self.scanned, together, {})


def check_batch(items: list[opening.Item], shared: Checking) -> list[Checked]:
    """A bulk batch: open each file of the chunk, then ask `check`'s own questions of those that
    opened."""
    ciphertexts = opening.read(items)
    opened = opening.open_ciphertexts(ciphertexts, items, shared.opening)
    return [_checked(ciphertext, item, shared) for ciphertext, item in zip(ciphertexts, opened)]


def _checked(ciphertext: bytes, item: opening.Opened, shared: Checking) -> Checked:
    from . import redact  # `check`'s own work: `status` and the hooks read this module without it

    if item.problems:
        return Checked(item._replace(plaintext=b"", doc=None))
    # It decrypted, so its header is sound: the quick reader suffices (file_facts is the careful one).
    found = crypto.recipient_stanzas(ciphertext)
    stanzas = shared.recipient_sets.setdefault(found, found)
    hits, matchers = redact.text_scan(item.doc)
    named_in = (
        tuple(
            path for path, folded in shared.scanned if any(m.might_occur(folded) for m in matchers)
        )
        if any(m.might_occur(shared.together) for m in matchers)
        else ()
    )
    # Once scanned, `check` needs neither the plaintext nor the free text (ids, dates, names and
    # identifiers are what it compares), nor the document but to look for its people in a tracked
    # file: what crosses back is the model, which the parent would otherwise build 10,000 times.
    lean = redact.without_text(item.doc)
    kept = item._replace(plaintext=b"", doc=lean if named_in else None)
    refs = validate.refs(item.doc)
    return Checked(kept, stanzas, tuple(hits), named_in, refs, Record.from_doc(lean))


@dataclass
class Decrypted:
    """What `check` learns by opening every record file with the member's key: the records that
    decrypted and validated, the problems of the others, and of each record it loaded its file's
    facts (for `keyless`) and its text hits (for `with_keys`)."""

    loaded: dict[str, Kept] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    facts: dict[str, Facts] = field(default_factory=dict)
    text_hits: dict[str, TextHits] = field(default_factory=dict)
    named_in: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refs: dict[str, validate.Refs] = field(default_factory=dict)


class Decrypting:
    """Every record file of `files` being opened on every core, the work handed out when this is
    made: what the caller does until `finish()` (read the index, verify its signatures) overlaps it.
    Use it in a `with`, which stops the workers."""

    def __init__(
        self, store: Store, files: Mapping[str, Path], tracked: Tracked | None = None
    ) -> None:
        self._store = store
        self._files = files
        # Every file is handed out at once; those not this member's to open are left out in `finish`,
        # once the signed index says which they are (verifying it overlaps the decrypting).
        self._ids, items = store.items(files=files, withhold=False)
        self._results = None
        if items:
            setup = CheckSetup(store.opener(), tracked.scanned() if tracked is not None else ())
            self._results = bulk.ordered(check_batch, items, setup, label="decrypting")

    def finish(self) -> Decrypted:
        read = Decrypted()
        if self._results is None:
            return read
        mine = set(self._store.withhold_from(self._ids))
        # One copy of each set of recipients: most files share theirs.
        sets: dict[tuple[crypto.Stanza, ...], tuple[crypto.Stanza, ...]] = {}
        # Each as it comes (the workers built the models).
        for rid, item in zip(self._ids, self._results):
            if rid not in mine:
                continue
            read.problems.extend(item.opened.problems)
            if item.record is not None and item.stanzas is not None:  # it opened and validated
                read.loaded[rid] = Kept(item.record, item.opened.file_sha, item.opened.doc)
                read.refs[rid] = item.refs
                read.facts[rid] = (
                    item.opened.file_sha,
                    sets.setdefault(item.stanzas, item.stanzas),
                )
                read.text_hits[rid] = item.text_hits
                read.named_in[rid] = item.named_in
        return read

    def __enter__(self) -> Decrypting:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._results is not None:
            self._results.close()


def with_keys(
    store: Store,
    loaded: Mapping[str, RecordRead],
    as_of: dt.date,
    idx: Index,
    files: Mapping[str, Path],
    refs: Mapping[str, validate.Refs],
    text_hits: Mapping[str, TextHits] = {},
) -> list[Problem]:
    """What only a member can check; `loaded` holds the records that decrypted and validated, of `files`,
    with the `refs` of each, `idx` is the index as read meanwhile, and `text_hits` what `Decrypting`
    found of each record."""
    repo = store.repo
    people = PeopleIndex.build([item.record for item in loaded.values()])
    schedules = store.schedules(loaded, as_of, people)
    retention = _retention_warnings(repo, schedules, people)
    del people  # what follows needs the schedules alone (at 10,000 records: peak memory)
    problems = []
    collection = validate.refs_errors({repo.record_source(rid): refs[rid] for rid in loaded})
    problems += [Problem(e.file, str(e)) for e in collection]
    if len(loaded) == len(files) and not index_says(
        idx, store.index_entries(loaded, schedules=schedules, as_read=True)
    ):
        problems.append(
            Problem(
                repo.rel(repo.index_path),
                "disagrees with the records (status, due dates, holds): run `cocrec index`",
            )
        )
    problems += retention
    problems += _surviving_text_warnings(repo, text_hits, schedules)
    return problems


def index_says(idx: Index, expected: Mapping[str, index.Entry]) -> bool:
    """Whether every index entry states what `cocrec index` would write now (signatures, versions and the
    tombstones of removed records aside)."""
    if {rid for rid, e in idx.entries.items() if not e.removed} != set(expected):
        return False
    return all(idx.entries[rid].facts() == entry.facts() for rid, entry in expected.items())


def _retention_warnings(
    repo: Repo, schedules: Mapping[str, RecordSchedule], people: PeopleIndex
) -> list[Problem]:
    warnings = []
    for rid, sched in sorted(schedules.items()):
        if not (sched.hold_needs_review or sched.override_blocked_by):
            continue
        source = repo.record_source(rid)
        if sched.hold_needs_review:
            warnings.append(
                Problem(
                    source,
                    "retention.hold: review_on has passed: review the hold, then update or remove it",
                    warning=True,
                )
            )
        if sched.override_blocked_by:
            later = ", ".join(sched.override_blocked_by)
            warnings.append(
                Problem(
                    source,
                    f"retention.override: later violation(s) {later} would have extended it: confirm the override",
                    warning=True,
                )
            )
    for first, others in people.name_only_matches().items():
        warnings.append(
            Problem(
                repo.record_source(first),
                f"a subject has the same name as one in {_some(others)} but no shared identifier: if it is the same person, add also_in",
                warning=True,
            )
        )
    return warnings


SHOWN = 3  # record ids a warning lists before it counts the rest


def _some(ids: Sequence[str]) -> str:
    """The first few ids, and how many more: one warning a record, however common a name is."""
    more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return ", ".join(ids[:SHOWN]) + more


WHO: Mapping[StepName, str] = {"reporter": "the reporter", "subjects": "a subject"}


def _surviving_text_warnings(
    repo: Repo, text_hits: Mapping[str, TextHits], schedules: Mapping[str, RecordSchedule]
) -> list[Problem]:
    """Text kept after expunge (event, descriptions, shareable summary, reasons) that names the record's own
    people: expunge will redact it, so ask for a rephrasing while the case is fresh. Names the field, never the value.

    The fields were found while the record was opened (`Decrypting`); records without a schedule are
    not checked here."""
    warnings = []
    for rid, found in sorted(text_hits.items()):
        if rid not in schedules:
            continue
        steps = schedules[rid].steps
        hits: dict[str, list[str]] = {}
        for step, path in found:
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
    return [
        Problem(
            repo.rel(repo.workspace_dir),
            f"{len(files)} plaintext file(s) opened and not sealed: run `cocrec seal`",
            warning=True,
        )
    ]


def history_problems(store: Store) -> list[Problem]:
    """Statements older than those of the last commit or its parents: someone put back an earlier version
    (a rollback), which every signature alone would let pass. What CI can see without a memory of its own."""
    repo = store.repo
    if not (repo.root / ".git").exists():
        return []
    from . import git

    try:
        now = trust.seen_in(store.trust_file, store.read_index().entries)
    except CocrecError:
        return []  # reported by the checks that read them
    for rid in set(repo.record_files()) - set(now.records):
        now.records[rid] = (
            1 << 30
        )  # its file is there: not removed (its missing entry is reported as such)
    problems: list[Problem] = [
        Problem(f.source, f.message, EXIT_REPO)
        for f in trust.history_flaws(
            store.trust_file,
            git.history_blobs(repo.root, "HEAD", trust.TRUST_FILE),
            "an earlier commit",
            store.verifier,
        )
    ]
    for rev in ["HEAD", *git.parents(repo.root, "HEAD")]:
        before = _seen_at(store, rev)
        if before is not None:
            flaws = trust.rollbacks(
                now, before, repo.record_source, f"commit {rev[:7] if rev != 'HEAD' else 'HEAD'}"
            )
            problems += [
                Problem(f.source, f.message, EXIT_REPO)
                for f in flaws
                if str(f) not in {str(p) for p in problems}
            ]
    return problems


def _seen_at(store: Store, rev: str) -> trust.Seen | None:
    """The statements commit `rev` shows, of those its own signatures prove (`trust.believed`): a
    forged one committed and then undone must not make the undoing look like a rollback."""
    from . import git

    repo = store.history  # the clone's git, also when `store` holds a commit's exported files
    tf_data = git.show_file(repo.root, rev, trust.TRUST_FILE)
    index_data = git.show_file(repo.root, rev, "records/index.yaml")
    try:
        tf = trust.believed(trust.parse(tf_data), store.verifier) if tf_data else trust.TrustFile()
        idx = (
            index.Index.parse(index_data, f"{rev}:records/index.yaml", remember=False)
            if index_data
            else index.Index.empty()
        )
        signed = trust.believed_entries(tf, idx.entries, store.verifier, store.verification.signed)
    except CocrecError:
        # An older format or a broken file there, or here (the checks that read it report it):
        # nothing to compare with.
        return None
    return trust.seen_in(tf, signed)


def clone_warnings(repo: Repo) -> list[Problem]:
    """This clone's git hooks must be cocrec's own, installed by `cocrec setup` in the git directory."""
    from . import hooks

    problem = hooks.installed_problem(repo)
    return [Problem(problem[0], problem[1], warning=True)] if problem else []


# -- the tree: only the repository's layout, and no plaintext anywhere --------------------------------

OWN_CLEARTEXT = (
    "members.yaml",
    "trust.yaml",
    "records/index.yaml",
)  # cocrec writes them: keys, ids, dates
MAX_SCANNED = 4 << 20  # a larger file is judged by its name alone


def tree_problems(
    paths: Sequence[str],
    read: Callable[[str], bytes | None],
    extra_files: Sequence[str],
    docs: Mapping[str, Sequence[Any]] | None = None,
    invented: Sequence[str] = (),
    named_in: Mapping[str, Sequence[str]] | None = None,
) -> list[Problem]:
    """Each path git holds (or a commit would) that is outside the repository's layout and the policy's
    `extra_files`, anything under workspace/, any file that reads as a plaintext record, and, given the
    records' documents (`docs`, with a key), any file that names someone in them. Names the path and what
    to do, never what the file holds."""
    from . import layout  # the tree scan's own: `status` reads this module without it

    problems = []
    finder = _IdentifierFinder(docs, named_in) if docs else None
    for path in sorted(paths):
        if path == "workspace" or path.startswith("workspace/"):
            problems.append(
                Problem(
                    path,
                    f"plaintext from `cocrec open` must never be committed: `git rm --cached {path}` and add workspace/ to .gitignore",
                )
            )
            continue
        if not layout.is_allowed(path, extra_files):
            problems.append(
                Problem(
                    path,
                    f"not part of a records repository: remove it from git (`git rm --cached {path}`), or, if the committee keeps it here on purpose, list it in cocrec.yaml's extra_files (then `cocrec adopt`)",
                )
            )
        if (
            path in OWN_CLEARTEXT
            or _is_record_file(path)
            or (invented and layout.is_allowed(path, invented) and not layout.in_layout(path))
        ):
            continue
        data = read(path)
        if path == RECORDS_WORKFLOW:
            problems += _workflow_problems(data)
        if data is None or len(data) > MAX_SCANNED:
            continue
        if layout.looks_like_record(data):
            problems.append(
                Problem(
                    path,
                    f"holds what reads as a plaintext record: remove it from git (`git rm --cached {path}`) and delete it; records live encrypted in records/",
                )
            )
        elif finder is not None:  # any other file, the layout's own (.gitignore, workflows) too
            for rid, what in finder.find(path, data.decode("utf-8", "replace")).items():
                problems.append(
                    Problem(
                        path,
                        f"holds {' and '.join(what)} of record {rid}: remove it from git (`git rm --cached {path}`) and delete it, or reword it",
                    )
                )
    return problems


RECORDS_WORKFLOW = ".github/workflows/records.yml"


def _workflow_problems(data: bytes | None) -> list[Problem]:
    """The records workflow is what makes CI check what members rely on, and nobody signs it: it must
    be the one cocrec installs, or the push that hides an overdue expunge could also make CI pass."""
    from .scaffold import template

    if data is not None and data.decode("utf-8", "replace") == template("records.yml"):
        return []
    return [
        Problem(
            RECORDS_WORKFLOW,
            "is not the workflow cocrec installs, so CI may not be checking the records: "
            "see who changed it (`git log -p -- .github/workflows/records.yml`) and restore it "
            "(`cocrec init DIR` writes a fresh copy into DIR)",
        )
    ]


def _is_record_file(path: str) -> bool:
    """records/ID.yaml.age itself (ciphertext, checked as a record): not a file of that name elsewhere."""
    return (
        path.startswith("records/")
        and path.endswith(".yaml.age")
        and "/" not in path[len("records/") :]
    )


class _IdentifierFinder:
    """The identifiers of every record's people; a record's matchers are built only when a file
    may name it: as `Decrypting` found (`named_in`: record id -> the paths that may name its people),
    else as worked out here."""

    def __init__(
        self, docs: Mapping[str, Sequence[Any]], named_in: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self._docs = docs
        self._named_in = named_in or {}
        self._people: dict[str, list[message_check.Person]] = {}

    def _persons(self, rid: str) -> list[message_check.Person]:
        from . import message_check

        if rid not in self._people:
            self._people[rid] = [
                p for doc in self._docs[rid] for p in message_check.people(doc, with_names=False)
            ]
        return self._people[rid]

    def find(self, path: str, text: str) -> dict[str, list[str]]:
        from . import matcher

        folded = matcher.fold_text(text)
        found: dict[str, list[str]] = {}
        for rid in sorted(self._docs):
            known = self._named_in.get(rid)
            if known is not None and path not in known:
                continue
            for person in self._persons(rid):
                if not person.matcher.might_occur(folded):
                    continue
                what = [f"{person.role}'s {hit.label}" for hit in person.matcher.hits(text)]
                if what:
                    found.setdefault(rid, [])
                    found[rid] = list(dict.fromkeys([*found[rid], *what]))
        return found


@dataclass(frozen=True)
class Tracked:
    """What git tracks in this clone's working tree, and the bytes of each file the tree scan reads
    (None: not a regular file, or unreadable)."""

    paths: tuple[str, ...] = ()
    data: Mapping[str, bytes | None] = field(default_factory=dict)

    def scanned(self) -> Scanned:
        """Each file the tree scan searches for the records' people, folded."""
        from . import matcher

        return tuple(
            (path, matcher.fold_text(data.decode("utf-8", "replace")))
            for path, data in sorted(self.data.items())
            if data is not None and len(data) <= MAX_SCANNED
        )


def read_tracked(repo: Repo) -> Tracked:
    """The tracked files, read (none outside git): `check` reads them while its workers decrypt."""
    if not (repo.root / ".git").exists():
        return Tracked()
    from . import git

    def read(path: str) -> bytes | None:
        full = repo.root / path
        try:
            return None if full.is_symlink() or not full.is_file() else full.read_bytes()
        except OSError:
            return None

    paths = tuple(git.tracked_paths(repo.root))
    skipped = set(OWN_CLEARTEXT)
    return Tracked(
        paths, {p: read(p) for p in paths if p not in skipped and not _is_record_file(p)}
    )


def tracked_problems(
    store: Store,
    loaded: Mapping[str, Loaded | Kept] | None = None,
    named_in: Mapping[str, Sequence[str]] | None = None,
    tracked: Tracked | None = None,
) -> list[Problem]:
    """`tree_problems` of what git tracks in this clone's working tree (`tracked`, else read now);
    `named_in` as `Decrypting` found it."""
    tracked = read_tracked(store.repo) if tracked is None else tracked
    if not tracked.paths:
        return []
    docs = (
        {rid: [item.doc] for rid, item in loaded.items() if item.doc is not None}
        if loaded
        else None
    )
    try:
        policy = store.policy
    except CocrecError:
        return []  # reported where it is read
    return tree_problems(
        tracked.paths,
        tracked.data.get,
        policy.extra_files,
        docs,
        policy.invented_files,
        named_in,
    )
