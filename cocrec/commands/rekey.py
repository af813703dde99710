"""cocrec rekey [--check]: re-encrypt exactly the records not encrypted to the current members.

A record is stale when records/index.yaml does not list it, when its file is
not the one the index hashed (a merge, a file made with the `age` tool, a
rekey killed before it wrote the index), when the index says it was
encrypted to another set of keys, or when its age header holds another
number of recipients than members.yaml has keys. Only stale records are
rewritten, so a rekey's git diff shows only what had to change.

Every new file is staged (encrypted, verified, fsynced beside the record)
before any is replaced (`bulk.write_staged`), so a SIGKILL at any moment
loses nothing and a re-run finishes the job. The workers start at once on
every file whose age header holds another number of recipients than
members.yaml has keys (stale whatever the index says), while a thread reads
the index; then one of two ways:

- patch: every stale file is the one the index hashed (a member joined or
  left). Its index entry stays true but for its hash and recipients, so no
  record is parsed and the index is patched (rendered while the workers run).
- full: some file is not the one the index knows, so its schedule is
  unknown: every record is opened and validated and the index rendered anew.

`members add` and `members remove` are this same rekey, run with the new
member set, writing members.yaml once every new file is verified.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable, NoReturn, Optional, Sequence

from .. import bulk, crypto, index
from ..context import Context
from ..errors import EXIT_DECRYPT, EXIT_OK, EXIT_PROBLEMS, CocrecError, DecryptError, RepoError
from ..fsutil import advice, atomic_write, remove_stray_temps
from ..model import Members
from ..store import Problem, Store

BeforeWrite = Optional[Callable[[], None]]


@dataclass(frozen=True)
class Stale:
    """Why one record needs re-encrypting; `known` when its index entry describes this very file."""

    id: str
    source: str
    reason: str
    known: bool

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


# -- what is stale (needs no key) ----------------------------------------------------


def stale_reason(ciphertext: bytes, entry: Optional[index.Entry], fingerprint: str, key_count: int) -> Optional[tuple[str, bool]]:
    """(reason, known) when a file needs re-encrypting, else None (pure)."""
    if entry is None:
        return "not in records/index.yaml", False
    if entry.sha256 != index.sha256(ciphertext):
        return "changed since records/index.yaml was written", False
    if entry.recipients != fingerprint:
        return "encrypted to another set of keys than members.yaml's", True
    try:
        stanzas = len(crypto.header_stanzas(ciphertext))
    except CocrecError:
        return "not a valid age file", True
    if stanzas != key_count:
        return f"encrypted to {stanzas} key(s) but members.yaml has {key_count}", True
    return None


def find_stale(store: Store, idx: index.Index) -> list[Stale]:
    """Every record that is not encrypted to the current members, by id."""
    repo = store.repo
    fingerprint = store.fingerprint
    key_count = len({crypto.normalize_key(k) for k in store.members.keys})
    found = []
    for rid, path in repo.record_files().items():
        why = stale_reason(path.read_bytes(), idx.entries.get(rid), fingerprint, key_count)
        if why is not None:
            found.append(Stale(rid, repo.record_source(rid), *why))
    return found


# -- rewriting --------------------------------------------------------------------------


def require_writer(members: Members, identities: crypto.Identities) -> None:
    """What is written is verified by decrypting it, so the writer must hold a member's key."""
    mine = {crypto.normalize_key(k) for k in identities.public_keys}
    if len(mine) < len(identities):  # an identity whose public key cocrec cannot tell: verification will say
        return
    if not mine & {crypto.normalize_key(k) for k in members.keys}:
        raise DecryptError(
            "members.yaml: your identity holds none of the members' keys, so cocrec cannot verify what it would write: "
            "a current member must run this; nothing was changed"
        )


@dataclass(frozen=True)
class Plan:
    """What the index says: the stale records, and its entries when only their hashes and recipients change."""

    stale: list[Stale]
    entries: Optional[dict[str, index.Entry]]  # None: the index must be rebuilt from every record


def plan(store: Store) -> Plan:
    idx = store.read_index()
    stale = find_stale(store, idx)
    if set(idx.entries) != set(store.repo.record_files()) or not all(item.known for item in stale):
        return Plan(stale, None)
    return Plan(stale, dict(idx.entries))


def rekey_stale(ctx: Context, before_write: BeforeWrite = None) -> tuple[int, int]:
    """Re-encrypt the stale records (caller holds the lock); returns (re-encrypted, records).

    Reading the index and hashing every file takes a second at 10,000 records,
    so a thread does it while the workers already re-encrypt every file whose
    age header shows it is stale whatever the index says (another number of
    recipients: a member joined or left). The rest follow once the index is read.
    """
    store, repo = ctx.store, ctx.repo
    files = repo.record_files()
    key_count = len({crypto.normalize_key(k) for k in store.members.keys})
    if files:
        require_writer(store.members, ctx.identities)
    items = [(path, repo.record_source(rid)) for rid, path in files.items()]
    with ThreadPoolExecutor(1) as reader:
        planned = reader.submit(plan, store)
        try:
            early = bulk.staged_only(bulk.reencrypt_all(items, store.members.keys, ctx.identities, unless_count=key_count) if items else [])
            found = planned.result()
        except BaseException:
            store.cleanup()
            raise
    if found.entries is None:
        bulk.discard(early)  # the index does not know every file: open and validate everything
        _full(ctx, found.stale, before_write)
    else:
        _patch(ctx, found, early, before_write)
    return len(found.stale), len(files)


def _patch(ctx: Context, found: Plan, early: list[bulk.Staged], before_write: BeforeWrite) -> None:
    repo = ctx.repo
    ready = {item.path: item for item in early}
    wanted = [(repo.record_path(item.id), item.source) for item in found.stale]
    rest = [(path, source) for path, source in wanted if path not in ready]
    keys = ctx.store.members.keys
    needed = {path for path, _ in wanted}
    bulk.discard([item for path, item in ready.items() if path not in needed])  # cannot happen: a header never lies stale

    def stage_all() -> list[bulk.Staged]:
        return [ready[path] for path, _ in wanted if path in ready] + (bulk.reencrypt_all(rest, keys, ctx.identities) if rest else [])

    staged = {item.path: item for item in _staged(stage_all, ctx, before_write)}
    assert found.entries is not None
    entries, fingerprint = dict(found.entries), ctx.store.fingerprint
    for item in found.stale:
        entries[item.id] = replace(entries[item.id], sha256=staged[repo.record_path(item.id)].sha256, recipients=fingerprint)
    data = index.render(fingerprint, entries).encode("utf-8")
    if not repo.index_path.exists() or repo.index_path.read_bytes() != data:
        try:
            atomic_write(repo.index_path, data)
        except OSError as exc:
            raise bulk.NotWritten(
                f"{repo.rel(repo.index_path)}: cannot write it ({exc.strerror}): {len(found.stale)} record(s) were re-encrypted, "
                f"but not the index; {advice(exc)}, then run `cocrec rekey`"
            ) from None


def _staged(stage_all: Callable[[], list[bulk.Staged]], ctx: Context, before_write: BeforeWrite) -> list[bulk.Staged]:
    ctx.repo.records_dir.mkdir(exist_ok=True)
    try:
        return bulk.write_staged(stage_all, ctx.repo.records_dir, before_write)
    except bulk.NotStaged as exc:
        _refuse(ctx, _failures(exc))


def _full(ctx: Context, stale: Sequence[Stale], before_write: BeforeWrite) -> None:
    store = ctx.store
    loaded, problems = store.open_files()
    if problems:
        _refuse(ctx, problems)
    written = [item.id for item in stale]
    try:
        store.write_ciphertexts({rid: loaded[rid].plaintext for rid in written}, before_write)
    except bulk.NotStaged as exc:
        _refuse(ctx, _failures(exc))
    store.write_index(loaded, written=written)


def _failures(exc: bulk.NotStaged) -> list[Problem]:
    return [Problem(item.source, str(item.error), item.exit_code) for item in exc.failed]


def _refuse(ctx: Context, problems: Sequence[Problem]) -> NoReturn:
    """List every record that stops the run (ids and reasons only), then fail with nothing changed."""
    for problem in problems:
        ctx.err(f"cocrec: {problem}")
    if any(p.exit_code == EXIT_DECRYPT for p in problems):
        raise DecryptError(
            f"{len(problems)} record(s) listed above cannot be opened with your identity: nothing was changed; "
            "a member who can open them must run `cocrec rekey`"
        )
    raise CocrecError(f"{len(problems)} record(s) listed above must be fixed first (`cocrec edit ID`): nothing was changed", exit_code=problems[0].exit_code)


# -- around a rewrite ---------------------------------------------------------------------


def sweep(ctx: Context) -> None:
    """Remove the temp files a killed writer left (records/ and members.yaml's); caller holds the lock."""
    ctx.store.cleanup()
    remove_stray_temps(ctx.repo.root)


def gc_after_rewrite(ctx: Context) -> None:
    """Rewriting many records leaves many loose git objects: let git pack them when it thinks it should."""
    if not (ctx.repo.root / ".git").exists():
        return
    from .. import git

    try:
        git.gc_auto(ctx.repo.root)
    except (RepoError, OSError):  # the records are written; packing can wait
        ctx.err("cocrec: warning: `git gc --auto` failed; run it yourself to pack the rewritten files")


# -- the command --------------------------------------------------------------------------


def run(ctx: Context, check_only: bool) -> int:
    if check_only:
        return report(ctx)
    with ctx.repo.lock():
        sweep(ctx)
        written, total = rekey_stale(ctx)
    if not written:
        ctx.out(f"All {total} record(s) are encrypted to the current members: nothing to re-encrypt")
        return EXIT_OK
    ctx.out(f"Re-encrypted {written} of {total} record(s) to {describe(ctx.store.members)}")
    gc_after_rewrite(ctx)
    return EXIT_OK


def report(ctx: Context) -> int:
    """`rekey --check`: list what is stale (file names and reasons only); exit 1 if anything is. Needs no key."""
    store = ctx.store
    stale = find_stale(store, store.read_index())
    total = len(ctx.repo.record_files())
    for item in stale:
        ctx.out(str(item))
    if stale:
        ctx.out(f"{len(stale)} of {total} record(s) are not encrypted to the current members: run `cocrec rekey`")
        return EXIT_PROBLEMS
    ctx.out(f"All {total} record(s) are encrypted to the current members ({describe(store.members)})")
    return EXIT_OK


def describe(members: Members) -> str:
    keys = len({crypto.normalize_key(k) for k in members.keys})
    return f"{len(members.current)} member(s), {keys} key(s)"

