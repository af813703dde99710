"""The public key read from an OpenSSH private key file without cryptography, held to cryptography."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocrec import crypto, keys

from .test_crypto import PASSPHRASE, ssh_keygen


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_the_stated_public_key_is_the_loaded_keys_own(tmp_path: Path, kind: str) -> None:
    public = ssh_keygen(tmp_path / "id", kind)
    text = (tmp_path / "id").read_text()
    loaded = keys.private_key(text)
    stated = keys.stated_public_key(text)
    assert stated == (loaded.public_key if loaded else None)
    assert stated is None or stated == " ".join(public.split()[:2])


def test_cocrecs_own_keys_state_their_public_key() -> None:
    for _ in range(5):
        text, public = keys.new_ed25519()
        assert (
            keys.stated_public_key(text)
            == keys.private_key(text).public_key
            == " ".join(public.split()[:2])
        )  # type: ignore[union-attr]


def test_an_encrypted_key_or_garbage_states_nothing(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "locked", "ed25519", PASSPHRASE)
    text = (tmp_path / "locked").read_text()
    assert keys.stated_public_key(text) is None
    good, _ = keys.new_ed25519()
    cut = good[: len(good) // 2] + "\n-----END OPENSSH PRIVATE KEY-----\n"
    for bad in ("", "not a key", cut, good.replace("AAAA", "!!!!", 1)):
        assert keys.stated_public_key(bad) is None


def test_an_ssh_identity_signs_with_the_key_it_states(tmp_path: Path) -> None:
    text, public = keys.new_ed25519()
    identities = crypto.Identities.from_secrets([text])
    assert identities.public_keys == [" ".join(public.split()[:2])]
    (signer,) = identities.signing_keys
    assert signer.public_key == identities.public_keys[0]
