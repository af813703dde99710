"""The encrypted store: read every record, write changed ones safely, keep the index true.

Writes follow SPEC section 8: everything is validated first, each new
ciphertext is verified by decrypting it with the writer's identity before it
replaces the old file, each file is replaced atomically, and the index is
rewritten last (a killed run leaves records that `cocrec index` or a re-run
reconciles).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from . import bulk, crypto, index, validate, yaml_io
from .errors import CocrecError, DecryptError, UsageError
from .fsutil import advice, atomic_write, remove_stray_temps
from .model import Members, Record, StepName
from .people import PeopleIndex
from .policy import Policy
from .repo import Repo
from .retention import RecordSchedule, schedule


@dataclass(frozen=True)
class Loaded:
    """One record as read: its document (source of truth), its model, and the bytes it came from.

    `text_hits` are (step, field path) of text kept after expunge that names that step's people, and
    `stanzas` the number of recipients in the file's age header: only `open_files(for_check=True)` finds them.
    """

    id: str
    path: Path
    plaintext: bytes
    doc: dict[str, Any]
    record: Record
    file_sha: str
    text_hits: tuple[tuple[StepName, str], ...] = ()
    stanzas: Optional[int] = None


@dataclass(frozen=True)
class Problem:
    """One thing `check` reports: a file, and a one-line message that names no personal data."""

    source: str
    message: str
    exit_code: int = 1
    warning: bool = False

    def __str__(self) -> str:
        return self.message if self.message.startswith(self.source) else f"{self.source}: {self.message}"


class Store:
    def __init__(self, repo: Repo, identities: Callable[[], crypto.Identities]) -> None:
        self.repo = repo
        self._identities = identities

    @cached_property
    def policy(self) -> Policy:
        return validate.load_policy(self.repo.policy_path.read_bytes(), self.repo.rel(self.repo.policy_path))

    @cached_property
    def members(self) -> Members:
        path = self.repo.members_path
        if not path.exists():
            return Members()
        return validate.load_members(path.read_bytes(), self.repo.rel(path), key_check=crypto.parse_recipient)

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.members.keys)

    def read_index(self) -> index.Index:
        """The index as on disk; parsed once per content (it is megabytes at 10,000 records)."""
        path = self.repo.index_path
        if not path.exists():
            return index.Index.empty()
        data = path.read_bytes()
        cached = self.__dict__.get("_index_cache")
        if cached is not None and cached[0] == data:
            return cached[1]  # type: ignore[no-any-return]
        parsed = index.Index.parse(data, self.repo.rel(path))
        self.__dict__["_index_cache"] = (data, parsed)
        return parsed

    def previous_index(self) -> index.Index:
        """What the current index knows, or nothing if it is malformed: regenerating must still work."""
        try:
            return self.read_index()
        except CocrecError:
            return index.Index.empty()

    # -- reading -------------------------------------------------------------

    def open_files(
        self,
        ids: Optional[Iterable[str]] = None,
        progress: Optional[Callable[[int], None]] = None,
        for_check: bool = False,
        files: Optional[Mapping[str, Path]] = None,
        started: Callable[[], None] = lambda: None,
    ) -> tuple[dict[str, Loaded], list[Problem]]:
        """Decrypt and validate records (all, or `ids`, of `files` if the caller has listed them);
        problems are returned so `check` can list them all. `started` runs once the decrypting is under way."""
        files = self.repo.record_files() if files is None else files
        wanted = sorted(files) if ids is None else sorted(rid for rid in set(ids) if rid in files)
        items = [(files[rid], self.repo.record_source(rid)) for rid in wanted]
        if items:
            self.require_recipient()
        checker = bulk.Checker(self.policy, self.members, for_check)  # validation runs in the workers too
        loaded: dict[str, Loaded] = {}
        problems: list[Problem] = []
        if not items:
            started()
            return loaded, problems
        with contextlib.closing(bulk.open_each(items, self._identities(), progress, checker, started)) as opened:
            for rid, (path, source), item in zip(wanted, items, opened):  # each as it comes: building models overlaps the decrypting
                if item.error is not None:
                    problems.append(Problem(source, item.error, item.exit_code))
                elif item.invalid:
                    problems.extend(Problem(file, message) for file, message in item.invalid)
                else:
                    record = Record.from_doc(item.doc)
                    loaded[rid] = Loaded(rid, path, item.plaintext, item.doc, record, item.file_sha, item.text_hits, item.stanzas)
        return loaded, problems

    def load(self, ids: Optional[Iterable[str]] = None) -> dict[str, Loaded]:
        """Every record (or `ids`), or the first problem raised as its error."""
        if ids is not None:
            self.require(ids)
        loaded, problems = self.open_files(ids)
        if problems:
            raise CocrecError(str(problems[0]), exit_code=problems[0].exit_code)
        return loaded

    def require_recipient(self) -> None:
        """Records are encrypted to the current members' keys: an identity holding none of them opens none,
        and is told so once (not, for every record, "ask a member to run `cocrec rekey`"). members.yaml is
        cleartext, so this tells nobody anything about a record."""
        identities = self._identities()
        mine = {crypto.normalize_key(k) for k in identities.public_keys}
        current = {crypto.normalize_key(k) for k in self.members.keys}
        if len(mine) < len(identities) or not current or mine & current:  # a key cocrec cannot read: decrypting says
            return
        raise DecryptError(
            f"{self.repo.rel(self.repo.members_path)}: your identity holds none of the current members' keys, so it opens no "
            "record: records are encrypted to current members only, and a member who has left is not a recipient any more; "
            "if you are a member, `git pull` (you may have been added since), or ask the chair to add your key"
        )

    def require(self, ids: Iterable[str]) -> None:
        """Every id names a record this member can be told about: first, that they can open any at all."""
        ids = list(ids)
        if ids:
            self.require_recipient()
        files = self.repo.record_files()
        for rid in ids:
            if rid not in files:
                raise UsageError(f"records/{rid}.yaml.age: no such record; `cocrec list` shows the ids")

    def schedules(self, loaded: Mapping[str, Loaded], as_of: dt.date, people: Optional[PeopleIndex] = None) -> dict[str, RecordSchedule]:
        return schedule([item.record for item in loaded.values()], self.policy, as_of, people)

    # -- writing -------------------------------------------------------------

    def serialise(self, doc: Mapping[str, Any]) -> bytes:
        return yaml_io.dumps(validate.canonical(dict(doc))).encode("utf-8")

    def check_docs(self, docs: Sequence[dict[str, Any]], loaded: Mapping[str, Loaded]) -> dict[str, Loaded]:
        """Validate changed documents against the whole collection; return the collection as it would be."""
        after = dict(loaded)
        for doc in docs:
            rid = str(doc.get("id", ""))
            source = self.repo.record_source(rid) if rid else "record"
            errors = validate.record_errors(doc, source, self.policy, self.members, expected_id=rid or None)
            if errors:
                raise errors[0]
            plaintext = self.serialise(doc)
            previous = loaded.get(rid)
            after[rid] = Loaded(rid, self.repo.record_path(rid), plaintext, doc, Record.from_doc(doc), previous.file_sha if previous else "")
        collection = validate.collection_errors({self.repo.record_source(rid): item.doc for rid, item in after.items()})
        if collection:
            raise collection[0]
        return after

    def save(self, docs: Sequence[dict[str, Any]], loaded: Mapping[str, Loaded]) -> list[str]:
        """Write the documents that changed (caller holds the lock); rewrite the index. Returns written ids."""
        after = self.check_docs(docs, loaded)
        changed = [rid for rid in {str(d["id"]) for d in docs} if rid not in loaded or after[rid].plaintext != loaded[rid].plaintext]
        self.write_ciphertexts({rid: after[rid].plaintext for rid in sorted(changed)})
        self.write_index(after, written=changed)
        return sorted(changed)

    def write_ciphertexts(self, plaintexts: Mapping[str, bytes], before_write: Optional[Callable[[], None]] = None) -> None:
        """Encrypt each to the current members and verify it (on every core), then replace the files.

        Every new ciphertext is verified and staged in a temp file before any
        record is replaced; `before_write` (members.yaml, say) runs in between.
        """
        keys = self.members.keys
        if plaintexts and not keys:
            raise CocrecError(f"{self.repo.rel(self.repo.members_path)}: no current members to encrypt to; run `cocrec members add`")
        self.repo.records_dir.mkdir(exist_ok=True)
        items = [(self.repo.record_path(rid), self.repo.record_source(rid), text) for rid, text in plaintexts.items()]
        bulk.write_staged(lambda: bulk.encrypt_all(items, keys, self._identities()) if items else [], self.repo.records_dir, before_write)

    def write_index(self, loaded: Mapping[str, Loaded], written: Optional[Iterable[str]] = None) -> bool:
        """Regenerate records/index.yaml from the files as they now are; True when it changed."""
        text = index.render(self.fingerprint, self.index_entries(loaded, frozenset(written or ()))).encode("utf-8")
        path = self.repo.index_path
        if path.exists() and path.read_bytes() == text:
            return False
        try:
            self.repo.records_dir.mkdir(exist_ok=True)
            atomic_write(path, text)
        except OSError as exc:
            done = f"{len(set(written or ()))} record(s) were written, but not the index" if written else "it is as it was"
            raise bulk.NotWritten(
                f"{self.repo.rel(path)}: cannot write it ({exc.strerror}): {done}; {advice(exc)}, then run `cocrec index`"
            ) from None
        return True

    def index_entries(
        self,
        loaded: Mapping[str, Loaded],
        written: frozenset[str] = frozenset(),
        schedules: Optional[Mapping[str, RecordSchedule]] = None,
        as_read: bool = False,
    ) -> dict[str, index.Entry]:
        """The index entries of `loaded`, hashing each file as it now is; with `as_read`, the caller vouches
        that nothing was written since the files were read, so the hashes taken then are used."""

        def file_sha(rid: str, item: Loaded) -> str:
            return item.file_sha if as_read and item.file_sha else index.sha256(self.repo.record_path(rid).read_bytes())

        records = {rid: (item.record, file_sha(rid, item)) for rid, item in loaded.items()}
        return index.entries_of(records, self.policy, self.fingerprint, self.previous_index(), written, schedules)

    def cleanup(self) -> None:
        """Remove temp files that a killed writer left in records/."""
        if self.repo.records_dir.is_dir():
            remove_stray_temps(self.repo.records_dir)

