"""The signing seam: the only module that imports `cryptography`.

It reads OpenSSH key files and public keys, makes new ssh-ed25519 keys, and
makes and checks OpenSSH signatures (SSHSIG, OpenSSH's PROTOCOL.sshsig), so
that anyone can verify what cocrec signed with the stock
`ssh-keygen -Y verify`. The cryptography is `cryptography`'s; this module only
frames the documented SSHSIG envelope around it (length-prefixed strings).

No message here quotes a key's secret part, a passphrase or a signed text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

# `cryptography` is imported where a key is loaded, a signature made or checked: most commands
# read a signature they checked before (the clone's cache), and its import is a fifth of start-up.

NAMESPACE = "cocrec"
MAGIC = b"SSHSIG"
SIG_VERSION = 1
HASH_ALG = "sha512"
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
SIGNING_TYPES = ("ssh-ed25519", "ssh-rsa")
MAX_SIGNATURE = 4096  # an RSA-8192 signature with its key is about 2 KB

PrivateKey = Union["ed25519.Ed25519PrivateKey", "rsa.RSAPrivateKey"]
PublicKey = Union["ed25519.Ed25519PublicKey", "rsa.RSAPublicKey"]


class BadKey(Exception):
    """Not a usable key (internal to the seam; callers turn it into their own error)."""


class BadSignature(Exception):
    """A signature that is malformed or does not verify (the reason names no value)."""


# -- ssh framing ------------------------------------------------------------------


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _read_string(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise BadSignature("it ends early")
    size = int.from_bytes(data[pos : pos + 4], "big")
    end = pos + 4 + size
    if end > len(data):
        raise BadSignature("it ends early")
    return data[pos + 4 : end], end


# -- public keys -------------------------------------------------------------------


def key_blob(public_key: str) -> bytes:
    """The ssh wire-format blob of an `ssh-ed25519 AAAA...` or `ssh-rsa AAAA...` key."""
    fields = public_key.split()
    if len(fields) < 2 or fields[0] not in SIGNING_TYPES:
        raise BadKey("not an ssh-ed25519 or ssh-rsa public key")
    try:
        return base64.b64decode(fields[1], validate=True)
    except binascii.Error:
        raise BadKey("its key part is not base64") from None


def blob_key(blob: bytes) -> str:
    """`type base64` of a wire-format blob (the normalized public key, without comment)."""
    kind, _ = _read_string(blob, 0)
    return f"{kind.decode('ascii', 'replace')} {base64.b64encode(blob).decode('ascii')}"


def age_tag(public_key: str) -> str:
    """The tag age writes in an ssh recipient stanza: base64 (no padding) of the first 4 bytes of
    SHA-256 of the key's wire-format blob. CI matches a file's stanzas to members' keys by it."""
    return (
        base64.b64encode(hashlib.sha256(key_blob(public_key)).digest()[:4])
        .decode("ascii")
        .rstrip("=")
    )


def fingerprint(public_key: str) -> str:
    """`SHA256:...` as `ssh-keygen -l` prints it, for showing a key to a member."""
    digest = hashlib.sha256(key_blob(public_key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _load_public(public_key: str) -> PublicKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        loaded = serialization.load_ssh_public_key(" ".join(public_key.split()[:2]).encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise BadKey("not a valid ssh public key") from None
    if not isinstance(loaded, (ed25519.Ed25519PublicKey, rsa.RSAPublicKey)):
        raise BadKey("only ssh-ed25519 and ssh-rsa keys sign")
    return loaded


def _openssh_public(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return str(
        key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode(
            "ascii"
        )
    )


# -- private keys ------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A private ssh key that can sign, and its public key (normalized: `type base64`)."""

    public_key: str
    private: Any  # PrivateKey; kept out of repr

    def __repr__(self) -> str:
        return f"SigningKey({self.public_key.split()[0]} {fingerprint(self.public_key)})"


def is_encrypted_private_key(text: str) -> bool:
    """True for a passphrase-protected ssh private key (cocrec does not unlock those: age does it instead)."""
    if "Proc-Type: 4,ENCRYPTED" in text or "BEGIN ENCRYPTED PRIVATE KEY" in text:
        return True
    try:
        _load_private(text)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        return True
    except (BadKey, ValueError):
        return False
    return False


def _load_private(text: str) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = text.encode("ascii", "replace")
    try:
        if "BEGIN OPENSSH PRIVATE KEY" in text:
            return serialization.load_ssh_private_key(data, password=None)
        return serialization.load_pem_private_key(data, password=None)
    except UnsupportedAlgorithm:
        raise BadKey("an unsupported key type") from None


_OPENSSH_ARMOUR = ("-----BEGIN OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----")
_SIGNING_TYPES = ("ssh-ed25519", "ssh-rsa")


def stated_public_key(text: str) -> str | None:
    """The public key an unencrypted OpenSSH private key file states beside its secret part
    (`type base64`), read without loading the key: what `status` needs of an identity, while
    cryptography is imported only to sign. None when the file is anything else (PEM, encrypted,
    another key type); `private_key` is the reference a test holds this to."""
    start, end = text.find(_OPENSSH_ARMOUR[0]), text.find(_OPENSSH_ARMOUR[1])
    if start < 0 or end < start:
        return None
    try:
        data = base64.b64decode(
            "".join(text[start + len(_OPENSSH_ARMOUR[0]) : end].split()), validate=True
        )
        fields, rest = _ssh_strings(data.removeprefix(b"openssh-key-v1\0"), 3)
        if (
            not data.startswith(b"openssh-key-v1\0")
            or fields[0] != b"none"
            or rest[:4] != b"\0\0\0\1"
        ):
            return None
        (blob,), _ = _ssh_strings(rest[4:], 1)
        (kind,), _ = _ssh_strings(blob, 1)
    except (binascii.Error, ValueError):
        return None
    name = kind.decode("ascii", "replace")
    return f"{name} {base64.b64encode(blob).decode('ascii')}" if name in _SIGNING_TYPES else None


def _ssh_strings(data: bytes, count: int) -> tuple[list[bytes], bytes]:
    """`count` length-prefixed strings from the front of `data` (RFC 4251), and what follows."""
    found = []
    for _ in range(count):
        size = int.from_bytes(data[:4], "big")
        if len(data) < 4 + size:
            raise ValueError("cut short")
        found.append(data[4 : 4 + size])
        data = data[4 + size :]
    return found, data


def private_key(text: str) -> SigningKey | None:
    """The signing key in an (unencrypted) OpenSSH or PEM private key file; None when it is no ssh key
    cocrec can use (an encrypted one, another algorithm)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        key = _load_private(text)
    except (BadKey, ValueError, TypeError):
        return None
    if not isinstance(key, (ed25519.Ed25519PrivateKey, rsa.RSAPrivateKey)):
        return None
    return SigningKey(_openssh_public(key.public_key()), key)


def new_ed25519() -> tuple[str, str]:
    """A new ssh-ed25519 key: (OpenSSH private key file text, public key). age and ssh both read the file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    text = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return text.decode("ascii"), _openssh_public(key.public_key())


# -- SSHSIG ------------------------------------------------------------------------


def _signed_data(message: bytes, namespace: str) -> bytes:
    digest = hashlib.sha512(message).digest()
    return (
        MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(HASH_ALG.encode())
        + _string(digest)
    )


def sign(message: bytes, key: SigningKey, namespace: str = NAMESPACE) -> bytes:
    """An SSHSIG blob (unarmored) over `message`, as `ssh-keygen -Y sign -n NAMESPACE` makes it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding

    data = _signed_data(message, namespace)
    if isinstance(key.private, ed25519.Ed25519PrivateKey):
        inner = _string(b"ssh-ed25519") + _string(key.private.sign(data))
    else:
        raw = key.private.sign(data, padding.PKCS1v15(), hashes.SHA512())
        inner = _string(b"rsa-sha2-512") + _string(raw)
    public_blob = key_blob(key.public_key)
    return (
        MAGIC
        + SIG_VERSION.to_bytes(4, "big")
        + _string(public_blob)
        + _string(namespace.encode())
        + _string(b"")
        + _string(HASH_ALG.encode())
        + _string(inner)
    )


def verify(blob: bytes, message: bytes, namespace: str = NAMESPACE) -> str:
    """The public key (normalized) that made this SSHSIG blob over `message`, or BadSignature."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    if len(blob) > MAX_SIGNATURE or not blob.startswith(MAGIC):
        raise BadSignature("not an ssh signature")
    version = int.from_bytes(blob[6:10], "big")
    if version != SIG_VERSION:
        raise BadSignature("an ssh signature of an unknown version")
    public_blob, pos = _read_string(blob, 10)
    signed_namespace, pos = _read_string(blob, pos)
    _reserved, pos = _read_string(blob, pos)
    hash_alg, pos = _read_string(blob, pos)
    inner, pos = _read_string(blob, pos)
    if pos != len(blob):
        raise BadSignature("trailing data after the signature")
    if signed_namespace != namespace.encode():
        raise BadSignature("made for another purpose (namespace)")
    if hash_alg not in (b"sha512", b"sha256"):
        raise BadSignature("an unknown hash algorithm")
    public_key = blob_key(public_blob)
    try:
        loaded = _load_public(public_key)
    except BadKey as exc:
        raise BadSignature(str(exc)) from None
    algorithm, rest = _read_string(inner, 0)
    raw, end = _read_string(inner, rest)
    digest = (
        hashlib.sha512(message).digest()
        if hash_alg == b"sha512"
        else hashlib.sha256(message).digest()
    )
    data = MAGIC + _string(signed_namespace) + _string(b"") + _string(hash_alg) + _string(digest)
    try:
        if isinstance(loaded, ed25519.Ed25519PublicKey) and algorithm == b"ssh-ed25519":
            loaded.verify(raw, data)
        elif isinstance(loaded, rsa.RSAPublicKey) and algorithm in (
            b"rsa-sha2-512",
            b"rsa-sha2-256",
        ):
            digest_alg: hashes.HashAlgorithm = (
                hashes.SHA512() if algorithm == b"rsa-sha2-512" else hashes.SHA256()
            )
            loaded.verify(raw, data, padding.PKCS1v15(), digest_alg)
        else:
            raise BadSignature("the signature's algorithm does not fit its key")
    except InvalidSignature:
        raise BadSignature(
            "it does not verify: the signed text was changed, or it was made by another key"
        ) from None
    if end != len(inner):
        raise BadSignature("trailing data in the signature")
    return public_key


def armor(blob: bytes) -> str:
    """The armored form `ssh-keygen -Y sign` writes (base64 in 70 columns)."""
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def dearmor(text: str) -> bytes:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise BadSignature("not an armored ssh signature")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except binascii.Error:
        raise BadSignature("not base64") from None


def encode(blob: bytes) -> str:
    """One line of base64: how cocrec's files hold a signature."""
    return base64.b64encode(blob).decode("ascii")


def decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("not base64") from None
