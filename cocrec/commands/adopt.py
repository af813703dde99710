"""cocrec adopt [--yes]: review what no current member signed, and sign it as the acting member.

The one deliberate way to make something unsigned count (SPEC section 10, "No laundering"): a record
written outside cocrec or by a former member, a members.yaml or cocrec.yaml edited by hand, a record
put back to an earlier version or removed on purpose. It lists each change (file, and record id),
shows changes to members.yaml and cocrec.yaml as a diff (keys with their fingerprints), asks on a
terminal (`--yes` without one), then signs: a membership entry (the acting member must be a member of
the set *before* the change; in a repository with no trust root yet, they become it), the policy
seal, and the index entries of the adopted records. Adopted records whose recipients are not known
are then re-encrypted by `cocrec rekey`. Nobody signs a change that widens their own access (their
`pending` entry, their identifiers, their id): another member reviews it, against members.yaml as
signed before that change.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import access, index, keys, membership, trust, validate
from ..context import Context
from ..errors import EXIT_OK, RepoError, UsageError
from ..store import Loaded, Store, describe_key, key_changes

MEMBER_FILE = "members.yaml"
POLICY_FILE = "cocrec.yaml"


@dataclass
class Adoption:
    members: bool = False
    policy: bool = False
    records: dict[str, str] = field(default_factory=dict)  # source -> why it is not signed
    versions: list[str] = field(default_factory=list)  # rollbacks and removals to accept

    @property
    def empty(self) -> bool:
        return not (self.members or self.policy or self.records or self.versions)


def plan_adoption(store: Store, loaded: dict[str, Loaded]) -> Adoption:
    v = store.verification
    result = Adoption()
    for flaw in v.flaws:
        if (
            flaw.source == MEMBER_FILE
            or flaw.source == trust.TRUST_FILE
            and "missing" in flaw.message
        ):
            result.members = True
        elif flaw.source == POLICY_FILE and "older version" not in flaw.message:
            result.policy = True
        elif (
            "older version" in flaw.message
            or "was removed" in flaw.message
            or "fewer membership" in flaw.message
        ):
            result.versions.append(str(flaw))
        else:
            raise RepoError(f"{flaw}; `cocrec adopt` cannot sign over that")
    if not store.trust_file.log:
        result.policy = True
    for rid, item in sorted(loaded.items()):
        why = v.why_not(rid, item.file_sha)
        if (
            why is not None
            and v.members is not None
            or why is not None
            and not store.trust_file.log
        ):
            result.records[store.repo.record_source(rid)] = why or ""
    return result


def _signed_text(store: Store, path: str, sha: str | None) -> str:
    """The version of `path` a member last signed, from git's history, to diff against ('' if not found)."""
    if sha is None or not (store.repo.root / ".git").exists():
        return ""
    from .. import git

    for blob in git.path_blobs(store.repo.root, path):
        if index.sha256(blob) == sha:
            return blob.decode("utf-8", "replace")
    return ""


def show(ctx: Context, store: Store, work: Adoption) -> None:
    tf = store.trust_file
    if work.members:
        ctx.out(
            f"{MEMBER_FILE}: {'becomes the first signed membership (you become the trust root)' if not tf.log else 'changed since a member signed it'}"
        )
        before = tf.log[-1].keys if tf.log else {}
        after = membership.member_keys(store.members)
        for line in key_changes(before, after).lines():
            ctx.out(f"  {line}")
        if tf.log:
            _diff(
                ctx,
                _signed_text(store, MEMBER_FILE, _members_base(store, tf)),
                store.repo.members_path.read_text("utf-8", "replace"),
                MEMBER_FILE,
            )
    if work.policy:
        ctx.out(
            f"{POLICY_FILE}: {'not signed yet' if tf.policy is None else 'changed since a member signed it'}"
        )
        _diff(
            ctx,
            _signed_text(store, POLICY_FILE, tf.policy.sha256 if tf.policy else None),
            store.repo.policy_path.read_text("utf-8", "replace"),
            POLICY_FILE,
        )
    for source, why in work.records.items():
        rid = source.rsplit("/", 1)[-1].split(".", 1)[0]
        ctx.out(f"{source} (record {rid}): {why.split(':')[0] if why else 'not signed'}")
    for line in work.versions:
        ctx.out(line.split(": restore")[0] + " (to be accepted as it is now)")


def _diff(ctx: Context, before: str, after: str, name: str) -> None:
    if not before:
        ctx.out(
            f"  (the signed version of {name} is not in this clone's history: review the whole file)"
        )
        return
    for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"{name} (signed)", f"{name} (now)", lineterm=""
    ):
        ctx.out(f"  {line}")


def run(ctx: Context, yes: bool = False, confirm: Callable[[str], bool] = lambda _: False) -> int:
    store = ctx.store
    with store.writer(
        trusted=False
    ):  # an interrupted change of members, or write, is finished first
        if store.finished_members_change:
            ctx.out(
                "Finished an interrupted change of members: members.yaml is now as trust.yaml signs it; run `cocrec rekey` to re-encrypt the records to it"
            )
        loaded, problems = store.open_files()
        if problems:
            for problem in problems[1:]:
                ctx.err(f"cocrec: {problem}")
            raise RepoError(
                f"{problems[0]}: every record must open and validate before it can be adopted; nothing was signed"
            )
        work = plan_adoption(store, loaded)
        if work.empty:
            ctx.out("Nothing to adopt: everything is signed by current members")
            return EXIT_OK
        show(ctx, store, work)
        if not yes and not confirm("Sign all of this as yours?"):
            raise UsageError(
                "nothing was signed: pass --yes, or answer yes on a terminal, once you have reviewed the list above"
            )
        sign(ctx, store, work, loaded)
    return EXIT_OK


def sign(ctx: Context, store: Store, work: Adoption, loaded: dict[str, Loaded]) -> None:
    tf = store.trust_file
    data = store.repo.members_path.read_bytes()
    if work.members:
        who, key = _member_signer(store, tf)
        _require_not_for_self(store, tf, who)
        tf = membership.appended(tf, who, store.members, data, key)
        _require_no_widening(store, tf)
    if work.policy:
        membership.forget(store)
        store.__dict__["trust_file"] = tf
        who, key = store.signer
        tf = trust.sealed_policy(tf, who, index.sha256(store.repo.policy_path.read_bytes()), key)
    if work.members or work.policy:
        membership.write(store, tf, data)
    removed = [
        line.split(".yaml.age")[0].rsplit("/", 1)[-1]
        for line in work.versions
        if "was removed" in line
    ]
    if work.versions:
        store.clone.forget_versions()
    membership.forget(store)
    store.accept_current_keys()
    written, known = store.journaled_files(
        loaded
    )  # written here by a run that was stopped before its index
    store.write_index(loaded, written=written, removed=removed, known=known)
    who, _ = store.signer
    ctx.out(f"Signed as {who}: {_summary(work)}")
    stale = [
        rid
        for rid, entry in store.read_index().entries.items()
        if entry.recipients == index.UNKNOWN_RECIPIENTS
    ]
    if stale:
        ctx.out(
            f"{len(stale)} adopted record(s) may not be encrypted to the current members: run `cocrec rekey`"
        )


def _members_base(store: Store, tf: trust.TrustFile) -> str:
    """The hash of members.yaml as last signed, or, when a later change widens its own signer's
    access, as signed before that change (what the reviewing member compares with)."""
    widening = store.verification.widening
    return tf.log[(widening or len(tf.log)) - 1].members_sha256


def _require_not_for_self(store: Store, tf: trust.TrustFile, who: str) -> None:
    """A member does not sign a change that gives them records kept from them (cocrec.access)."""
    signed = _signed_text(store, MEMBER_FILE, _members_base(store, tf)) if tf.log else ""
    if not signed:
        return
    before = validate.load_members(signed.encode(), MEMBER_FILE)
    why = access.widened_for_self(before, store.members, who)
    if why is not None:
        raise UsageError(
            f"{MEMBER_FILE}: {why}: another member reviews and signs this change with `cocrec adopt`; nothing was signed"
        )


def _require_no_widening(store: Store, tf: trust.TrustFile) -> None:
    """The membership log once signed must not hold a change that widens its own signer's access and
    that no other member has signed after (every verification checks it: trust.self_widening): the
    change being signed, or an earlier one the acting member made or, being pending, cannot vouch for."""
    widening = store.widening_in(tf)
    if widening is not None:
        which = (
            "the change"
            if widening.seq == len(tf.log) - 1
            else f"trust.yaml's entry {widening.seq}"
        )
        raise UsageError(
            f"{MEMBER_FILE}: {which} {widening.what}: another member, "
            "not pending themselves, reviews and signs it with `cocrec adopt`; nothing was signed"
        )


def _member_signer(store: Store, tf: trust.TrustFile) -> tuple[str, keys.SigningKey]:
    """Who signs a membership change: a member of the set before it (or the first member, for the root)."""
    if not tf.log:
        return membership.first_signer(store, store.members)
    mine = {trust.normalize(k.public_key): k for k in store._identities().signing_keys}
    for member, member_keys in tf.log[-1].keys.items():
        for key in member_keys:
            if key in mine:
                return member, mine[key]
    raise RepoError(
        "members.yaml: a change of members is signed by a member of the set before it, and your identity holds none "
        "of their ssh keys: ask a current member to run `cocrec adopt`; nothing was signed"
    )


def _summary(work: Adoption) -> str:
    parts = []
    if work.members:
        parts.append(MEMBER_FILE)
    if work.policy:
        parts.append(POLICY_FILE)
    if work.records:
        parts.append(f"{len(work.records)} record(s)")
    if work.versions:
        parts.append(f"{len(work.versions)} earlier version(s) accepted")
    return ", ".join(parts)


def describe(key: str) -> str:
    return describe_key(key)
