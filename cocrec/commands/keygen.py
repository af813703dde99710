"""cocrec keygen: a new identity (mode 0600), ssh-ed25519 by default (it decrypts and signs); prints the public key."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .. import crypto
from ..context import Context
from ..errors import EXIT_OK, UsageError
from ..fsutil import atomic_write


def default_identity_path(ctx: Context) -> Path:
    return crypto.resolve_identity_paths(
        (), {k: v for k, v in ctx.env.items() if k != "COCREC_IDENTITY"}
    )[0]


def run(
    ctx: Context,
    output: str | None,
    passphrase: bool,
    ask_new_passphrase: Callable[[], str],
    kind: str = "ssh-ed25519",
) -> int:
    path = Path(output).expanduser() if output else default_identity_path(ctx)
    if path.exists():
        raise UsageError(
            f"{path}: already exists; keygen never overwrites an identity: pass --output NEW_PATH"
        )
    secret, public = crypto.generate_identity(kind)
    data = secret.encode("utf-8")
    if passphrase:
        data = crypto.passphrase_encrypt(data, ask_new_passphrase())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, data, mode=0o600)
    os.chmod(path, 0o600)
    ctx.err(f"Wrote your identity to {path} (keep it private; back it up somewhere safe)")
    if kind == "x25519":
        ctx.err(
            "This age X25519 key decrypts but cannot sign: with it you can read records, not change them"
        )
    ctx.err("Give the chair this public key, for `cocrec members add ID --name NAME --key '...'`:")
    ctx.out(public)
    return EXIT_OK
