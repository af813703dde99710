"""Staged encryption, in this process and in the pool: nothing is replaced until all is verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocrec import bulk, crypto, index, staging
from cocrec.fsutil import TMP_MARKER

from .conftest import Person, make_person

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
def test_encrypt_all_stages_verified_files_and_replaces_nothing_until_asked(
    tmp_path: Path, alice: Person, bob: Person, count: int
) -> None:
    made = files(tmp_path / "records", count, [alice.public])
    old = {path: path.read_bytes() for path in made}
    staged = staging.encrypt_all(
        [(p, p.name, text) for p, text in made.items()],
        [bob.public, alice.public],
        identities(alice),
    )
    assert staging.problems(staged) == []
    assert [s.path for s in staged] == list(made)  # in order
    assert {p: p.read_bytes() for p in made} == old  # nothing replaced yet
    assert len(temps(tmp_path / "records")) == count
    staging.replace_all(staged)
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
    with pytest.raises(staging.NotStaged) as exc:
        staging.write_staged(
            lambda: staging.reencrypt_all(
                [(p, p.name) for p in made], [alice.public, carol.public], identities(alice)
            ),
            tmp_path / "records",
            lambda _staged: calls.append("before_write"),
        )
    assert [p.source for p in exc.value.problems] == [foreign.name]
    assert (
        str(exc.value)
        == f"{foreign.name}: not encrypted to your identity: ask a member to run `cocrec rekey`"
    )
    assert exc.value.exit_code == 3
    assert calls == []
    assert {p: p.read_bytes() for p in made} == old
    assert temps(tmp_path / "records") == []


def test_write_staged_runs_before_write_once_everything_is_staged(
    tmp_path: Path, alice: Person
) -> None:
    made = files(tmp_path / "records", LARGE, [alice.public])
    old = {path: path.read_bytes() for path in made}
    seen: list[tuple[int, bool]] = []

    def before_write(_staged: list[staging.Staged]) -> None:
        seen.append((len(temps(tmp_path / "records")), any(p.read_bytes() != old[p] for p in made)))

    staged = staging.write_staged(
        lambda: staging.reencrypt_all(
            [(p, p.name) for p in made], [alice.public], identities(alice)
        ),
        tmp_path / "records",
        before_write,
    )
    assert seen == [(LARGE, False)]
    assert all(
        p.read_bytes() != old[p]
        and crypto.decrypt(p.read_bytes(), identities(alice), p.name) == made[p]
        for p in made
    )
    assert [s.sha256 for s in staged] == [index.sha256(p.read_bytes()) for p in made]


def test_an_interrupted_staging_leaves_no_temp_file(tmp_path: Path, alice: Person) -> None:
    made = files(tmp_path / "records", SMALL, [alice.public])
    for path in made:
        (path.parent / f".{path.name}{TMP_MARKER}dead").write_bytes(b"left by a killed run")

    def interrupted() -> list[staging.Staged]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        staging.write_staged(interrupted, tmp_path / "records")
    assert temps(tmp_path / "records") == []


def test_the_writer_s_keys_go_first(alice: Person, bob: Person, keys_dir: Path) -> None:
    carol = make_person(keys_dir, "carol", "Carol")
    ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1d2FzbGVmdG9mdGhlbGFzdGtleXRoYXR3YXNtYWRl carol@example.org"
    assert staging.writer_first(
        [alice.public, ssh, bob.public, carol.public],
        [
            bob.public,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1d2FzbGVmdG9mdGhlbGFzdGtleXRoYXR3YXNtYWRl",
        ],
    ) == (
        ssh,
        bob.public,
        alice.public,
        carol.public,
    )
