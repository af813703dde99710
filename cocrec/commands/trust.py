"""cocrec trust show / export DIR: the repository's trust root and signers, and its signatures for ssh-keygen.

`export` writes, for every signed statement (each membership entry, the policy seal, each index entry),
the signed text (`NAME.msg`) and its armored OpenSSH signature (`NAME.msg.sig`), with an
`allowed_signers` file of the members who may have signed them, so that anyone can check cocrec's
signatures with the stock `ssh-keygen -Y verify` (namespace `cocrec`). Nothing in them is personal data.
"""

from __future__ import annotations

from pathlib import Path

from .. import keys, trust
from ..context import Context
from ..errors import EXIT_OK, RepoError
from ..store import describe_key

VERIFY = "ssh-keygen -Y verify -f {dir}/allowed_signers -n cocrec -I {who} -s {dir}/{name}.msg.sig < {dir}/{name}.msg"


def run_show(ctx: Context) -> int:
    store = ctx.store
    tf = store.trust_file
    if not tf.log:
        raise RepoError(
            "trust.yaml: this repository has no trust root yet: its first member signs it with `cocrec members add` or `cocrec adopt`"
        )
    first = tf.log[0]
    ctx.out(f"trust root: {tf.root} (the first member, {first.by})")
    ctx.out(f"pinned in this clone: {store.clone.root or 'nothing yet'}")
    ctx.out(
        f"membership entries: {len(tf.log)}; policy sealed by: {tf.policy.by if tf.policy else 'nobody'}"
    )
    for member, member_keys in sorted(tf.log[-1].keys.items()):
        ctx.out(f"{member}: {', '.join(describe_key(k) for k in member_keys)}")
    return EXIT_OK


def _allowed_signers(tf: trust.TrustFile) -> str:
    lines = {}
    for entry in tf.log:
        for member, member_keys in entry.keys.items():
            for key in member_keys:
                if key.split()[0] in keys.SIGNING_TYPES:
                    lines[(member, key)] = f'{member} namespaces="cocrec" {key}'
    return "".join(line + "\n" for line in sorted(lines.values()))


def run_export(ctx: Context, directory: str) -> int:
    store = ctx.store
    tf = store.trust_file
    root = tf.root
    if root is None:
        raise RepoError("trust.yaml: this repository has no trust root yet: nothing is signed")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "allowed_signers").write_text(_allowed_signers(tf))
    statements: list[tuple[str, str, bytes, str]] = []
    for n, entry in enumerate(tf.log):
        statements.append(
            (f"members-{n}", entry.by, entry.message(None if n == 0 else root), entry.sig)
        )
    if tf.policy is not None:
        statements.append(("policy", tf.policy.by, tf.policy.message(root), tf.policy.sig))
    for rid, record_entry in sorted(store.previous_index().entries.items()):
        who = (
            trust.holder(
                tf.log[-1].keys,
                trust.Verifier().signer(record_entry.sig, record_entry.message(root)),
            )
            or "unknown"
        )
        statements.append((f"record-{rid}", who, record_entry.message(root), record_entry.sig))
    for name, _who, message, sig in statements:
        (out / f"{name}.msg").write_bytes(message)
        if sig:
            (out / f"{name}.msg.sig").write_text(keys.armor(keys.decode(sig)))
    ctx.out(f"wrote {len(statements)} signed statement(s) to {out}; check one with:")
    name, who = statements[0][0], statements[0][1]
    ctx.out("  " + VERIFY.format(dir=out, who=who, name=name))
    return EXIT_OK
