"""The encrypted store: read every record, believe only what members signed, write changed ones safely.

Reading: a record is *authentic* when records/index.yaml holds an entry for
the very bytes of its file, signed by a current member (cocrec.trust), or
when this clone wrote it and was killed before it could index it (the
journal, cocrec.clone). A reading command leaves any other record out and
names it; a writing command (`strict`) refuses to build on it.

Writes follow SPEC section 8: everything is validated first, each new
ciphertext is verified by decrypting it with the writer's identity before it
replaces the old file, every file is staged before any is replaced, and the
index is rewritten last, each changed entry signed by the writing member.
A killed run leaves records that the next writer indexes from the journal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from . import access, codenames, crypto, index, keys, opening, staging, trust, validate, yaml_io
from .clone import Clone
from .errors import EXIT_REPO, CocrecError, DecryptError, RepoError, UsageError, ValidationError
from .fsutil import advice, atomic_write, remove_stray_temps
from .model import Members, Record
from .people import PeopleIndex
from .policy import Policy
from .problems import Problem
from .repo import ID_PATTERN, Repo
from .retention import RecordSchedule, schedule

__all__ = ["Loaded", "Problem", "Store", "Verification"]

PENDING_MEMBERS = "pending-members.yaml"
ADOPT = "a member reviews it with `cocrec adopt`"
LEFT_OUT = (
    "every current member recused, named in it or not yet cleared"  # who may not open a record
)


def nobody_left(source: str) -> UsageError:
    """The refusal of a write that would leave a record with nobody who may open it."""
    return UsageError(
        f"{source}: nobody who may open it would be left ({LEFT_OUT}): nothing was changed; "
        "undo a recusal or clear a member first"
    )


def holds_none_of(identities: crypto.Identities, member_keys: Iterable[str]) -> bool:
    """Whether this identity holds none of these keys (False when the public key of one of its identities
    cannot be told: decrypting will say)."""
    mine = {crypto.normalize_key(k) for k in identities.public_keys}
    if len(mine) < len(identities):
        return False
    return not mine & {crypto.normalize_key(k) for k in member_keys}


def no_member_key(source: str, whose: str, consequence: str) -> DecryptError:
    """The refusal of an identity that holds none of the members' keys (`whose`: "members'", "current
    members'"), saying what follows from it and what to do."""
    return DecryptError(f"{source}: your identity holds none of the {whose} keys, so {consequence}")


@dataclass(frozen=True)
class Loaded:
    """One record as read: its document (source of truth), its model, and the bytes it came from."""

    id: str
    path: Path
    plaintext: bytes
    doc: dict[str, Any]
    record: Record
    file_sha: str


class RecordRead(Protocol):
    """What a read left of one record that the schedules and the index are worked out from: its model
    and its file's hash (a `Loaded`, or the less that `check` keeps of 10,000 records)."""

    @property
    def record(self) -> Record: ...

    @property
    def file_sha(self) -> str: ...


@dataclass
class Verification:
    """What the repository's signatures prove, before any record file is read.

    `members` is the membership trust.yaml proves (None: nothing can be believed); `flaws` what is wrong
    with trust.yaml, members.yaml, cocrec.yaml or versions; `signed` the index entries a current member
    signed, and `entry_flaws` why each other entry is not believed.
    """

    members: trust.Members | None
    flaws: list[Problem] = field(default_factory=list)
    signed: dict[str, index.Entry] = field(default_factory=dict)
    entry_flaws: dict[str, str] = field(default_factory=dict)
    journal: dict[str, set[str]] = field(default_factory=dict)
    # The membership entry that widens its own signer's access, when one does (trust.self_widening):
    # `adopt` shows members.yaml against the version signed before it.
    widening: int | None = None
    also: dict[str, list[index.Entry]] = field(
        default_factory=dict
    )  # signed entries of the commits being merged
    committed: Callable[[], Mapping[str, index.Entry]] | None = (
        None  # HEAD's signed entries, read when needed
    )

    def why_not(self, rid: str, file_sha: str) -> str | None:
        """None when the record file with this hash is authentic; else why not, in words a member can act on.

        A signed entry vouches for its file wherever it is found: the index as it is, or (when that one
        does not vouch) as it was last committed, so that an index edited by hand, deleted or conflicted
        costs a `cocrec index`, not a review of every record."""
        if file_sha in self.journal.get(rid, ()) or self.vouching(rid, file_sha) is not None:
            return None
        if rid in self.signed:
            return f"changed since a member signed its index entry: restore it from git, or {ADOPT}"
        if self.members is None:
            return "cannot be verified until trust.yaml is (see above)"
        return self.entry_flaws.get(
            rid, f"not in records/index.yaml, so signed by no member: if a member made it, {ADOPT}"
        )

    def candidates(self, rid: str, last_commit: bool = True) -> Iterator[index.Entry]:
        """Every entry a member signed for this record: the index's own, each merged side's, then (with
        `last_commit`) the last commit's, read only when those before it did not do."""
        signed = self.signed.get(rid)
        if signed is not None:
            yield signed
        yield from self.also.get(rid, ())
        if last_commit and self.committed is not None:
            entry = self.committed().get(rid)
            if entry is not None:
                yield entry

    def vouching(self, rid: str, file_sha: str) -> index.Entry | None:
        """A signed entry for exactly this file (the index's, a merged side's, the last commit's): it knows
        whom the file was encrypted to."""
        signed = self.signed.get(rid)
        if signed is not None and signed.sha256 == file_sha:
            return signed  # the usual case, asked of every record: no need to walk the others
        return next((e for e in self.candidates(rid) if e.sha256 == file_sha), None)


class Store:
    def __init__(
        self,
        repo: Repo,
        identities: Callable[[], crypto.Identities],
        err: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.repo = repo
        self._identities = identities
        self.err = err
        self.strict = (
            False  # a writing command: refuse what is not authentic instead of leaving it out
        )
        self.left_out: list[str] = []
        self.env: Mapping[str, str] = {}
        self.consented = set()
        self.recovered: set[str] = (
            set()
        )  # records a killed run of this clone wrote, indexed by this one
        self.finished_members_change = (
            False  # members.yaml written as a killed run signed it in trust.yaml
        )
        self.history: Repo = repo  # where git history is read (the clone, also when checking a commit's exported files)
        self.withheld: list[str] = []  # records the last read left out: not this member's to open
        self.linked: access.Linked = (
            access.NO_LINKS
        )  # members named in each record through same-person links

    @cached_property
    def policy(self) -> Policy:
        return validate.load_policy(
            self.repo.policy_path.read_bytes(), self.repo.rel(self.repo.policy_path)
        )

    @cached_property
    def members(self) -> Members:
        path = self.repo.members_path
        if not path.exists():
            return Members()
        return validate.load_members(
            path.read_bytes(), self.repo.rel(path), key_check=crypto.parse_recipient
        )

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.members.keys)

    def fingerprint_without(self, excluded: tuple[str, ...]) -> str:
        """The fingerprint of the keys a record is encrypted to when these members are left out of it."""
        return crypto.fingerprint(self.recipient_keys(excluded))

    def expected_recipients(
        self, excluded: tuple[str, ...]
    ) -> tuple[str, tuple[crypto.Stanza, ...]]:
        """(fingerprint, age header stanzas) of a record that leaves out `excluded`: computed once per set."""
        cache = self.__dict__.setdefault("_expected", {})
        if excluded not in cache:
            wanted = self.recipient_keys(excluded)
            cache[excluded] = (crypto.fingerprint(wanted), staging.expected_stanzas(wanted))
        return cache[excluded]  # type: ignore[no-any-return]

    def recipient_keys(self, excluded: Iterable[str] = ()) -> list[str]:
        left_out = set(excluded)
        return [k for m in self.members.current if m.id not in left_out for k in m.keys]

    def record_facts(self, record: Record) -> tuple[tuple[str, ...], dt.date | None]:
        """The members a record is not encrypted to, and its next deadline (what CI checks of it)."""
        from . import deadlines

        return access.excluded(record, self.members, self.linked), deadlines.next_deadline(
            record, self.policy
        )

    def know(self, loaded: Mapping[str, RecordRead]) -> None:
        """The collection records are written in: members named through same-person links are found
        across it (`record_facts`). A member who cannot open some records finds only what theirs show."""
        self.linked = access.linked_members([item.record for item in loaded.values()], self.members)

    # -- per-case access (SPEC section 11) -------------------------------------------

    @property
    def reader_id(self) -> str | None:
        """The current member whose identity this is (None: not a member, or no identity)."""
        cached = self.__dict__.get("_reader_id", False)
        if cached is False:
            try:
                cached = self._reader_member(self._identities())
            except CocrecError:
                cached = None
            self.__dict__["_reader_id"] = cached
        return cached  # type: ignore[no-any-return]

    def withheld_ids(self) -> frozenset[str]:
        """The records whose signed index entry says they are not encrypted to this member (recused, named
        in them, or not yet cleared): not theirs to open, so reading commands leave them out instead of failing."""
        me = self.reader_id
        if me is None:
            return frozenset()
        try:
            signed = (
                self.verification.signed
            )  # only what a member signed: an edited index hides nothing
        except CocrecError:
            return frozenset()
        return frozenset(rid for rid, e in signed.items() if me in e.excluded and not e.removed)

    def why_withheld(self, rid: str) -> str:
        me = self.reader_id or "you"
        if me in access.pending_for(rid, self.members):
            why = f"{me} is not cleared for it yet (it was written before they joined): a member runs `cocrec members clear {me}` once they have declared their conflicts"
        else:
            why = f"{me} is recused from it (or it names them): it is not encrypted to them; ask another member"
        return f"{self.repo.record_source(rid)}: not yours to open: {why}"

    def tell_withheld(self, what: str = "") -> None:
        """On stderr: how many records this member's command could not include (no ids, no reasons)."""
        count = len(self.withheld)
        if count:
            self.err(
                f"cocrec: {count} record(s) left out{what}: you cannot open them (recused, named in them, or not yet cleared); a member recused from nothing can include them"
            )

    def keys_for(self, excluded: tuple[str, ...], source: str) -> list[str]:
        """The keys to encrypt a record to; refused when nobody who may open it would be left."""
        wanted = self.recipient_keys(excluded)
        if not wanted:
            raise nobody_left(source)
        return wanted

    @cached_property
    def clone(self) -> Clone:
        return Clone.of(self.repo.git_dir)

    @cached_property
    def trust_file(self) -> trust.TrustFile:
        path = self.repo.root / trust.TRUST_FILE
        if not path.exists():
            return trust.TrustFile()
        return trust.parse(path.read_bytes(), trust.TRUST_FILE)

    @cached_property
    def verifier(self) -> trust.Verifier:
        return trust.Verifier(self.clone.verified())

    def read_index(self) -> index.Index:
        """The index as on disk; parsed once per content (Index.parse: it is megabytes at 10,000 records)."""
        path = self.repo.index_path
        if not path.exists():
            return index.Index.empty()
        return index.Index.parse(path.read_bytes(), self.repo.rel(path))

    def previous_index(self) -> index.Index:
        """What the index knows: as on disk, or, when it is missing or malformed, as last committed (its
        signatures and recipients are worth keeping: regenerating must not make every record unsigned).
        Read once until this store writes it (`write_entries`)."""
        cached = self.__dict__.get("_previous")
        if cached is None:
            cached = self.__dict__["_previous"] = self._previous_index()
        return cached

    def _previous_index(self) -> index.Index:
        try:
            if self.repo.index_path.exists():
                return self.read_index()
        except CocrecError:
            pass
        return self._committed_index()

    def _committed_index(self, rev: str = "HEAD") -> index.Index:
        if not (self.history.root / ".git").exists():
            return index.Index.empty()
        from . import git

        data = git.show_file(self.history.root, rev, "records/index.yaml")
        if data is None:
            return index.Index.empty()
        try:
            return index.Index.parse(data, f"{rev}:records/index.yaml")
        except CocrecError:
            return index.Index.empty()

    def _committed_evidence(
        self, members: trust.Members
    ) -> Callable[[], Mapping[str, index.Entry]]:
        found: list[dict[str, index.Entry]] = []

        def entries() -> Mapping[str, index.Entry]:
            if not found:
                vouching: dict[str, index.Entry] = {}
                for rev in self._last_commits():
                    for rid, e in self._committed_index(rev).entries.items():
                        if (
                            rid not in vouching
                            and e.sig
                            and trust.entry_signer(e, members, self.verifier)
                        ):
                            vouching[rid] = e
                found.append(vouching)
            return found[0]

        return entries

    def _last_commits(self) -> list[str]:
        """HEAD and its parents: after a merge a git host made as text, an entry one side signed may be in a parent only."""
        if not (self.history.root / ".git").exists():
            return []
        from . import git

        return ["HEAD", *git.parents(self.history.root, "HEAD")]

    def _merged_indexes(self) -> list[index.Index]:
        """During a merge, the indexes of both sides: an entry a member signed on either side vouches
        for its record whichever version the member resolving the merge keeps."""
        if not (self.history.git_dir / "MERGE_HEAD").exists():
            return []
        return [self._committed_index("HEAD"), self._committed_index("MERGE_HEAD")]

    # -- trust ------------------------------------------------------------------

    @cached_property
    def verification(self) -> Verification:
        """What the signatures prove (computed once per command). Pins the trust root on first use."""
        v = self._verify()
        if self.verifier.added:
            self.clone.save_verified(self.verifier.seen)
        return v

    def _verify(self) -> Verification:
        _ = (
            self.policy,
            self.members,
        )  # a malformed file is its own one-line error, before what its hash says
        tf = self._trust_or_flaw()
        if isinstance(tf, Problem):
            return Verification(None, [tf])
        if not tf.log:
            return self._unrooted()
        members, log_flaws = trust.verify_log(tf, self.verifier)
        if members is None:
            return Verification(None, [Problem(f.source, f.message, EXIT_REPO) for f in log_flaws])
        pin = self._root_flaw(members, tf)
        if pin is not None:
            return Verification(None, [pin])
        v = Verification(members, self._file_flaws(tf, members), journal=self.clone.journal())
        widening = self.widening_in(tf)
        if widening is not None:
            v.widening = widening.seq
            v.flaws.append(Problem("members.yaml", str(widening), EXIT_REPO))
        v.committed = self._committed_evidence(members)
        self._believe_entries(v, members)
        files = self.repo.record_files()
        for rid, entry in sorted(v.signed.items()):
            if not entry.removed and rid not in files:
                v.flaws.append(
                    Problem(
                        self.repo.record_source(rid),
                        "was removed (its file is gone; its signed index entry is not): restore it from git, or, if the committee removed it on purpose, a member signs the removal with `cocrec adopt`",
                        EXIT_REPO,
                    )
                )
        for rid, why in sorted(v.entry_flaws.items()):
            if (
                rid not in files
            ):  # a removal nobody signed: a tombstone, or any entry, that no member vouches for
                v.flaws.append(
                    Problem(self.repo.record_source(rid), f"its file is gone and {why}", EXIT_REPO)
                )
        self._check_rollbacks(v, tf)
        return v

    def _trust_or_flaw(self) -> trust.TrustFile | Problem:
        try:
            return self.trust_file
        except ValidationError as exc:
            return Problem(trust.TRUST_FILE, str(exc), EXIT_REPO)

    def _unrooted(self) -> Verification:
        """No trust root yet: a new repository before its first member, or one made before signing existed."""
        if not self.members.current and not self.repo.record_files():
            return Verification(None)
        flaw = Problem(
            trust.TRUST_FILE,
            "missing: nothing here is signed yet; a current member signs the repository as it is with `cocrec adopt` (they become its trust root)",
            EXIT_REPO,
        )
        return Verification(None, [flaw])

    def _root_flaw(self, members: trust.Members, tf: trust.TrustFile) -> Problem | None:
        pinned = self.env.get("COCREC_TRUST_ROOT") or self.clone.root
        if pinned is None:
            self._pin_first_use(members, tf)
            return None
        if pinned == members.root:
            return None
        first = tf.log[0]
        return Problem(
            trust.TRUST_FILE,
            f"its trust root (the first member, {first.by}) is not the one this clone pinned: someone replaced the "
            "repository's membership history; if the committee really started over, check the new root with its first "
            "member, then run `cocrec setup --repin`",
            EXIT_REPO,
        )

    def _pin_first_use(self, members: trust.Members, tf: trust.TrustFile) -> None:
        if self.clone.pin_root(members.root):
            self.clone.accept(members.keys)
            first = tf.log[0]
            prints = ", ".join(
                keys.fingerprint(k)
                for k in first.keys.get(first.by, ())
                if k.split()[0] in keys.SIGNING_TYPES
            )
            self.err(
                f"cocrec: pinned this clone's trust root: the repository's first member, {first.by} ({prints}); confirm it with them"
            )

    def _file_flaws(self, tf: trust.TrustFile, members: trust.Members) -> list[Problem]:
        flaws = []
        members_sha = (
            index.sha256(self.repo.members_path.read_bytes())
            if self.repo.members_path.exists()
            else ""
        )
        if members_sha != members.members_sha256:
            if self._pending_members(members):
                message = "an interrupted change of members (signed in trust.yaml, not written here yet): any writing command, such as `cocrec rekey`, finishes it"
                flaws.append(Problem("members.yaml", message, EXIT_REPO))
            else:
                flaws.append(
                    Problem(
                        "members.yaml", str(trust.members_flaw(members, members_sha)), EXIT_REPO
                    )
                )
        policy_sha = index.sha256(self.repo.policy_path.read_bytes())
        why = trust.verify_policy(tf.policy, members, policy_sha, self.verifier)
        if why is not None:
            flaws.append(Problem("cocrec.yaml", why, EXIT_REPO))
        return flaws

    def widening_in(self, tf: trust.TrustFile) -> trust.Widening | None:
        """The change of members.yaml in this (verified) log that widens its own signer's access and
        that no other member signed after (trust.self_widening), compared with members.yaml itself for
        the last entry and, for entries signed before limits were, with git's history of it."""
        salt = trust.salt_of(tf)
        current = None
        if (
            tf.log
            and self.repo.members_path.exists()
            and tf.log[-1].members_sha256 == index.sha256(self.repo.members_path.read_bytes())
        ):
            current = access.limits(self.members, salt)
        found: list[dict[str, bytes]] = []

        def earlier(sha: str) -> trust.Limits | None:
            """members.yaml with this hash, from git history (for entries signed before limits were)."""
            if not found:
                found.append(self._members_versions())
            data = found[0].get(sha)
            if data is None:
                return None
            try:
                return access.limits(validate.load_members(data, "members.yaml"), salt)
            except CocrecError:
                return None

        return trust.self_widening(tf, current, earlier, self.verifier)

    def _members_versions(self) -> dict[str, bytes]:
        """Every version of members.yaml in git history (every ref), by the hash of its bytes."""
        if not (self.history.root / ".git").exists():
            return {}
        from . import git

        path = self.repo.rel(self.repo.members_path)
        return {index.sha256(blob): blob for blob in git.path_blobs(self.history.root, path)}

    def _pending_members(self, members: trust.Members) -> bool:
        """A members change this clone signed and was killed before writing members.yaml (the writer finishes it)."""
        path = self.clone.directory / PENDING_MEMBERS if self.clone.directory else None
        return bool(
            path and path.is_file() and index.sha256(path.read_bytes()) == members.members_sha256
        )

    def _believe_entries(self, v: Verification, members: trust.Members) -> None:
        entries = dict(self.previous_index().entries)
        for other in self._merged_indexes():
            for rid, entry in other.entries.items():
                if entry.sig and trust.entry_signer(entry, members, self.verifier) is not None:
                    v.also.setdefault(rid, []).append(entry)
        for rid, entry in entries.items():
            who = trust.entry_signer(entry, members, self.verifier) if entry.sig else None
            if who is not None:
                v.signed[rid] = entry
            elif not entry.sig:
                v.entry_flaws[rid] = f"its index entry is not signed: if a member made it, {ADOPT}"
            elif self.verifier.signer(entry.sig, entry.message(members.root)) is None:
                v.entry_flaws[rid] = (
                    f"its index entry's signature fails to verify (edited after signing): restore records/index.yaml from git, or {ADOPT}"
                )
            else:
                v.entry_flaws[rid] = (
                    f"signed by a key that is no current member's (a former member's, or an outsider's): {ADOPT}"
                )

    def _check_rollbacks(self, v: Verification, tf: trust.TrustFile) -> None:
        now = trust.seen_in(tf, v.signed)
        before = self.clone.seen()
        present = set(self.previous_index().entries) | set(self.repo.record_files())
        for rid in present - set(now.records):
            now.records[rid] = (
                1 << 30
            )  # unsigned or missing entries are flawed already; not removed
        flaws = trust.rollbacks(now, before, self.repo.record_source, "this clone has seen")
        if before.log < 0 and (self.history.root / ".git").exists():
            # This branch, or this clone, seen for the first time: what it has no memory of, git's
            # history of trust.yaml still shows (a member's removal reverted some commits ago).
            from . import git

            history = git.history_blobs(self.history.root, "HEAD", trust.TRUST_FILE)
            flaws += trust.history_flaws(
                tf, history, "an earlier commit of this branch", self.verifier
            )
        v.flaws += [Problem(f.source, f.message, EXIT_REPO) for f in flaws]
        rolled_back = {f.source for f in flaws}
        for rid in list(v.signed):
            if self.repo.record_source(rid) in rolled_back:
                v.entry_flaws[rid] = (
                    "an older version than this clone has seen: restore it from git"
                )
                del v.signed[rid]
        if not v.flaws:
            self.clone.remember(trust.seen_in(tf, v.signed))

    def why_not(self, rid: str, file_sha: str) -> str | None:
        return self.verification.why_not(rid, file_sha)

    def require_trusted(self) -> None:
        """A writing command: refuse (exit 4) to build on unsigned members.yaml, cocrec.yaml or trust.yaml."""
        self.strict = True
        flaws = self.verification.flaws
        if flaws:
            for flaw in flaws[1:]:
                self.err(f"cocrec: {flaw}")
            more = f" ({len(flaws) - 1} more problem(s) listed above)" if len(flaws) > 1 else ""
            raise RepoError(f"{flaws[0]}{more}; nothing was changed")

    @cached_property
    def signer(self) -> tuple[str, keys.SigningKey]:
        """The acting member and the ssh key they sign with (what they write carries their signature)."""
        identities = self._identities()
        mine = {trust.normalize(k.public_key): k for k in identities.signing_keys}
        for member in self.members.current:
            for key in member.keys:
                if trust.normalize(key) in mine:
                    return member.id, mine[trust.normalize(key)]
        reader = self._reader_member(identities)
        if reader is not None:
            raise RepoError(
                f"members.yaml: {reader}: your keys are all age X25519 keys, which decrypt but cannot sign, so you can "
                "read records but not change them: make a signing key with `cocrec keygen --output PATH` (ssh-ed25519), "
                "add its public key to your entry in members.yaml and ask another member to run `cocrec adopt`"
            )
        raise RepoError(
            "members.yaml: your identity holds no current member's ssh key, so cocrec cannot sign what it would write: "
            "a current member must run this; nothing was changed"
        )

    def _reader_member(self, identities: crypto.Identities) -> str | None:
        mine = {crypto.normalize_key(k) for k in identities.public_keys}
        for member in self.members.current:
            if mine & {crypto.normalize_key(k) for k in member.keys}:
                return member.id
        return None

    @contextlib.contextmanager
    def writer(self, trusted: bool = True) -> Iterator[None]:
        """What every writing command runs in: the lock, members.yaml, cocrec.yaml and trust.yaml read
        again (another writer may have changed them while this one waited), temp files swept, an
        interrupted write finished, and the repository verified (refusing what is not signed; not
        `trusted`: `cocrec adopt`, whose job is to sign it, finishes what it can and goes on)."""
        with self.repo.lock():
            self.reread()
            self.cleanup()
            self._finish_members_change()
            if trusted:
                self.require_trusted()
            if self.clone.journal() and not self.verification.flaws:
                self._finish_journal()
            yield

    def recover(self) -> None:
        """Finish what a killed writer left (temp files, a change of members, records not indexed) and let
        go of the lock: for a command that waits for the member (an editor) before it writes."""
        with self.writer():
            pass

    def reread(self) -> None:
        """Forget what was read of members.yaml, cocrec.yaml, trust.yaml and the index, and what they prove."""
        for name in (
            "trust_file",
            "members",
            "verification",
            "signer",
            "policy",
            "_expected",
            "_previous",
            "_reader_id",
        ):
            self.__dict__.pop(name, None)

    def _finish_members_change(self) -> None:
        directory = self.clone.directory
        pending = directory / PENDING_MEMBERS if directory else None
        if pending is None or not pending.is_file():
            return
        data = pending.read_bytes()
        try:
            last = self.trust_file.log[-1] if self.trust_file.log else None
        except ValidationError:
            return
        if last is not None and last.members_sha256 == index.sha256(data):
            atomic_write(self.repo.members_path, data)
            self.__dict__.pop("members", None)
            self.finished_members_change = True
        pending.unlink()

    def _finish_journal(self) -> None:
        """Index what this clone wrote before it was killed (its own work: signing it launders nothing)."""
        loaded = self.load()
        written, known = self.journaled_files(loaded)
        self.write_index(loaded, written=written, known=known)
        self.clone.clear_journal()
        self.recovered |= set(written)

    def journaled_files(self, loaded: Mapping[str, Loaded]) -> tuple[list[str], dict[str, str]]:
        """The records of `loaded` this clone wrote and has not indexed (the journal), and whom each is encrypted to."""
        journal, noted = self.clone.journal(), self.clone.journal_recipients()
        written = [rid for rid, item in loaded.items() if item.file_sha in journal.get(rid, ())]
        return written, {
            rid: fp for rid in written if (fp := noted.get((rid, loaded[rid].file_sha)))
        }

    # -- reading -------------------------------------------------------------

    def open_files(
        self,
        ids: Iterable[str] | None = None,
        progress: Callable[[int], None] | None = None,
        files: Mapping[str, Path] | None = None,
    ) -> tuple[dict[str, Loaded], list[Problem]]:
        """Decrypt and validate records (all, or `ids`, of `files` if the caller has listed them);
        problems are returned so a command can list them all. Authenticity is not decided here
        (see `load`)."""
        wanted, items = self.items(ids, files)
        loaded: dict[str, Loaded] = {}
        problems: list[Problem] = []
        if not items:  # no identity needed to open nothing
            return loaded, problems
        with opening.open_each(items, self.opener(), progress) as opened:
            # Each as it comes: building the models overlaps the decrypting.
            for rid, (path, _), item in zip(wanted, items, opened):
                problems.extend(item.problems)
                if not item.problems:
                    loaded[rid] = self.loaded(rid, path, item)
        return loaded, problems

    def items(
        self,
        ids: Iterable[str] | None = None,
        files: Mapping[str, Path] | None = None,
        withhold: bool = True,
    ) -> tuple[list[str], list[opening.Item]]:
        """The ids of the records to open (all, or `ids`, of `files`) and their (file, name); told
        once, before any, when this member's identity opens none. `withhold`: leave out the records
        not this member's to open (else the caller does, with `withhold_from`, once the signatures
        it needs are verified: `check` hands out the work first)."""
        files = self.repo.record_files() if files is None else files
        wanted = sorted(files) if ids is None else sorted(rid for rid in set(ids) if rid in files)
        if withhold:
            wanted = self.withhold_from(wanted)
        if wanted:
            self.require_recipient()
        return wanted, [(files[rid], self.repo.record_source(rid)) for rid in wanted]

    def withhold_from(self, wanted: Sequence[str]) -> list[str]:
        """`wanted` without the records not this member's to open, which `withheld` then names."""
        withheld = self.withheld_ids()
        self.withheld = sorted(rid for rid in wanted if rid in withheld)
        return [rid for rid in wanted if rid not in withheld]

    def opener(self) -> opening.Opener:
        """What each worker needs to open and validate records."""
        return opening.Opener.of(self._identities(), self.policy, self.members)

    @staticmethod
    def loaded(rid: str, path: Path, item: opening.Opened) -> Loaded:
        return Loaded(rid, path, item.plaintext, item.doc, Record.from_doc(item.doc), item.file_sha)

    def load(self, ids: Iterable[str] | None = None) -> dict[str, Loaded]:
        """Every authentic record (or of `ids`), or the first problem raised as its error.

        A record no member signed is left out and named on stderr (`left_out`); a writing command
        (`strict`) refuses instead."""
        if ids is not None:
            self.require(ids)
        self._report_flaws()
        loaded, problems = self.open_files(ids)
        if problems:
            raise problems[0].error()
        return self.authentic_only(loaded)

    def authentic_only(self, loaded: Mapping[str, Loaded]) -> dict[str, Loaded]:
        self._report_flaws()
        doubted = self.doubts({rid: item.file_sha for rid, item in loaded.items()})
        kept = {rid: item for rid, item in loaded.items() if rid not in doubted}
        if self.strict:
            self.refuse_doubts(doubted.values())
        for doubt in doubted.values():
            self.err(f"cocrec: {doubt}; left out")
            self.left_out.append(doubt.source)
        return kept

    def doubts(self, file_shas: Mapping[str, str]) -> dict[str, Problem]:
        """Why each record file (by id: the sha256 of its bytes) that is not authentic is not."""
        doubts = {}
        for rid, file_sha in file_shas.items():
            why = self.why_not(rid, file_sha)
            if why is not None:
                doubts[rid] = Problem(self.repo.record_source(rid), why, EXIT_REPO)
        return doubts

    def refuse_doubts(self, doubts: Iterable[Problem], then: str = "nothing was changed") -> None:
        """A command that would build on a record no member signed, or hand its text to the member's
        tools, refuses (exit 4): the first on one line, any others listed above it."""
        listed = list(doubts)
        if not listed:
            return
        for doubt in listed[1:]:
            self.err(f"cocrec: {doubt}")
        more = f" ({len(listed) - 1} more listed above)" if len(listed) > 1 else ""
        raise RepoError(f"{listed[0]}{more}; {then}")

    def _report_flaws(self) -> None:
        """A reading command names what is wrong with trust.yaml, members.yaml or cocrec.yaml once; when
        nothing can be believed (no trust root, a broken log, a root this clone did not pin) it stops."""
        if self.strict or self.__dict__.get("_flaws_reported"):
            return
        self.__dict__["_flaws_reported"] = True
        v = self.verification
        if v.members is None and v.flaws:
            raise RepoError(f"{v.flaws[0]}; nothing here can be believed until then")
        for flaw in self.verification.flaws:
            self.err(f"cocrec: {flaw}")
            self.left_out.append(flaw.source)

    def require_recipient(self) -> None:
        """Records are encrypted to the current members' keys: an identity holding none of them opens none,
        and is told so once (not, for every record, "ask a member to run `cocrec rekey`"). members.yaml is
        cleartext, so this tells nobody anything about a record."""
        current = self.members.keys
        if current and holds_none_of(self._identities(), current):
            raise no_member_key(
                self.repo.rel(self.repo.members_path),
                "current members'",
                "it opens no record: records are encrypted to current members only, and a member who has "
                "left is not a recipient any more; if you are a member, `git pull` (you may have been "
                "added since), or ask the chair to add your key",
            )

    def require(self, ids: Iterable[str]) -> None:
        """Every id names a record this member can be told about: first, that they can open any at all."""
        ids = list(ids)
        self._report_flaws()
        if ids:
            self.require_recipient()
        files = self.repo.record_files()
        for rid in ids:
            if rid not in files:
                raise UsageError(
                    f"records/{rid}.yaml.age: no such record; `cocrec list` shows the ids"
                )
        withheld = self.withheld_ids()
        for rid in ids:
            if rid in withheld:
                raise DecryptError(self.why_withheld(rid))

    def schedules(
        self, loaded: Mapping[str, RecordRead], as_of: dt.date, people: PeopleIndex | None = None
    ) -> dict[str, RecordSchedule]:
        return schedule([item.record for item in loaded.values()], self.policy, as_of, people)

    # -- writing -------------------------------------------------------------

    def serialise(self, doc: Mapping[str, Any]) -> bytes:
        return yaml_io.dumps(validate.canonical(dict(doc))).encode("utf-8")

    def check_docs(
        self, docs: Sequence[dict[str, Any]], loaded: Mapping[str, Loaded]
    ) -> dict[str, Loaded]:
        """Validate changed documents against the whole collection; return the collection as it would be."""
        after = dict(loaded)
        for doc in docs:
            rid = str(doc.get("id", ""))
            source = self.repo.record_source(rid) if rid else "record"
            errors = validate.record_errors(
                doc, source, self.policy, self.members, expected_id=rid or None
            )
            if errors:
                raise errors[0]
            plaintext = self.serialise(doc)
            previous = loaded.get(rid)
            after[rid] = Loaded(
                rid,
                self.repo.record_path(rid),
                plaintext,
                doc,
                Record.from_doc(doc),
                previous.file_sha if previous else "",
            )
        collection = validate.collection_errors(
            {self.repo.record_source(rid): item.doc for rid, item in after.items()}
        )
        if collection:
            raise collection[0]
        self.know(after)
        return after

    def save(self, docs: Sequence[dict[str, Any]], loaded: Mapping[str, Loaded]) -> list[str]:
        """Write the documents that changed (caller is in `writer()`); rewrite the index. Returns written ids."""
        after = self.check_docs(docs, loaded)
        changed = [
            rid
            for rid in {str(d["id"]) for d in docs}
            if rid not in loaded or after[rid].plaintext != loaded[rid].plaintext
        ]
        moved = self._newly_named(after, set(changed)) if changed else []
        self.write_ciphertexts({rid: after[rid] for rid in sorted(changed + moved)})
        self.write_index(after, written=changed + moved)
        return sorted(changed)

    def _newly_named(self, after: Mapping[str, Loaded], changed: set[str]) -> list[str]:
        """Other records that the written ones make name a member (a same-person link): re-encrypted too,
        so that they leave that member out from now on."""
        if not self.linked:
            return []
        entries = self.previous_index().entries
        moved = []
        for rid, item in after.items():
            entry = entries.get(rid)
            if (
                rid not in changed
                and entry is not None
                and entry.excluded != access.excluded(item.record, self.members, self.linked)
            ):
                moved.append(rid)
        return moved

    def write_ciphertexts(
        self, records: Mapping[str, Loaded], before_write: Callable[[], None] | None = None
    ) -> None:
        """Encrypt each to its recipients and verify it (on every core), then replace the files.

        Every new ciphertext is verified and staged in a temp file before any
        record is replaced; `before_write` (members.yaml, say) runs in between,
        after the journal has noted each new file as this clone's own.
        """
        if records and not self.members.keys:
            raise CocrecError(
                f"{self.repo.rel(self.repo.members_path)}: no current members to encrypt to; run `cocrec members add`"
            )
        self.repo.records_dir.mkdir(exist_ok=True)
        groups: dict[tuple[str, ...], list[tuple[Path, str, bytes]]] = {}
        recipients: dict[str, str] = {}
        for rid, item in records.items():
            excluded, _ = self.record_facts(item.record)
            self._may_write(item.record, excluded)
            groups.setdefault(excluded, []).append(
                (self.repo.record_path(rid), self.repo.record_source(rid), item.plaintext)
            )
            recipients[rid] = self.fingerprint_without(excluded)
        self.confirm_recipients()
        keys = {
            excluded: self.keys_for(excluded, items[0][1]) for excluded, items in groups.items()
        }

        def stage_all() -> list[staging.Staged]:
            staged: list[staging.Staged] = []
            for excluded, items in groups.items():
                staged += staging.encrypt_all(items, keys[excluded], self._identities())
            return staged

        staging.write_staged(
            stage_all, self.repo.records_dir, self.journaled(before_write, recipients)
        )

    def _may_write(self, record: Record, excluded: tuple[str, ...]) -> None:
        """The writer verifies each ciphertext by opening it: a record they would not receive is refused;
        a record naming members is written without them, and the writer is told (ids only)."""
        source = self.repo.record_source(record.id)
        named = access.named(record, self.members, self.linked)
        me = self.reader_id
        if me is not None and me in named:
            raise UsageError(
                f"{source}: names you ({me}) by one of your identifiers in members.yaml: a report about you is never encrypted to you; ask another member to write it; nothing was changed"
            )
        if me is not None and me in excluded:
            raise UsageError(
                f"{source}: you ({me}) would not receive it (recused or not yet cleared), so you cannot write it: ask another member; nothing was changed"
            )
        if named:
            self.err(
                f"cocrec: {source}: not encrypted to {', '.join(named)}: it names them (their identifiers in members.yaml)"
            )

    def journaled(
        self, before_write: Callable[[], None] | None, recipients: Mapping[str, str] = {}
    ) -> Callable[[list[staging.Staged]], None]:
        """Note each staged file in the journal (with `recipients`, by id: whom it is encrypted to), then run `before_write`."""

        def note(staged: list[staging.Staged]) -> None:
            written = {
                item.path.name[: -len(".yaml.age")]: item.sha256
                for item in staged
                if item.tmp is not None
            }
            self.clone.note(written, recipients)
            if before_write is not None:
                before_write()

        return note

    def write_index(
        self,
        loaded: Mapping[str, Loaded],
        written: Iterable[str] | None = None,
        removed: Iterable[str] = (),
        known: Mapping[str, str] = {},
        name_all: bool = False,
    ) -> bool:
        """Regenerate records/index.yaml from the files as they now are, signing each changed entry
        (caller is in `writer()`: every record in `loaded` is authentic); True when it changed.
        The signed tombstones of records removed on purpose are kept, and `removed` ones added;
        `known` gives, by id, whom a written file is encrypted to when that is not the current members
        (as the journal noted it); `name_all` gives every record without a code name one (`cocrec index`)."""
        self._written_count = len(set(written or ()))
        entries = self.index_entries(loaded, frozenset(written or ()))
        for rid, fingerprint in known.items():
            if rid in entries:
                entries[rid] = replace(entries[rid], recipients=fingerprint)
        for rid in self.withheld_ids() - set(
            entries
        ):  # not this member's to open: its signed entry stays as it is
            entry = (
                self.verification.vouching(
                    rid, index.sha256(self.repo.record_path(rid).read_bytes())
                )
                if self.repo.record_path(rid).is_file()
                else None
            )
            if entry is not None:
                entries[rid] = entry
        for rid, entry in self.verification.signed.items():
            if entry.removed and rid not in entries:
                entries[rid] = entry
        for rid in removed:
            if rid not in entries:
                entries[rid] = index.tombstone(rid)
        return self.write_entries(entries, name_all)

    def write_entries(self, entries: Mapping[str, index.Entry], name_all: bool = False) -> bool:
        signed = self.sign_entries(self.with_code_names(entries, name_all))
        text = index.render(self.fingerprint, signed).encode("utf-8")
        path = self.repo.index_path
        changed = not (path.exists() and path.read_bytes() == text)
        if changed:
            try:
                self.repo.records_dir.mkdir(exist_ok=True)
                atomic_write(path, text)
            except OSError as exc:
                raise staging.NotWritten(
                    f"{self.repo.rel(path)}: cannot write it ({exc.strerror}): {self._index_left()}; "
                    f"{advice(exc)}, then run `cocrec index`"
                ) from None
        self.clone.clear_journal()
        self.clone.remember(trust.seen_in(self.trust_file, signed))
        self.__dict__.pop("verification", None)
        self.__dict__.pop("_previous", None)
        return changed

    def _index_left(self) -> str:
        count = self.__dict__.get("_written_count", 0)
        return (
            f"{count} record(s) were written, but not the index"
            if count
            else "the index is as it was"
        )

    def sign_entries(self, entries: Mapping[str, index.Entry]) -> dict[str, index.Entry]:
        """Each entry as a current member signed it: an entry already signed with the same facts (here, on
        a merged side, or as last committed) is kept; any other gets the next version, signed now."""
        carried: dict[str, index.Entry] = {}
        for rid, entry in entries.items():
            same = self._signed_alike(rid, entry)
            carried[rid] = (
                same
                if same is not None
                else replace(entry, version=self.latest_version(rid) + 1, sig="")
            )
        todo = {rid: e for rid, e in carried.items() if not e.sig}
        if not todo:
            return carried
        _, key = self.signer
        root = self.trust_file.root
        assert root is not None, "a signed repository has a trust root"
        for rid, entry in todo.items():
            carried[rid] = trust.sign_entry(entry, root, key)
            self.verifier.remember(
                carried[rid].sig, carried[rid].message(root)
            )  # made here: no need to check it again
        if todo:
            self.clone.save_verified(self.verifier.seen)
        return carried

    def _signed_alike(self, rid: str, entry: index.Entry) -> index.Entry | None:
        if entry.sig and self.verification.signed.get(rid) == entry:
            return entry
        alike = [e for e in self.verification.candidates(rid) if e.facts() == entry.facts()]
        return max(alike, key=lambda e: e.version) if alike else None

    def index_entries(
        self,
        loaded: Mapping[str, RecordRead],
        written: frozenset[str] = frozenset(),
        schedules: Mapping[str, RecordSchedule] | None = None,
        as_read: bool = False,
    ) -> dict[str, index.Entry]:
        """The (unsigned) index entries of `loaded`, hashing each file as it now is; with `as_read`, the caller
        vouches that nothing was written since the files were read, so the hashes taken then are used."""

        def file_sha(rid: str, item: RecordRead) -> str:
            return (
                item.file_sha
                if as_read and item.file_sha
                else index.sha256(self.repo.record_path(rid).read_bytes())
            )

        records = {rid: (item.record, file_sha(rid, item)) for rid, item in loaded.items()}
        self.know(loaded)
        known = index.Index(
            "",
            {
                rid: e
                for rid, (_, sha) in records.items()
                if (e := self.verification.vouching(rid, sha)) is not None
            },
        )
        entries = index.entries_of(
            records,
            self.policy,
            self.fingerprint_without,
            known,
            written,
            schedules,
            self.record_facts,
        )
        return self.carry_code_names(entries)

    def latest_version(self, rid: str) -> int:
        """The highest version any entry of this record has shown: the next one signed goes past it."""
        versions = [e.version for e in self.verification.candidates(rid)]
        previous = self.previous_index().entries.get(rid)
        if previous is not None:
            versions.append(previous.version)
        return max(versions, default=0)

    # -- code names ----------------------------------------------------------------

    def signed_code_name(self, rid: str) -> str | None:
        """The code name a member signed for this record (in the index, on a merged side, or as last
        committed); None for a record that has none yet. An entry no member signed names nothing."""
        v = self.verification
        # What the index signs now is the latest word: the last commit's is read only without it.
        named = (e.code_name for e in v.candidates(rid, last_commit=rid not in v.signed))
        return next((name for name in named if name is not None), None)

    def with_code_names(
        self, entries: Mapping[str, index.Entry], name_all: bool = False
    ) -> dict[str, index.Entry]:
        """Each entry with its record's signed code name. A record without one gets a new one when its
        entry changes anyway (it is written: `new`, `edit`, `rekey`...), or, with `name_all`, always."""
        carried = self.carry_code_names(entries)
        unnamed = [
            rid for rid, e in carried.items()
            if e.code_name is None and not e.removed and (name_all or self._signed_alike(rid, e) is None)
        ]  # fmt: skip
        if unnamed:
            for rid, name in codenames.assign(unnamed, self._code_names_taken(carried)).items():
                carried[rid] = replace(carried[rid], code_name=name)
        return carried

    def carry_code_names(self, entries: Mapping[str, index.Entry]) -> dict[str, index.Entry]:
        """Each entry with its record's signed code name (none given here)."""
        carried = {}
        for rid, entry in entries.items():
            name = self.signed_code_name(rid) or entry.code_name
            carried[rid] = entry if name == entry.code_name else replace(entry, code_name=name)
        return carried

    def _code_names_taken(self, entries: Mapping[str, index.Entry]) -> set[str]:
        """Every code name the repository has given: none is given twice, not even a removed record's."""
        v = self.verification
        known = [*entries.values(), *self.previous_index().entries.values(), *v.signed.values()]
        known += [e for side in v.also.values() for e in side]
        return {e.code_name for e in known if e.code_name is not None}

    def code_names(self) -> dict[str, str | None]:
        """Record id -> its signed code name (None: none yet), for every record file and tombstone."""
        ids = set(self.repo.record_files()) | set(self.verification.signed)
        return {rid: self.signed_code_name(rid) for rid in sorted(ids)}

    def resolve(self, text: str) -> str:
        """The record id that what a member typed names: a record id, or a record's code name (any case,
        `home shelf`, `home-shelf`). A code name no record has, or more than one has, is a usage error;
        the text is not repeated (it may be a name typed in the wrong place)."""
        if ID_PATTERN.match(text):
            return text
        name = codenames.normalise(text)
        if name is None:
            raise UsageError(
                'ID: neither a record id (such as 2026-k7qd) nor a code name (two words, such as "home shelf"): '
                "`cocrec list` shows each record's id and code name"
            )
        self._report_flaws()  # when nothing can be believed, that is the one line to read, not "no such name"
        found = codenames.holders(name, self.code_names())
        live = [rid for rid in found if rid in self.repo.record_files()]
        if len(live) > 1:
            raise UsageError(
                f"ID: that code name is held by records {', '.join(live)}: give the one you mean by its id"
            )
        if live:
            return live[0]
        if found:
            raise UsageError(
                f"ID: that code name is record {found[0]}'s, which the committee removed"
            )
        raise UsageError(
            "ID: no record has that code name: `cocrec list` shows each record's id and code name"
        )

    def resolve_all(self, texts: Iterable[str]) -> list[str]:
        """`resolve` for each (ids and code names may be mixed)."""
        return [self.resolve(text) for text in texts]

    # -- recipients this clone has accepted ----------------------------------------

    consent: Callable[[str], bool] | None = None
    consented: set[str] = (
        set()
    )  # keys given on this command's line (replaced per store in __init__)

    def confirm_recipients(self) -> None:
        """Before encrypting to a key this clone has not accepted: list what changed, per member, and ask
        (`consent`); without a way to ask, refuse (SPEC section 10, no silent recipients)."""
        current = {m.id: tuple(trust.normalize(k) for k in m.keys) for m in self.members.current}
        accepted = self.clone.accepted
        if accepted is None or self.clone.directory is None:
            self.clone.accept(current)
            return
        changes = key_changes(
            accepted,
            {m: tuple(k for k in ks if k not in self.consented) for m, ks in current.items()},
        )
        if not changes.added:
            if changes.removed:
                self.clone.accept(current)
            return
        lines = changes.lines()
        for line in lines:
            self.err(f"cocrec: {line}")
        consent = self.consent
        if consent is None or not consent("Encrypt to these keys?"):
            raise UsageError(
                "members.yaml: the records would be encrypted to key(s) this clone has not accepted (listed above): "
                "check them with their members, then run the command again with --yes (or answer yes on a terminal)"
            )
        self.clone.accept(current)

    def accept_keys(self, member_id: str, given: Sequence[str]) -> None:
        """Keys the member gave on the command line (`members add ID --key`): that is their consent."""
        self.consented |= {trust.normalize(k) for k in given}
        accepted = self.clone.accepted
        if accepted is None or not given:
            return
        mine = dict(accepted)
        mine[member_id] = tuple(
            sorted({*mine.get(member_id, ()), *(trust.normalize(k) for k in given)})
        )
        self.clone.accept(mine)

    def accept_current_keys(self) -> None:
        self.clone.accept(
            {m.id: tuple(trust.normalize(k) for k in m.keys) for m in self.members.current}
        )

    def cleanup(self) -> None:
        """Remove temp files that a killed writer left in records/, beside members.yaml and in .git/cocrec."""
        for directory in (self.repo.records_dir, self.repo.root, self.clone.directory):
            if directory is not None and directory.is_dir():
                remove_stray_temps(directory)


@dataclass(frozen=True)
class KeyChanges:
    added: dict[str, list[str]]
    removed: dict[str, list[str]]

    def lines(self) -> list[str]:
        out = []
        for label, change in (("added", self.added), ("removed", self.removed)):
            for member, ks in sorted(change.items()):
                for key in ks:
                    out.append(f"key {label} for {member}: {describe_key(key)}")
        return out


def key_changes(
    before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]]
) -> KeyChanges:
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for member in sorted(set(before) | set(after)):
        old, new = set(before.get(member, ())), set(after.get(member, ()))
        if new - old:
            added[member] = sorted(new - old)
        if old - new:
            removed[member] = sorted(old - new)
    return KeyChanges(added, removed)


def describe_key(key: str) -> str:
    """A public key as a member compares it: its type and fingerprint (an age key is its own fingerprint)."""
    kind = key.split()[0]
    if kind in keys.SIGNING_TYPES:
        with contextlib.suppress(keys.BadKey):
            return f"{kind} {keys.fingerprint(key)}"
    return key.strip()
