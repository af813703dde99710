"""A change of members, signed: the next entry of trust.yaml's membership log, written with members.yaml.

The acting member signs with their ssh key; they must be a member of the set *before* the change
(the first member signs for themselves, becoming the trust root). A member leaving leaves the policy
seal unsigned, so the acting member re-seals it (it was verified before the change).

Writing goes: members.yaml's new bytes first into the clone's git directory (so a run killed between
the two files is finished by the next writer), then trust.yaml, then members.yaml.
"""

from __future__ import annotations

import contextlib

from . import access, index, keys, trust
from .errors import RepoError
from .fsutil import atomic_write
from .model import Members
from .store import PENDING_MEMBERS, Store


def member_keys(members: Members) -> trust.Keys:
    return {m.id: tuple(trust.normalize(k) for k in m.keys) for m in members.current}


def appended(
    tf: trust.TrustFile, by: str, members: Members, data: bytes, key: keys.SigningKey
) -> trust.TrustFile:
    """trust.yaml with the next membership entry: members.yaml's bytes `data` (which parse to
    `members`), each member's keys and access limits, signed by `by` with `key`."""
    return trust.appended(
        tf,
        by,
        member_keys(members),
        index.sha256(data),
        key,
        limits=lambda salt: access.limits(members, salt),
    )


def first_signer(store: Store, members: Members) -> tuple[str, keys.SigningKey]:
    """The first member signs for themselves: the identity in use must hold one of their ssh keys."""
    mine = {trust.normalize(k.public_key): k for k in store._identities().signing_keys}
    for member in members.current:
        for key in member.keys:
            if trust.normalize(key) in mine:
                return member.id, mine[trust.normalize(key)]
    raise RepoError(
        "members.yaml: the first member signs for themselves (they become the trust root): run this with their "
        "identity (`-i PATH`), which must hold the ssh-ed25519 or ssh-rsa key given with --key; nothing was changed"
    )


def signed_change(store: Store, new_members: Members, data: bytes) -> trust.TrustFile:
    """trust.yaml with the membership change signed (and the policy re-sealed where its signer leaves)."""
    tf = store.trust_file
    who, key = store.signer if tf.log else first_signer(store, new_members)
    changed = appended(tf, who, new_members, data, key)
    staying = {m.id for m in new_members.current}
    if changed.policy is None or changed.policy.by not in staying:
        policy_sha = index.sha256(store.repo.policy_path.read_bytes())
        changed = trust.sealed_policy(changed, who, policy_sha, key)
    return changed


def write(store: Store, changed: trust.TrustFile, data: bytes) -> None:
    """Write trust.yaml and members.yaml (see the module's docstring for the order); forget what was read."""
    pending = store.clone.directory / PENDING_MEMBERS if store.clone.directory else None
    if pending is not None:
        pending.parent.mkdir(mode=0o700, exist_ok=True)
        atomic_write(pending, data, 0o600)
    atomic_write(store.repo.root / trust.TRUST_FILE, changed.render())
    atomic_write(store.repo.members_path, data)
    if pending is not None:
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()
    forget(store)


def forget(store: Store) -> None:
    """After trust.yaml or members.yaml changed on disk: read them, and what they prove, again."""
    store.reread()
