"""The crypto seam against the reference `age` tool, with keys made fresh for each run.

Interop is checked both ways (SPEC 6: no lock-in): files cocrec writes open
with `age -d`, and files `age` writes open with cocrec, for X25519 (15 keys),
ssh-ed25519 and ssh-rsa. The passphrase-protected identity file is made by
the real `age -p`, driven through a pseudo-terminal since age reads
passphrases from the terminal only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import pty
import re
import select
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cocrec import crypto
from cocrec.errors import EXIT_DECRYPT, EXIT_USAGE, CocrecError, DecryptError, UsageError

PASSPHRASE = "correct horse battery staple"
PLAINTEXT = b"id: 2026-k7qd\nsummary: |\n  Jane Doe <jane@example.org> said something.\n"


# -- helpers ----------------------------------------------------------------------


def run(*args: str, stdin: bytes = b"") -> bytes:
    return subprocess.run(args, input=stdin, capture_output=True, check=True).stdout


def age_keygen(path: Path) -> str:
    """A real age-keygen identity file; returns its public key."""
    run("age-keygen", "-o", str(path))
    return run("age-keygen", "-y", str(path)).decode().strip()


def ssh_keygen(path: Path, kind: str, passphrase: str = "") -> str:
    """A real OpenSSH key pair; returns the public key line (with its comment)."""
    assert shutil.which("ssh-keygen"), "ssh-keygen is needed: apt-get install -y openssh-client"
    bits = ["-b", "2048"] if kind == "rsa" else []
    run(
        "ssh-keygen",
        "-q",
        "-t",
        kind,
        *bits,
        "-N",
        passphrase,
        "-C",
        "member@example.org",
        "-f",
        str(path),
    )
    return path.with_suffix(".pub").read_text().strip()


def age_on_terminal(args: list[str], passphrase: str) -> None:
    """Run `age` with a pseudo-terminal, answering each passphrase prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes age, with the pty as its terminal
        os.execvp(args[0], args)
    try:
        while select.select([fd], [], [], 30)[0]:
            chunk = os.read(fd, 1024)
            if not chunk:
                break
            if b"passphrase" in chunk.lower():
                os.write(fd, passphrase.encode() + b"\n")
    except OSError:  # EIO: the child closed the terminal
        pass
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def never_asked(path: str) -> str:
    raise AssertionError(f"asked for a passphrase for {path}")


def load(*paths: Path) -> crypto.Identities:
    return crypto.load_identities(list(paths), never_asked)


def assert_decrypt_error(exc: pytest.ExceptionInfo[DecryptError], *parts: str) -> None:
    message = str(exc.value)
    assert exc.value.exit_code == EXIT_DECRYPT
    assert "\n" not in message
    for part in parts:
        assert part in message, message


# -- fixtures ---------------------------------------------------------------------


@dataclass(frozen=True)
class SshKey:
    private: Path
    public: str  # with its comment, as in the .pub file


@dataclass(frozen=True)
class Slow:
    """Key material whose making takes a second or more, made in the background while other tests run."""

    rsa: Future[SshKey]
    protected_identity: Future[tuple[Path, str]]  # (`age -p` file, public key)
    keygen_passphrase: Future[tuple[bytes, str]]  # (passphrase_encrypt's output, public key)


def _make_rsa(directory: Path) -> SshKey:
    return SshKey(directory / "id_rsa", ssh_keygen(directory / "id_rsa", "rsa"))


def _make_protected(directory: Path) -> tuple[Path, str]:
    public = age_keygen(directory / "plain.txt")
    protected = directory / "protected.age"
    age_on_terminal(
        ["age", "-p", "-a", "-o", str(protected), str(directory / "plain.txt")], PASSPHRASE
    )
    (directory / "plain.txt").unlink()
    return protected, public


def _passphrase_encrypt_elsewhere() -> tuple[bytes, str]:
    """What `keygen --passphrase` writes, made by cocrec in a child process: pyrage holds the GIL."""
    text, public = crypto.generate_identity()
    script = "import sys; from cocrec.crypto import passphrase_encrypt as p; sys.stdout.buffer.write(p(sys.stdin.buffer.read(), sys.argv[1]))"
    return run(sys.executable, "-c", script, PASSPHRASE, stdin=text.encode()), public


@pytest.fixture(scope="module", autouse=True)
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slow]:
    with ThreadPoolExecutor(3) as pool:  # the threads only wait on child processes
        yield Slow(
            pool.submit(_make_rsa, tmp_path_factory.mktemp("rsa")),
            pool.submit(_make_protected, tmp_path_factory.mktemp("protected")),
            pool.submit(_passphrase_encrypt_elsewhere),
        )


@pytest.fixture(scope="module")
def ed25519(tmp_path_factory: pytest.TempPathFactory) -> SshKey:
    directory = tmp_path_factory.mktemp("ed25519")
    return SshKey(directory / "id_ed25519", ssh_keygen(directory / "id_ed25519", "ed25519"))


@pytest.fixture(scope="module")
def rsa(slow: Slow) -> SshKey:
    return slow.rsa.result()


@pytest.fixture(scope="module")
def committee(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """15 members' age-keygen identity files and public keys."""
    directory = tmp_path_factory.mktemp("committee")
    return [(directory / f"m{n}.txt", age_keygen(directory / f"m{n}.txt")) for n in range(15)]


@pytest.fixture
def me(tmp_path: Path) -> tuple[Path, str]:
    secret, public = crypto.generate_identity()
    path = tmp_path / "me.txt"
    path.write_text(secret)
    return path, public


# -- recipients and fingerprints ---------------------------------------------------


def test_normalize_key_drops_ssh_comments_and_whitespace(ed25519: SshKey) -> None:
    kind, body, _comment = ed25519.public.split()
    assert crypto.normalize_key(ed25519.public + "\n") == f"{kind} {body}"
    assert crypto.normalize_key(f"  {kind}   {body}  ") == f"{kind} {body}"
    assert crypto.normalize_key(" age1abc \n") == "age1abc"


def test_fingerprint_is_sha256_of_sorted_unique_normalized_keys(ed25519: SshKey) -> None:
    ssh = " ".join(ed25519.public.split()[:2])
    keys = ["age1zzz", ssh, "age1aaa"]
    expected = "sha256:" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
    assert crypto.fingerprint(keys) == expected
    assert crypto.fingerprint(reversed(keys)) == expected
    assert crypto.fingerprint(keys + ["age1aaa", " age1zzz\n"]) == expected
    assert (
        crypto.fingerprint(["age1zzz", ed25519.public, ssh + " another-comment", "age1aaa"])
        == expected
    )
    assert crypto.fingerprint([]) == "sha256:" + hashlib.sha256(b"").hexdigest()
    assert crypto.fingerprint(["age1aaa"]) != expected


def test_parse_recipient_accepts_age_and_ssh_keys(
    ed25519: SshKey, rsa: SshKey, me: tuple[Path, str]
) -> None:
    for key in (me[1], ed25519.public, rsa.public, " ".join(rsa.public.split()[:2]), me[1] + "\n"):
        assert crypto.parse_recipient(key) is not None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "age1notakey",
        "jane@example.org",
        "ssh-ed25519 AAAAnotbase64!",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    ],
)
def test_parse_recipient_refuses_anything_else_without_quoting_it(key: str) -> None:
    with pytest.raises(UsageError) as exc:
        crypto.parse_recipient(key)
    message = str(exc.value)
    assert exc.value.exit_code == EXIT_USAGE
    assert "is not a valid age or ssh recipient: use an age1... key from age-keygen" in message
    assert "jane" not in message and "QQQQ" not in message


def test_parse_recipient_names_the_argument_when_told(ed25519: SshKey) -> None:
    ecdsa_like = "ecdsa-sha2-nistp256 " + ed25519.public.split()[1]
    with pytest.raises(UsageError, match=r"^--key #2 is not a valid age or ssh recipient"):
        crypto.parse_recipient(ecdsa_like, "--key #2")


def test_two_keys_on_one_line_are_not_one_recipient(me: tuple[Path, str], ed25519: SshKey) -> None:
    with pytest.raises(UsageError):
        crypto.parse_recipient(f"{me[1]}\n{me[1]}")


# -- encryption and interop with the age CLI ---------------------------------------


def test_encrypt_needs_a_recipient() -> None:
    with pytest.raises(UsageError, match="no recipients"):
        crypto.encrypt(PLAINTEXT, [])


def test_encrypt_writes_armor_and_each_key_once(me: tuple[Path, str], ed25519: SshKey) -> None:
    ciphertext = crypto.encrypt(
        PLAINTEXT, [me[1], ed25519.public, me[1] + " ", " ".join(ed25519.public.split()[:2])]
    )
    assert ciphertext.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert ciphertext.rstrip().endswith(b"-----END AGE ENCRYPTED FILE-----")
    assert crypto.header_stanzas(ciphertext) == ["X25519", "ssh-ed25519"]
    assert crypto.decrypt(ciphertext, load(me[0]), "records/x.yaml.age") == PLAINTEXT


def test_cocrec_files_to_15_members_open_with_age(committee: list[tuple[Path, str]]) -> None:
    ciphertext = crypto.encrypt(PLAINTEXT, [public for _, public in committee])
    assert crypto.header_stanzas(ciphertext) == ["X25519"] * 15
    for identity, _ in (committee[0], committee[7], committee[14]):
        assert run("age", "-d", "-i", str(identity), stdin=ciphertext) == PLAINTEXT


@pytest.mark.parametrize("armor", [["-a"], []], ids=["armored", "binary"])
def test_age_files_to_15_members_open_with_cocrec(
    committee: list[tuple[Path, str]], armor: list[str]
) -> None:
    recipients = [arg for _, public in committee for arg in ("-r", public)]
    ciphertext = run("age", *armor, *recipients, stdin=PLAINTEXT)
    assert crypto.header_stanzas(ciphertext) == ["X25519"] * 15
    for identity, _ in (committee[0], committee[14]):
        assert crypto.decrypt(ciphertext, load(identity), "records/x.yaml.age") == PLAINTEXT


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_ssh_keys_interoperate_both_ways(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    key: SshKey = request.getfixturevalue(kind)
    identities = load(key.private)
    assert identities.public_keys == [
        crypto.normalize_key(key.public)
    ]  # derived from the private key file
    ours = crypto.encrypt(PLAINTEXT, [key.public])
    assert crypto.header_stanzas(ours) == [f"ssh-{kind}"]
    assert run("age", "-d", "-i", str(key.private), stdin=ours) == PLAINTEXT
    (tmp_path / "recipients.txt").write_text(key.public + "\n")
    theirs = run("age", "-a", "-R", str(tmp_path / "recipients.txt"), stdin=PLAINTEXT)
    assert crypto.decrypt(theirs, identities, "records/x.yaml.age") == PLAINTEXT


def test_mixed_key_types_in_one_file(me: tuple[Path, str], ed25519: SshKey, rsa: SshKey) -> None:
    ciphertext = run(
        "age", "-a", "-r", me[1], "-r", ed25519.public, "-r", rsa.public, stdin=PLAINTEXT
    )
    assert crypto.header_stanzas(ciphertext) == ["X25519", "ssh-ed25519", "ssh-rsa"]
    for identity in (me[0], ed25519.private, rsa.private):
        assert crypto.decrypt(ciphertext, load(identity), "r.age") == PLAINTEXT


def test_old_pem_rsa_keys_work_and_give_their_public_key(tmp_path: Path, rsa: SshKey) -> None:
    pem = tmp_path / "id_rsa"
    shutil.copy(rsa.private, pem)
    pem.chmod(0o600)
    run(
        "ssh-keygen", "-q", "-p", "-m", "PEM", "-N", "", "-P", "", "-f", str(pem)
    )  # rewrite in PKCS#1 PEM
    assert pem.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    identities = load(pem)
    assert identities.public_keys == [crypto.normalize_key(rsa.public)]
    assert crypto.decrypt(crypto.encrypt(PLAINTEXT, [rsa.public]), identities, "r.age") == PLAINTEXT


# -- header ------------------------------------------------------------------------


def synthetic(*stanzas: bytes, payload: bytes = b"\0" * 32) -> bytes:
    mac = b"A" * 43
    return b"age-encryption.org/v1\n" + b"".join(stanzas) + b"--- " + mac + b"\n" + payload


def test_header_stanzas_leaves_out_grease() -> None:
    body = b"B" * 43 + b"\n"
    data = synthetic(
        b"-> X25519 abc\n" + body, b"-> x#Y-grease ~ !\n\n", b"-> ssh-ed25519 tag abc\n" + body
    )
    assert crypto.header_stanzas(data) == ["X25519", "ssh-ed25519"]


def test_the_recipient_count_of_a_file_that_opened_reads_only_its_header(
    committee: list[tuple[Path, str]], ed25519: SshKey, rsa: SshKey
) -> None:
    """`check` counts recipients of files that just decrypted from the header alone: it must count what
    `header_stanzas` counts, for any number of keys (past the first 40 lines of armor), any key type, armored or
    binary, grease left out, and armor with CRLF line ends."""
    keys = [public for _, public in committee]
    many = keys + [
        crypto.generate_identity()[1] for _ in range(25)
    ]  # a 40-key header fills about 90 lines
    files = [
        crypto.encrypt(PLAINTEXT, keys[:1]),
        crypto.encrypt(PLAINTEXT, keys),
        crypto.encrypt(PLAINTEXT * 300, many),
        run("age", "-a", "-r", keys[0], "-r", ed25519.public, "-r", rsa.public, stdin=PLAINTEXT),
        run("age", *[arg for key in keys for arg in ("-r", key)], stdin=PLAINTEXT),  # binary
        synthetic(
            b"-> X25519 abc\n" + b"B" * 43 + b"\n",
            b"-> x#Y-grease ~ !\n\n",
            b"-> ssh-ed25519 tag abc\n" + b"B" * 43 + b"\n",
        ),
    ]
    files.append(files[1].replace(b"\n", b"\r\n"))
    counts = [crypto.recipient_count(data) for data in files]
    assert (
        counts == [len(crypto.header_stanzas(data)) for data in files] == [1, 15, 40, 3, 15, 2, 15]
    )


def test_header_stanzas_reads_multi_line_bodies() -> None:
    data = synthetic(
        b"-> ssh-rsa tag\n" + b"C" * 64 + b"\n" + b"C" * 64 + b"\n" + b"C" * 10 + b"\n"
    )
    assert crypto.header_stanzas(data) == ["ssh-rsa"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is plaintext\n",
        b"\x00\x01\x02" * 100,
        b"age-encryption.org/v2\n-> X25519 a\n\n--- " + b"A" * 43 + b"\n" + b"\0" * 32,
        synthetic(),  # no recipient
        synthetic(b"-> X25519 abc\n\n", payload=b""),  # payload cut off
        synthetic(b"-> X25519 abc\n" + b"C" * 65 + b"\n"),  # over-long body line
        synthetic(b"->  X25519\n\n"),  # empty argument
        synthetic(b"-> X25519 abc\n\n")[:40],  # ends inside the header
        b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n",  # no END line
        b"-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n",
    ],
)
def test_header_stanzas_refuses_what_is_not_an_age_file(data: bytes) -> None:
    with pytest.raises(DecryptError) as exc:
        crypto.header_stanzas(data, "records/2026-k7qd.yaml.age")
    assert_decrypt_error(
        exc,
        "records/2026-k7qd.yaml.age: not a valid age file (garbage or truncated",
        "restore it from git",
    )


# -- decryption errors ----------------------------------------------------------------


def truncations(ciphertext: bytes, binary: bytes) -> list[bytes]:
    lines = ciphertext.splitlines(keepends=True)
    return [
        ciphertext[: len(ciphertext) // 2],
        b"".join(lines[:-1]),  # armored, END line lost
        b"".join(lines[:3]) + b"-----END AGE ENCRYPTED FILE-----\n",  # armored, middle lost
        binary[:60],  # binary, inside the header
        binary[: binary.index(b"\n--- ") + 50],  # binary, just after the header
        binary[:-5],  # binary, end of the payload
    ]


def test_garbage_and_truncated_files_say_so_and_name_the_file(me: tuple[Path, str]) -> None:
    identities = load(me[0])
    armored = crypto.encrypt(PLAINTEXT * 20, [me[1]])
    binary = run("age", "-r", me[1], stdin=PLAINTEXT * 20)
    for data in [b"garbage\n", PLAINTEXT, *truncations(armored, binary)]:
        with pytest.raises(DecryptError) as exc:
            crypto.decrypt(data, identities, "records/2026-k7qd.yaml.age")
        assert_decrypt_error(
            exc,
            "records/2026-k7qd.yaml.age: not a valid age file (garbage or truncated",
            "restore it from git",
        )
        assert "Jane" not in str(exc.value)


def test_a_file_for_someone_else_says_ask_for_a_rekey(
    me: tuple[Path, str], committee: list[tuple[Path, str]]
) -> None:
    ciphertext = crypto.encrypt(PLAINTEXT, [public for _, public in committee[:3]])
    with pytest.raises(DecryptError) as exc:
        crypto.decrypt(ciphertext, load(me[0]), "records/2026-k7qd.yaml.age")
    assert_decrypt_error(
        exc, "records/2026-k7qd.yaml.age: not encrypted to your identity", "cocrec rekey"
    )


def test_a_damaged_header_mac_is_not_mistaken_for_not_a_recipient(me: tuple[Path, str]) -> None:
    ciphertext = run("age", "-r", me[1], stdin=PLAINTEXT)
    at = ciphertext.index(b"\n--- ") + 5
    damaged = (
        ciphertext[:at] + (b"B" if ciphertext[at : at + 1] == b"A" else b"A") + ciphertext[at + 1 :]
    )
    with pytest.raises(DecryptError) as exc:
        crypto.decrypt(damaged, load(me[0]), "r.age")
    assert_decrypt_error(exc, "r.age: not a valid age file")


def test_a_damaged_stanza_for_my_ssh_key_is_not_mistaken_for_not_a_recipient(
    ed25519: SshKey,
) -> None:
    ciphertext = run("age", "-r", ed25519.public, stdin=PLAINTEXT)
    stanza = ciphertext.index(b"-> ssh-ed25519 ")
    body = ciphertext.index(b"\n", stanza) + 1
    damaged = (
        ciphertext[:body]
        + (b"B" if ciphertext[body : body + 1] == b"A" else b"A")
        + ciphertext[body + 1 :]
    )
    with pytest.raises(DecryptError) as exc:
        crypto.decrypt(damaged, load(ed25519.private), "r.age")
    assert_decrypt_error(exc, "r.age: not a valid age file")


# -- identities -----------------------------------------------------------------------


def test_identity_file_with_comments_blank_lines_and_two_keys(
    tmp_path: Path, committee: list[tuple[Path, str]]
) -> None:
    (first, first_public), (second, second_public) = committee[0], committee[1]
    secrets = [
        line
        for path in (first, second)
        for line in path.read_text().splitlines()
        if line.startswith("AGE-")
    ]
    path = tmp_path / "identity.txt"
    path.write_text(
        f"# created: by hand\n\n# first\n{secrets[0]}\r\n   \n# second\n  {secrets[1]}  \n\n"
    )
    identities = load(path)
    assert identities.public_keys == [first_public, second_public]
    for public in (first_public, second_public):
        assert crypto.decrypt(crypto.encrypt(PLAINTEXT, [public]), identities, "r.age") == PLAINTEXT


def test_several_identity_paths_add_up(committee: list[tuple[Path, str]], ed25519: SshKey) -> None:
    identities = load(committee[0][0], ed25519.private)
    assert identities.public_keys == [committee[0][1], crypto.normalize_key(ed25519.public)]
    assert len(identities) == 2


def test_missing_identity_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DecryptError) as exc:
        load(tmp_path / "nowhere.txt")
    assert_decrypt_error(
        exc,
        f"no identity found at {tmp_path / 'nowhere.txt'}: pass --identity or set COCREC_IDENTITY, or run `cocrec keygen`",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# only a comment\n\n", "no identity in this file"),
        ("AGE-SECRET-KEY-1NOTVALIDATALL\n", "line 1: not a valid age identity"),
        ("# c\nsecret-looking-text-that-must-not-be-echoed\n", "line 2: not an age identity"),
        ("AGE-PLUGIN-YUBIKEY-1QQQQQQ\n", "plugin identities are not supported"),
    ],
)
def test_bad_identity_files_say_why_without_quoting_secrets(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "identity.txt"
    path.write_text(text)
    with pytest.raises(DecryptError) as exc:
        load(path)
    assert_decrypt_error(exc, str(path), expected)
    assert "NOTVALID" not in str(exc.value) and "must-not-be-echoed" not in str(exc.value)


def test_passphrase_protected_ssh_keys_are_refused_clearly(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "id_ed25519", "ed25519", passphrase="secret")
    with pytest.raises(DecryptError) as exc:
        load(tmp_path / "id_ed25519")
    assert_decrypt_error(exc, "passphrase-protected ssh key", "cocrec keygen --passphrase")


def test_an_age_file_that_is_not_passphrase_protected_is_no_identity(
    tmp_path: Path, me: tuple[Path, str]
) -> None:
    path = tmp_path / "not-an-identity.age"
    path.write_bytes(crypto.encrypt(b"AGE-SECRET-KEY-1...\n", [me[1]]))
    with pytest.raises(DecryptError) as exc:
        load(path)
    assert_decrypt_error(exc, str(path), "not passphrase-protected")


def test_identities_travel_to_workers_as_strings(
    committee: list[tuple[Path, str]], ed25519: SshKey
) -> None:
    identities = load(committee[3][0], ed25519.private)
    secrets = pickle.loads(pickle.dumps(identities.to_secrets()))
    rebuilt = crypto.Identities.from_secrets(secrets)
    assert rebuilt.public_keys == identities.public_keys
    ciphertext = crypto.encrypt(PLAINTEXT, [ed25519.public])
    assert crypto.decrypt(ciphertext, rebuilt, "r.age") == PLAINTEXT
    assert "SECRET" not in repr(identities) and "PRIVATE" not in repr(identities)


def test_generated_identity_is_in_age_keygen_format(tmp_path: Path) -> None:
    text, public = crypto.generate_identity()
    lines = text.splitlines()
    assert re.fullmatch(r"# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)", lines[0])
    assert lines[1] == f"# public key: {public}"
    assert lines[2].startswith("AGE-SECRET-KEY-1") and len(lines) == 3 and text.endswith("\n")
    path = tmp_path / "identity.txt"
    path.write_text(text)
    assert run("age-keygen", "-y", str(path)).decode().strip() == public
    assert run("age", "-d", "-i", str(path), stdin=crypto.encrypt(PLAINTEXT, [public])) == PLAINTEXT


# -- identity lookup ---------------------------------------------------------------------


def test_identity_path_precedence(tmp_path: Path) -> None:
    env = {"HOME": "/home/m", "XDG_CONFIG_HOME": "/xdg", "COCREC_IDENTITY": "/env/key.txt"}
    resolve = crypto.resolve_identity_paths
    assert resolve(["a.txt", "/b.txt"], env) == [Path("a.txt"), Path("/b.txt")]
    assert resolve([], env) == [Path("/env/key.txt")]
    assert resolve([], {**env, "COCREC_IDENTITY": ""}) == [Path("/xdg/cocrec/identity.txt")]
    assert resolve([], {"HOME": "/home/m"}) == [Path("/home/m/.config/cocrec/identity.txt")]
    assert resolve([], {"HOME": "/home/m", "XDG_CONFIG_HOME": "relative"}) == [
        Path("/home/m/.config/cocrec/identity.txt")
    ]
    assert resolve(["~/k.txt"], {"HOME": "/home/m"}) == [Path("/home/m/k.txt")]


# -- passphrases (each scrypt unlock costs about a second: one of each) ---------------------


def test_identity_file_protected_by_age_p_asks_once(slow: Slow) -> None:
    protected, public = slow.protected_identity.result()
    assert protected.read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    asked: list[str] = []

    def ask(path: str) -> str:
        asked.append(path)
        return PASSPHRASE

    identities = crypto.load_identities([protected], ask)
    assert asked == [str(protected)]
    assert identities.public_keys == [public]
    files = [crypto.encrypt(PLAINTEXT, [public]) for _ in range(3)]
    assert [crypto.decrypt(f, identities, "r.age") for f in files] == [PLAINTEXT] * 3
    assert asked == [str(protected)]  # unlocked once, not per file
    assert crypto.Identities.from_secrets(identities.to_secrets()).public_keys == [
        public
    ]  # workers never ask


def test_wrong_passphrase_is_a_decrypt_error(slow: Slow) -> None:
    protected, _ = slow.protected_identity.result()
    with pytest.raises(DecryptError) as exc:
        crypto.load_identities([protected], lambda path: "wrong horse")
    assert_decrypt_error(exc, str(protected), "wrong passphrase")
    assert "wrong horse" not in str(exc.value)


def test_passphrase_encrypt_makes_a_file_cocrec_unlocks(slow: Slow, tmp_path: Path) -> None:
    protected, public = slow.keygen_passphrase.result()
    path = tmp_path / "identity.txt"
    path.write_bytes(protected)
    assert path.read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert crypto.header_stanzas(path.read_bytes()) == ["scrypt"]
    assert crypto.load_identities([path], lambda _: PASSPHRASE).public_keys == [public]


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(UsageError):
        crypto.passphrase_encrypt(b"AGE-SECRET-KEY-1...", "")


# -- verification before a write -------------------------------------------------------------


def test_verify_roundtrip(me: tuple[Path, str], committee: list[tuple[Path, str]]) -> None:
    identities = load(me[0])
    ciphertext = crypto.encrypt(PLAINTEXT, [me[1], committee[0][1]])
    crypto.verify_roundtrip(ciphertext, PLAINTEXT, identities, "records/a.yaml.age")
    with pytest.raises(
        CocrecError,
        match=r"^records/a\.yaml\.age: the new encryption did not decrypt to the same text",
    ):
        crypto.verify_roundtrip(ciphertext, PLAINTEXT + b"x", identities, "records/a.yaml.age")
    not_mine = crypto.encrypt(PLAINTEXT, [committee[0][1]])
    with pytest.raises(DecryptError, match="cannot verify the new encryption with your identity"):
        crypto.verify_roundtrip(not_mine, PLAINTEXT, identities, "records/a.yaml.age")


# -- the quick header reader against the careful one -------------------------------------------------


@pytest.fixture(scope="module")
def key_pool(rsa: SshKey) -> list[tuple[str, str]]:
    """(secret, public key) of 24 X25519 and 3 ssh-ed25519 identities, and an ssh-rsa one: enough keys to
    fill more than the 40 lines of armor the quick reader decodes first."""
    pool = [crypto.generate_identity("x25519") for _ in range(24)] + [
        crypto.generate_identity("ssh-ed25519") for _ in range(3)
    ]
    secrets = [
        (
            next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-"))
            if "AGE-SECRET-KEY-" in text
            else text,
            public,
        )
        for text, public in pool
    ]
    return secrets + [(rsa.private.read_text(), rsa.public)]


def binary(armored: bytes) -> bytes:
    lines = armored.strip().splitlines()
    return base64.b64decode(b"".join(lines[1:-1]))


def rewrapped(armored: bytes, columns: int) -> bytes:
    lines = armored.strip().splitlines()
    body = "\n".join(textwrap.wrap(b"".join(lines[1:-1]).decode(), columns)).encode()
    return lines[0] + b"\n" + body + b"\n" + lines[-1] + b"\n"


SHAPES = {
    "armored": lambda data: data,
    "binary": binary,
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "leading space": lambda data: b"  \n" + data,
    "no final newline": lambda data: data.rstrip(b"\n"),
    "76 columns": lambda data: rewrapped(data, 76),
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chosen=st.sets(st.integers(0, 27), min_size=1, max_size=28),
    shape=st.sampled_from(sorted(SHAPES)),
    size=st.integers(0, 3000),
)
def test_the_quick_header_reader_reads_what_the_careful_one_reads(
    key_pool: list[tuple[str, str]], chosen: set[int], shape: str, size: int
) -> None:
    """For every file that decrypts, `recipient_stanzas` (header only) says what `header_recipients` (the
    whole file checked) says: any keys, any number, any armor pyrage accepts."""
    keys = [key_pool[n] for n in sorted(chosen)]
    data = SHAPES[shape](crypto.encrypt(os.urandom(size), [public for _, public in keys]))
    try:
        crypto.decrypt(data, crypto.Identities.from_secrets([keys[0][0]]), "f")
    except DecryptError:
        event(f"{shape}: pyrage refuses it")
        return
    event(f"{shape}: opens")
    assert crypto.recipient_stanzas(data) == tuple(crypto.header_recipients(data))
    assert len(crypto.recipient_stanzas(data)) == len(keys)
