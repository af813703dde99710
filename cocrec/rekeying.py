"""The rekey engine: re-encrypt exactly the records not encrypted to the keys they should be.

A record is stale when the signed index says it was encrypted to another set of keys than its own
(the current members but those left out of it), or when its age header names other recipients (by
count, type and ssh key tag). Only stale records are rewritten, so a rekey's git diff shows only what
had to change. A record no current member signed stops the run (a rekey signs what it rewrites, and
signing what nobody reviewed is what `cocrec adopt` is for).

Every new file is staged (encrypted, verified, fsynced beside the record) before any is replaced
(`staging.write_staged`), so a SIGKILL at any moment loses nothing and a re-run finishes the job:

- patch: every stale file is the one its index entry describes (a member joined or left), so its
  entry stays true but for its hash, recipients and signature, and no record is parsed;
- full: some file is not the one the index knows (an interrupted write), so every record is opened
  and validated and the index written anew.

`members add` and `members remove` are this same rekey, run with the new member set, writing
members.yaml and trust.yaml once every new file is verified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import access, checks, crypto, index, staging
from .errors import EXIT_DECRYPT, EXIT_REPO, CocrecError, DecryptError, RepoError
from .model import Members
from .problems import Problem
from .repo import Repo
from .store import Loaded, Store, holds_none_of, no_member_key, nobody_left

BeforeWrite = Callable[[], None] | None


@dataclass(frozen=True)
class Stale:
    """Why one record needs re-encrypting; `known` when its index entry describes this very file."""

    id: str
    source: str
    reason: str
    known: bool
    excluded: tuple[str, ...] = ()
    entry: index.Entry | None = None  # the entry a member signed for this very file, when one did

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def find_stale(store: Store, idx: index.Index) -> tuple[list[Stale], list[Problem]]:
    """Every record not encrypted to its keys, and every record no current member signed (needs no key)."""
    stale, doubts = [], []
    withheld = store.withheld_ids()
    for rid, path in store.repo.record_files().items():
        if rid in withheld:  # not this member's to open: another member re-encrypts it
            continue
        source = store.repo.record_source(rid)
        try:
            sha, stanzas = checks.file_facts(path.read_bytes(), source)
        except CocrecError as exc:
            doubts.append(Problem.of(exc, source))
            continue
        why = store.why_not(rid, sha)
        if why is not None:
            doubts.append(Problem(source, why, EXIT_REPO))
            continue
        entry = vouched(store, idx, rid, sha)
        state = checks.encryption_state(store, entry, sha, stanzas)
        excluded = access.carried(entry.excluded if entry else (), rid, store.members)
        if state == "current" and entry is not None and excluded != entry.excluded:
            state = "stale"  # a member joined as pending, or left
        if state != "current":
            known = (
                entry is not None and entry.sha256 == sha and not self_let_in(store, entry, stanzas)
            )
            stale.append(
                Stale(rid, source, checks.ADVICE[state].split(":")[0], known, excluded, entry)
            )
    return stale, doubts


def self_let_in(
    store: Store, entry: index.Entry, stanzas: tuple[crypto.Stanza, ...] | None
) -> bool:
    """Whether the member who signed this entry does not leave themselves out of the record, yet the
    file is not encrypted to the key they signed with: not what a writer signs (they verify what they
    write by opening it), but what a recused member signs to drop themselves from `excluded`. Such an
    entry does not decide whom a rekey re-encrypts to: the record is opened, and its own text decides."""
    members = store.verification.members
    if members is None or stanzas is None or not entry.sig:
        return False
    key = store.verifier.signer(entry.sig, entry.message(members.root))
    who = members.signer(key)
    return (
        key is not None
        and who is not None
        and who not in entry.excluded
        and (crypto.stanza_of(key) not in stanzas)
    )


def vouched(store: Store, idx: index.Index, rid: str, sha: str) -> index.Entry | None:
    """The index entry a member signed for this very file (the index's own, a merged side's, or as last
    committed); the entry on disk only when none is (this clone's own interrupted write). An entry
    edited by hand (its `excluded` emptied, its recipients set to everyone's) must not decide whom a
    rekey re-encrypts to."""
    entry = store.verification.vouching(rid, sha)
    return entry if entry is not None else idx.entries.get(rid)


def require_writer(store: Store) -> None:
    """What is written is verified by decrypting it, so the writer must hold a key of members.yaml's
    members (as this run writes them)."""
    if holds_none_of(store._identities(), store.members.keys):
        raise no_member_key(
            store.repo.rel(store.repo.members_path),
            "members'",
            "cocrec cannot verify what it would write: a current member must run this; nothing was changed",
        )


def require_readers(store: Store, idx: index.Index) -> None:
    """Every record keeps someone who may open it (also one this member cannot open: its signed entry
    says whom it leaves out); else nothing is written."""
    signed = store.verification.signed
    for rid in sorted(store.repo.record_files()):
        entry = signed.get(rid) or idx.entries.get(rid)
        if entry is None:
            continue
        if not access.readers(access.carried(entry.excluded, rid, store.members), store.members):
            raise nobody_left(store.repo.record_source(rid))


def rekey_stale(
    store: Store, before_write: BeforeWrite = None, full: bool = False
) -> tuple[int, int]:
    """Re-encrypt the stale records (caller is in `store.writer()`); returns (re-encrypted, records).
    `full` opens every record, so that each one's excluded set is computed anew from what it says
    (a member cleared: whether a record names them only its plaintext tells). Records this member
    cannot open are left as they are, and they are told how many."""
    files = store.repo.record_files()
    if files:
        require_writer(store)
    idx = store.previous_index()
    require_readers(store, idx)
    stale, doubts = find_stale(store, idx)
    if doubts:
        raise refusal(doubts)
    if stale:
        store.confirm_recipients()
    if not full and all(item.known for item in stale) and set(idx.entries) >= set(files):
        _patch(store, stale, idx, before_write)
    else:
        stale = _full(store, stale, before_write, full)
    left = store.withheld_ids() & set(files)
    if left:
        store.err(
            f"cocrec: {len(left)} record(s) you cannot open were left as they are (recused, named in them or not yet "
            "cleared): a member who can open them runs `cocrec rekey`"
        )
    return len(stale), len(files)


def _stage(store: Store, stale: Sequence[Stale]) -> Callable[[], list[staging.Staged]]:
    groups: dict[tuple[str, ...], list[tuple[Path, str]]] = {}
    for item in stale:
        groups.setdefault(item.excluded, []).append((store.repo.record_path(item.id), item.source))

    keys = {excluded: store.keys_for(excluded, items[0][1]) for excluded, items in groups.items()}

    def stage_all() -> list[staging.Staged]:
        staged: list[staging.Staged] = []
        for excluded, items in groups.items():
            staged += staging.reencrypt_all(items, keys[excluded], store._identities())
        return staged

    return stage_all


def _patch(
    store: Store, stale: Sequence[Stale], idx: index.Index, before_write: BeforeWrite
) -> None:
    staged = {item.path: item for item in _write(store, stale, before_write)}
    entries = dict(idx.entries)
    for item in stale:
        new = staged[store.repo.record_path(item.id)]
        entries[item.id] = replace(
            item.entry or entries[item.id],
            sha256=new.sha256,
            recipients=store.fingerprint_without(item.excluded),
            excluded=item.excluded,
            sig="",
        )
    store.write_entries(entries)


def _full(
    store: Store, stale: Sequence[Stale], before_write: BeforeWrite, anew: bool = False
) -> list[Stale]:
    """Open every record; with `anew`, also re-encrypt each whose excluded set its plaintext changes."""
    loaded, problems = store.open_files()
    if problems:
        raise refusal(problems)
    loaded = store.authentic_only(loaded)
    store.know(loaded)
    stale = list(stale)
    if anew:
        stale += _changed_sets(store, loaded, {item.id for item in stale})
    written = [item.id for item in stale]
    try:
        store.write_ciphertexts({rid: loaded[rid] for rid in written}, before_write)
    except staging.NotStaged as exc:
        raise refusal(exc.problems) from None
    store.write_index(loaded, written=written)
    return stale


def _changed_sets(store: Store, loaded: Mapping[str, Loaded], known: set[str]) -> list[Stale]:
    idx = store.previous_index()
    changed = []
    for rid, item in sorted(loaded.items()):
        entry = idx.entries.get(rid)
        excluded, _ = store.record_facts(item.record)
        if rid not in known and (entry is None or entry.excluded != excluded):
            changed.append(
                Stale(
                    rid,
                    store.repo.record_source(rid),
                    "encrypted to another set of members",
                    False,
                    excluded,
                )
            )
    return changed


def _write(store: Store, stale: Sequence[Stale], before_write: BeforeWrite) -> list[staging.Staged]:
    store.repo.records_dir.mkdir(exist_ok=True)
    directory = store.repo.records_dir
    recipients = {item.id: store.fingerprint_without(item.excluded) for item in stale}
    try:
        return staging.write_staged(
            _stage(store, stale), directory, store.journaled(before_write, recipients)
        )
    except staging.NotStaged as exc:
        raise refusal(exc.problems) from None


def refusal(problems: Sequence[Problem]) -> CocrecError:
    """The error a run stops with when these records stop it: each listed (file and reason, no
    value), then one line saying that nothing was changed and what to do; its exit code says why."""
    listed = tuple(str(p) for p in problems)
    count = len(problems)
    if any(p.exit_code == EXIT_DECRYPT for p in problems):
        return DecryptError(
            f"{count} record(s) listed above cannot be opened with your identity: "
            "nothing was changed; a member who can open them must run `cocrec rekey`",
            details=listed,
        )
    if all(p.exit_code == EXIT_REPO for p in problems):
        return RepoError(
            f"{count} record(s) listed above are not signed by a current member: "
            "nothing was changed; a member reviews them with `cocrec adopt`",
            details=listed,
        )
    return CocrecError(
        f"{count} record(s) listed above must be fixed first (`cocrec edit ID`): "
        "nothing was changed",
        exit_code=problems[0].exit_code,
        details=listed,
    )


def describe(members: Members) -> str:
    keys = len({crypto.normalize_key(k) for k in members.keys})
    return f"{len(members.current)} member(s), {keys} key(s)"


def pack(repo: Repo, err: Callable[[str], None]) -> None:
    """Rewriting many records leaves many loose git objects: let git pack them when it thinks it should."""
    if not (repo.root / ".git").exists():
        return
    from . import git

    try:
        git.gc_auto(repo.root)
    except (RepoError, OSError):  # the records are written; packing can wait
        err("cocrec: warning: `git gc --auto` failed; run it yourself to pack the rewritten files")
