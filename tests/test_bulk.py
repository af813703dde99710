"""Bulk decryption and staged encryption, in this process and in the process pool."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cocrec import bulk, crypto, progress, yaml_io
from cocrec.fsutil import TMP_MARKER
from cocrec.model import Members
from cocrec.policy import DEFAULT_POLICY

from .conftest import Person, make_person, outcome, record

SMALL, LARGE = 5, bulk.POOL_THRESHOLD + 4  # below the pool threshold, and in the pool


def never_asked(path: str) -> str:
    raise AssertionError(f"asked for a passphrase for {path}")


def identities(person: Person) -> crypto.Identities:
    return crypto.load_identities([person.identity], never_asked)


def temps(directory: Path) -> list[Path]:
    return sorted(directory.glob(f".*{TMP_MARKER}*"))


def files(directory: Path, count: int, keys: list[str]) -> dict[Path, bytes]:
    directory.mkdir(exist_ok=True)
    made = {}
    for n in range(count):
        text = f"id: 2026-{n:04d}\nsummary: record {n}\n".encode()
        path = directory / f"2026-{n:04d}.yaml.age"
        path.write_bytes(crypto.encrypt(text, keys))
        made[path] = text
    return made


@pytest.mark.parametrize("count", [SMALL, LARGE])
def test_encrypt_all_stages_verified_files_and_replaces_nothing_until_asked(tmp_path: Path, alice: Person, bob: Person, count: int) -> None:
    made = files(tmp_path / "records", count, [alice.public])
    old = {path: path.read_bytes() for path in made}
    staged = bulk.encrypt_all([(p, p.name, text) for p, text in made.items()], [bob.public, alice.public], identities(alice))
    assert bulk.failures(staged) == []
    assert [s.path for s in staged] == list(made)  # in order
    assert {p: p.read_bytes() for p in made} == old  # nothing replaced yet
    assert len(temps(tmp_path / "records")) == count
    bulk.replace_all(staged)
    assert temps(tmp_path / "records") == []
    for path, text in made.items():
        assert crypto.decrypt(path.read_bytes(), identities(bob), path.name) == text
        assert crypto.decrypt(path.read_bytes(), identities(alice), path.name) == text


@pytest.mark.parametrize("count", [SMALL, LARGE])
def test_reencrypt_all_reports_each_file_it_cannot_open_and_write_staged_changes_nothing(
    tmp_path: Path, alice: Person, bob: Person, carol: Person, count: int
) -> None:
    made = files(tmp_path / "records", count, [alice.public, bob.public])
    foreign = list(made)[count // 2]
    foreign.write_bytes(crypto.encrypt(made[foreign], [carol.public]))
    old = {path: path.read_bytes() for path in made}
    calls: list[str] = []
    with pytest.raises(bulk.NotStaged) as exc:
        bulk.write_staged(
            lambda: bulk.reencrypt_all([(p, p.name) for p in made], [alice.public, carol.public], identities(alice)),
            tmp_path / "records",
            lambda _staged: calls.append("before_write"),
        )
    assert [s.path for s in exc.value.failed] == [foreign]
    assert str(exc.value) == f"{foreign.name}: not encrypted to your identity: ask a member to run `cocrec rekey`"
    assert exc.value.exit_code == 3
    assert calls == []
    assert {p: p.read_bytes() for p in made} == old
    assert temps(tmp_path / "records") == []


def test_write_staged_runs_before_write_once_everything_is_staged(tmp_path: Path, alice: Person) -> None:
    made = files(tmp_path / "records", LARGE, [alice.public])
    old = {path: path.read_bytes() for path in made}
    seen: list[tuple[int, bool]] = []

    def before_write(_staged: list[bulk.Staged]) -> None:
        seen.append((len(temps(tmp_path / "records")), any(p.read_bytes() != old[p] for p in made)))

    staged = bulk.write_staged(lambda: bulk.reencrypt_all([(p, p.name) for p in made], [alice.public], identities(alice)), tmp_path / "records", before_write)
    assert seen == [(LARGE, False)]
    assert all(p.read_bytes() != old[p] and crypto.decrypt(p.read_bytes(), identities(alice), p.name) == made[p] for p in made)
    assert [s.sha256 for s in staged] == [bulk.index.sha256(p.read_bytes()) for p in made]


def test_an_interrupted_staging_leaves_no_temp_file(tmp_path: Path, alice: Person) -> None:
    made = files(tmp_path / "records", SMALL, [alice.public])
    for path in made:
        (path.parent / f".{path.name}{TMP_MARKER}dead").write_bytes(b"left by a killed run")

    def interrupted() -> list[bulk.Staged]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bulk.write_staged(interrupted, tmp_path / "records")
    assert temps(tmp_path / "records") == []


def test_open_all_in_the_pool_keeps_order_and_reports_each_failure(tmp_path: Path, alice: Person) -> None:
    made = files(tmp_path / "records", LARGE, [alice.public])
    broken = list(made)[7]
    broken.write_bytes(b"garbage")
    opened = bulk.open_all([(p, p.name) for p in made], identities(alice))  # each result in the order of the files
    assert len(opened) == len(made)
    assert [path for path, o in zip(made, opened) if o.error] == [broken]
    assert all(o.plaintext == made[path] for path, o in zip(made, opened) if not o.error)


def test_the_writer_s_keys_go_first(alice: Person, bob: Person, keys_dir: Path) -> None:
    carol = make_person(keys_dir, "carol", "Carol")
    ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1d2FzbGVmdG9mdGhlbGFzdGtleXRoYXR3YXNtYWRl carol@example.org"
    assert bulk.writer_first([alice.public, ssh, bob.public, carol.public], [bob.public, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1d2FzbGVmdG9mdGhlbGFzdGtleXRoYXR3YXNtYWRl"]) == (
        ssh,
        bob.public,
        alice.public,
        carol.public,
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    piped = io.StringIO()
    with progress.bar(1000, "re-encrypting", piped) as advance:
        advance(1000)
    assert piped.getvalue() == ""
    now = [0.0]
    terminal = Terminal()
    drawing = progress.Bar(1000, "re-encrypting", terminal, clock=lambda: now[0])
    drawing.advance(10)  # quick runs stay silent
    assert terminal.getvalue() == ""
    now[0] = 1.0
    drawing.advance(490)
    assert terminal.getvalue().endswith("\rre-encrypting [###############---------------] 500/1000")
    drawing.close()
    assert terminal.getvalue().endswith("\r")


FATES = ["valid", "not mine", "not age", "bad yaml", "invalid", "names its subject"]


def fated_files(directory: Path, count: int, me: Person, other: Person) -> list[Path]:
    """`count` record files, the n-th with fate FATES[n % 6]."""
    directory.mkdir(exist_ok=True)
    made = []
    for n in range(count):
        rid = f"2026-{n:04x}"
        fate = FATES[n % len(FATES)]
        doc = record(id=rid)
        if fate == "invalid":
            doc = record(id=rid, region="atlantis")
        if fate == "names its subject":
            doc = record(id=rid, outcome=outcome("flagged", shareable_summary="Jane Doe was flagged.\n"))
        text = b"id: [unclosed\n" if fate == "bad yaml" else yaml_io.dumps(doc).encode()
        path = directory / f"{rid}.yaml.age"
        path.write_bytes(b"garbage" if fate == "not age" else crypto.encrypt(text, [other.public if fate == "not mine" else me.public]))
        made.append(path)
    return made


@pytest.mark.parametrize("count", [SMALL + 1, LARGE])
def test_a_file_s_failure_at_one_step_leaves_its_neighbours_results_alone(tmp_path: Path, alice: Person, bob: Person, count: int) -> None:
    """Workers take each step over a whole chunk before the next; every file must still get its own outcome, in order."""
    made = fated_files(tmp_path / "records", count, alice, bob)
    checker = bulk.Checker(DEFAULT_POLICY, Members(), for_check=True)
    opened = bulk.open_all([(p, p.name) for p in made], identities(alice), checker=checker)
    assert len(opened) == count
    for n, item in enumerate(opened):
        fate = FATES[n % len(FATES)]
        assert (item.error is not None) == (fate in ("not mine", "not age", "bad yaml")), (n, fate)
        assert bool(item.invalid) == (fate == "invalid"), (n, fate)
        assert bool(item.text_hits) == (fate == "names its subject"), (n, fate)
        assert (None if item.stanzas is None else len(item.stanzas)) == (None if fate == "not age" else 1), (n, fate)
        if fate == "not mine":
            assert "not encrypted to" in str(item.error)
        if fate == "bad yaml":
            assert "malformed YAML" in str(item.error)
        if item.error is None:
            assert yaml_io.loads(item.plaintext, "x") == item.doc and item.doc["id"] == made[n].name.split(".")[0]
