"""The crypto seam: the only module that imports pyrage.

Files are ASCII-armored age v1, readable by the reference `age` tool and
written by it (SPEC section 6). Three facts about pyrage shape this module:

- `pyrage.decrypt(bytes)` re-parses the header on every read and
  `decrypt_io` does not, so decryption always goes through `decrypt_io`.
- pyrage says "No matching keys found" both for a file that is not for us
  and for a damaged header, so when decryption fails the header's shape is
  checked here (`header_stanzas`, also what `check --no-decrypt` counts).
- pyrage objects cannot be pickled: `Identities` keeps the secret strings so
  that worker processes can rebuild them, and a passphrase-protected identity
  file is unlocked once per command (scrypt is slow on purpose), never per file.

No message here quotes a secret, a passphrase or a line of plaintext.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]

from . import keys
from .errors import CocrecError, DecryptError, UsageError

Recipient = Any  # a pyrage x25519 or ssh recipient
PyrageIdentity = Any  # a pyrage x25519 or ssh identity

AGE_V1 = b"age-encryption.org/v1"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS = 64
MIN_PAYLOAD = 32  # a 16-byte nonce and at least one 16-byte Poly1305 tag
MAX_IDENTITY_FILE = 1 << 20
SSH_TYPES = ("ssh-ed25519", "ssh-rsa")

# The age v1 header (age-encryption.org/v1): stanzas of "-> type args" lines
# (printable ASCII) with base64 bodies in full 64-column lines ending with a
# shorter one, then "--- " and the MAC. Matching is linear: "-" and ">" are
# not base64 characters, so a stanza line and a body line never overlap.
_ARG = rb"[\x21-\x7e]+"
_HEADER = re.compile(
    rb"age-encryption\.org/v1\n"
    rb"((?:-> " + _ARG + rb"(?: " + _ARG + rb")*\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{0,63}\n)+)"
    rb"--- [A-Za-z0-9+/]{43}\n"
)
_STANZA_LINE = re.compile(rb"^-> (" + _ARG + rb")((?: " + _ARG + rb")*)$", re.MULTILINE)

RECIPIENT_HELP = "use an age1... key from age-keygen or an ssh-ed25519/ssh-rsa public key"
NO_IDENTITY_HELP = "pass --identity or set COCREC_IDENTITY, or run `cocrec keygen`"
# The bech32 prefix of an age X25519 secret key (pyrage checks the rest).
SECRET_KEY_HRP = "AGE-SECRET-KEY-"
IDENTITY_FILE_HELP = "expected AGE-SECRET-KEY-... lines (from age-keygen or `cocrec keygen`) or an OpenSSH private key"


class _BadFile(Exception):
    """Why a file is not a well-formed age file (internal; becomes a DecryptError)."""


class _BadIdentity(Exception):
    """Why a secret is not a usable identity (internal; becomes a DecryptError)."""


# -- recipients and fingerprints ----------------------------------------------


def normalize_key(key: str) -> str:
    """A public key as compared and fingerprinted: ssh keys lose their comment."""
    fields = key.split()
    if fields and fields[0] in SSH_TYPES:
        return " ".join(fields[:2])
    return key.strip()


def _describe(key: str) -> str:
    """Names a key by its type only: whatever was passed might not be a key at all."""
    head = key.strip()
    for prefix in (*SSH_TYPES, "age1"):
        if head.startswith(prefix):
            return f"the {prefix} key"
    return "the key"


def parse_recipient(key: str, label: str | None = None) -> Recipient:
    """A pyrage recipient for an age X25519, ssh-ed25519 or ssh-rsa public key, or a UsageError."""
    try:
        return _recipient(normalize_key(key))
    except ValueError:
        raise UsageError(
            f"{label or _describe(key)} is not a valid age or ssh recipient: {RECIPIENT_HELP}"
        ) from None


@functools.lru_cache(maxsize=4096)
def _recipient(key: str) -> Recipient:
    if "\n" in key or not key:
        raise ValueError("not one key")
    try:
        if key.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(key)
        if key.split(" ", 1)[0] in SSH_TYPES:
            return pyrage.ssh.Recipient.from_str(key)
    except pyrage.RecipientError:
        pass
    raise ValueError("not a recipient")


def fingerprint(keys: Iterable[str]) -> str:
    """`sha256:` + hex SHA-256 of the sorted, de-duplicated normalized keys joined by newlines (SPEC 6)."""
    joined = "\n".join(sorted({normalize_key(k) for k in keys}))
    return "sha256:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()


# -- encryption ---------------------------------------------------------------


def encrypt(plaintext: bytes, keys: Sequence[str]) -> bytes:
    """ASCII-armored age, to every key once."""
    unique = list(dict.fromkeys(normalize_key(k) for k in keys))
    if not unique:
        raise UsageError("no recipients to encrypt to: add a member with `cocrec members add`")
    recipients = [parse_recipient(k) for k in unique]
    try:
        ciphertext: bytes = pyrage.encrypt(plaintext, recipients, armored=True)
    except pyrage.EncryptError as exc:
        raise CocrecError(f"encryption failed ({exc}): nothing was written") from None
    return ciphertext


def passphrase_encrypt(text: bytes, passphrase: str) -> bytes:
    """ASCII-armored age protected by a passphrase (scrypt), as `age -p -a` writes it."""
    if not passphrase:
        raise UsageError("an empty passphrase protects nothing: choose a passphrase")
    ciphertext: bytes = pyrage.passphrase.encrypt(text, passphrase, armored=True)
    return ciphertext


# -- the age header -----------------------------------------------------------


def header_stanzas(ciphertext: bytes, source: str | None = None) -> list[str]:
    """The recipient stanza types of an armored or binary age v1 file, e.g. ["X25519", "ssh-ed25519"].

    Needs no key. Grease stanzas (decoys rage adds, type ending in "-grease")
    are left out, so the count equals the number of recipients. Raises
    DecryptError when the file is not a well-formed age file.
    """
    return [kind for kind, _ in header_recipients(ciphertext, source)]


Stanza = tuple[str, str]  # (type, tag): the tag an ssh stanza names its key by, "" for X25519


def header_recipients(ciphertext: bytes, source: str | None = None) -> list[Stanza]:
    """The (type, tag) of each recipient stanza (`header_stanzas`, with the key tags of ssh stanzas)."""
    try:
        stanzas = _stanzas(_dearmor(ciphertext) if _is_armored(ciphertext) else ciphertext)
    except _BadFile as exc:
        raise DecryptError(_not_age(source, str(exc))) from None
    return [stanza for stanza in stanzas if not stanza[0].endswith("-grease")]


def recipient_stanzas(ciphertext: bytes) -> tuple[Stanza, ...]:
    """The recipients of a file that has just decrypted, decoding only its header.

    Only for a file pyrage opened: its header is then known to be sound, so
    `header_recipients`' checks of the whole armor would find nothing. Every
    other file goes through `header_recipients` (a property test holds both
    to the same answer).
    """
    data = ciphertext.lstrip()
    if data.startswith(ARMOR_BEGIN):
        start, end = data.find(b"\n") + 1, data.find(ARMOR_END)
        if end < 0:
            return tuple(header_recipients(ciphertext))
        size = 40 * (
            COLUMNS + 1
        )  # 40 lines of base64 (a2b_base64 skips the newlines): a 15-key header fills about 35
        while True:
            try:
                decoded = binascii.a2b_base64(data[start : min(start + size, end)])
            except (
                binascii.Error
            ):  # not whole base64 quanta (lines of another width): the careful way
                return tuple(header_recipients(ciphertext))
            if b"\n--- " in decoded or start + size >= end:
                break
            size *= 2
        data = decoded
    header = data.split(b"\n--- ", 1)[0]
    return tuple(s for s in _stanza_lines(header) if not s[0].endswith("-grease"))


def recipient_count(ciphertext: bytes) -> int:
    return len(recipient_stanzas(ciphertext))


def _stanza_lines(header: bytes) -> list[Stanza]:
    found = []
    for match in _STANZA_LINE.finditer(header):
        kind = match[1].decode("ascii")
        args = match[2].decode("ascii").split() if match[2] else []
        found.append((kind, args[0] if kind.startswith("ssh-") and args else ""))
    return found


def _not_age(source: str | None, detail: str) -> str:
    where = f"{source}: " if source else ""
    return f"{where}not a valid age file (garbage or truncated: {detail}): restore it from git"


def _is_armored(data: bytes) -> bool:
    return data.lstrip().startswith(ARMOR_BEGIN)


def _dearmor(data: bytes) -> bytes:
    """The bytes inside age's armor: base64 in 64-column lines between BEGIN and END lines."""
    lines = data.strip().splitlines()
    if lines[0] != ARMOR_BEGIN:
        raise _BadFile("a malformed armor header line")
    if len(lines) < 2 or lines[-1] != ARMOR_END:
        raise _BadFile("the armor has no END line")
    body = lines[1:-1]
    if body and (len(body[-1]) > COLUMNS or set(map(len, body[:-1])) - {COLUMNS}):
        raise _BadFile("armor lines are not 64 columns")
    try:
        return base64.b64decode(b"".join(body), validate=True)
    except binascii.Error:
        raise _BadFile("the armor is not valid base64") from None


def _stanzas(data: bytes) -> list[Stanza]:
    if not data.startswith(AGE_V1 + b"\n"):
        raise _BadFile("no age-encryption.org/v1 header")
    header = _HEADER.match(data)
    if header is None:
        raise _BadFile("the header ends early" if b"\n--- " not in data else "a malformed header")
    if len(data) - header.end() < MIN_PAYLOAD:
        raise _BadFile("the payload is cut short")
    return _stanza_lines(header.group(1))


# -- identities ---------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    secret: str = field(repr=False)
    identity: PyrageIdentity = field(repr=False)
    public_key: str | None
    signer: keys.SigningKey | None = field(default=None, repr=False)
    signs_later: bool = False  # an ssh key whose signer is loaded when first asked for


class Identities:
    """Unlocked private keys: pyrage objects for this process, secret strings to rebuild them in workers.

    `public_keys` are the recipients these identities open: age1... keys, and
    ssh public keys derived from the private key file (without comment).
    """

    def __init__(self, entries: Sequence[_Entry]) -> None:
        self._entries = tuple(entries)

    @classmethod
    def from_secrets(cls, secrets: Sequence[str]) -> Identities:
        """Rebuild from `to_secrets()` (e.g. in a worker process): no file read, no passphrase asked."""
        return cls([_entry(secret, "an identity passed to this process") for secret in secrets])

    def to_secrets(self) -> list[str]:
        """The secret strings, for a worker process only: never print or write them."""
        return [entry.secret for entry in self._entries]

    @property
    def objects(self) -> list[PyrageIdentity]:
        return [entry.identity for entry in self._entries]

    @property
    def public_keys(self) -> list[str]:
        return [entry.public_key for entry in self._entries if entry.public_key]

    @property
    def signing_keys(self) -> list[keys.SigningKey]:
        """The ssh keys among these identities: the ones that sign (an age X25519 key only decrypts)."""
        loaded = [
            _signer(entry.secret) if entry.signs_later else entry.signer for entry in self._entries
        ]
        return [signer for signer in loaded if signer is not None]

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Identities({len(self)} keys: {', '.join(self.public_keys) or 'no public keys'})"


@functools.cache
def _signer(secret: str) -> keys.SigningKey | None:
    """An ssh identity's signing key, loaded once, when first asked for (cryptography is slow to
    import, and most commands sign nothing)."""
    return keys.private_key(secret)


def _entry(secret: str, where: str) -> _Entry:
    try:
        if secret.startswith(SECRET_KEY_HRP):
            return _x25519_entry(secret)
        return _ssh_entry(secret)
    except _BadIdentity as exc:
        raise DecryptError(f"{where}: {exc}") from None


def _x25519_entry(secret: str) -> _Entry:
    try:
        identity = pyrage.x25519.Identity.from_str(secret)
    except pyrage.IdentityError:
        raise _BadIdentity(f"not a valid age identity: {IDENTITY_FILE_HELP}") from None
    return _Entry(secret, identity, str(identity.to_public()))


def _ssh_entry(secret: str) -> _Entry:
    try:
        identity = pyrage.ssh.Identity.from_buffer(secret.encode("ascii"))
    except (pyrage.IdentityError, UnicodeEncodeError):
        if keys.is_encrypted_private_key(secret):
            raise _BadIdentity(
                "a passphrase-protected ssh key, which cocrec cannot unlock: protect it with age instead "
                "(`cocrec keygen --passphrase` makes such a key)"
            ) from None
        raise _BadIdentity(
            "not a usable ssh private key: only unencrypted ssh-ed25519 and ssh-rsa keys work"
        ) from None
    stated = keys.stated_public_key(secret)
    if stated is not None:
        return _Entry(secret, identity, stated, signs_later=True)
    signer = keys.private_key(secret)
    return _Entry(secret, identity, signer.public_key if signer else None, signer)


# -- identity files -------------------------------------------------------------


def resolve_identity_paths(flags: Sequence[str], env: Mapping[str, str]) -> list[Path]:
    """Where the identity lives: --identity flags, else COCREC_IDENTITY, else the XDG config file (SPEC 6)."""
    if flags:
        return [_expand(flag, env) for flag in flags]
    if env.get("COCREC_IDENTITY"):
        return [_expand(env["COCREC_IDENTITY"], env)]
    return [_config_home(env) / "cocrec" / "identity.txt"]


def _config_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore a relative value
        return Path(xdg)
    return _home(env) / ".config"


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _expand(path: str, env: Mapping[str, str]) -> Path:
    if path == "~" or path.startswith("~/"):
        return _home(env) / path[2:]
    return Path(path)


def load_identities(paths: Sequence[Path], ask_passphrase: Callable[[str], str]) -> Identities:
    """Every identity in `paths`; asks once per passphrase-protected file (an unlock runs scrypt)."""
    if not paths:
        raise DecryptError(f"no identity given: {NO_IDENTITY_HELP}")
    entries: list[_Entry] = []
    for path in paths:
        entries.extend(_load_file(path, ask_passphrase))
    return Identities(entries)


def _load_file(path: Path, ask_passphrase: Callable[[str], str]) -> list[_Entry]:
    data = _read_identity_file(path)
    if _is_armored(data) or data.startswith(AGE_V1 + b"\n"):
        data = _unlock(path, data, ask_passphrase)
    return _parse_identity_file(data, str(path))


def _read_identity_file(path: Path) -> bytes:
    if not path.is_file():
        raise DecryptError(f"no identity found at {path}: {NO_IDENTITY_HELP}")
    try:
        if path.stat().st_size > MAX_IDENTITY_FILE:
            raise DecryptError(f"{path}: too large for an identity file: {IDENTITY_FILE_HELP}")
        return path.read_bytes()
    except OSError as exc:
        raise DecryptError(
            f"{path}: cannot read the identity file ({exc.strerror}): check its permissions"
        ) from None


def _unlock(path: Path, data: bytes, ask_passphrase: Callable[[str], str]) -> bytes:
    if "scrypt" not in header_stanzas(data, str(path)):
        raise DecryptError(
            f"{path}: an age file, but not passphrase-protected: {IDENTITY_FILE_HELP}, or one encrypted with `age -p`"
        )
    passphrase = ask_passphrase(str(path))
    try:
        plaintext: bytes = pyrage.passphrase.decrypt(data, passphrase)
    except pyrage.DecryptError:
        raise DecryptError(
            f"{path}: wrong passphrase (or a damaged file): run the command again"
        ) from None
    return plaintext


def _parse_identity_file(data: bytes, where: str) -> list[_Entry]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptError(f"{where}: not a text identity file: {IDENTITY_FILE_HELP}") from None
    if text.lstrip().startswith("-----BEGIN "):
        entries = [_entry(text.strip() + "\n", where)]
    else:
        entries = _identity_lines(text, where)
    if not entries:
        raise DecryptError(f"{where}: no identity in this file: {IDENTITY_FILE_HELP}")
    return entries


def _identity_lines(text: str, where: str) -> list[_Entry]:
    """age-keygen format: `#` comments, blank lines, one AGE-SECRET-KEY-... a line."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-PLUGIN-"):
            raise DecryptError(
                f"{where}: line {number}: age plugin identities are not supported: {IDENTITY_FILE_HELP}"
            )
        if line.startswith(("age1", *SSH_TYPES)):
            raise DecryptError(
                f"{where}: line {number}: a public key, not an identity: pass the private key file"
            )
        if not line.startswith(SECRET_KEY_HRP):
            raise DecryptError(f"{where}: line {number}: not an age identity: {IDENTITY_FILE_HELP}")
        entries.append(_entry(line, f"{where}: line {number}"))
    return entries


KEY_TYPES = ("ssh-ed25519", "x25519")


def generate_identity(kind: str = "x25519") -> tuple[str, str]:
    """A new identity: (file text, public key). ssh-ed25519 (an OpenSSH key file, which age reads too)
    both decrypts and signs; x25519 (age-keygen format) only decrypts."""
    if kind == "ssh-ed25519":
        text, public = keys.new_ed25519()
        return text, public
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    now = dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0)
    created = now.isoformat().replace("+00:00", "Z")  # RFC 3339, as age-keygen writes it
    return f"# created: {created}\n# public key: {public}\n{identity}\n", public


# -- decryption -----------------------------------------------------------------


def decrypt(ciphertext: bytes, identities: Identities, source: str) -> bytes:
    """The plaintext of an age file, or one DecryptError line naming `source` and what to do."""
    if not len(identities):
        raise DecryptError(f"{source}: no identity to decrypt with: {NO_IDENTITY_HELP}")
    out = io.BytesIO()
    try:
        pyrage.decrypt_io(io.BytesIO(ciphertext), out, identities.objects)
    except (pyrage.DecryptError, OSError, ValueError) as exc:
        raise DecryptError(_decrypt_failure(ciphertext, source, str(exc))) from None
    return out.getvalue()


def _decrypt_failure(ciphertext: bytes, source: str, detail: str) -> str:
    """Why pyrage failed, in words a member can act on.

    pyrage says "No matching keys found" for a damaged header too, so the
    header's shape is checked, here rather than before every decryption:
    a file that decrypts needs no check (it would cost a third of the fastest
    decryption). With a well-formed header, that message means no stanza is
    ours. A damaged stanza of ours fails differently for ssh keys, whose
    stanzas carry a key tag; an X25519 stanza cannot tell, so that case
    reads as "not encrypted to you", which a rekey also mends.
    """
    header_stanzas(ciphertext, source)  # raises "not a valid age file"
    if "No matching keys" not in detail:
        return _not_age(source, detail.lower())
    return f"{source}: not encrypted to your identity: ask a member to run `cocrec rekey`"


def verify_roundtrip(
    ciphertext: bytes, plaintext: bytes, identities: Identities, source: str = "record"
) -> None:
    """Decrypt what was just encrypted and compare, before it replaces anything (SPEC 8)."""
    try:
        again = decrypt(ciphertext, identities, source)
    except DecryptError:
        raise DecryptError(
            f"{source}: cannot verify the new encryption with your identity (is your key among the current members'?): nothing was written"
        ) from None
    if again != plaintext:
        raise CocrecError(
            f"{source}: the new encryption did not decrypt to the same text: nothing was written"
        )


def stanza_of(key: str) -> Stanza:
    """The (type, tag) of the stanza age writes for this recipient: ssh stanzas name their key by a tag."""
    normalized = normalize_key(key)
    kind = normalized.split(" ", 1)[0]
    if kind in SSH_TYPES:
        return kind, keys.age_tag(normalized)
    return "X25519", ""
