"""A disk that refuses a write (full, read-only, not ours to write) is exit 4 and one line, and changes nothing.

Every writing command is tried against a real refusal: a directory it may not write in (file
modes for a normal user; for root, whom modes do not stop, the immutable attribute), a
read-only mount, and a full disk (a small tmpfs, which only root can mount: that variant is
skipped otherwise, with the reason). Nothing may be reported done that was not.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cocrec import yaml_io
from cocrec.cli import cli
from cocrec.fsutil import TMP_MARKER

from ..conftest import AS_OF, Cocrec, Person, outcome, record

FLORA = {"name": "Flora Fennimore", "emails": ["flora@example.org"]}
ROOT_USER = os.geteuid() == 0


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """`directory` takes no new file: its mode for a normal user; as root, the immutable attribute."""
    if not ROOT_USER:
        mode = directory.stat().st_mode
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode != 0:
        pytest.skip(
            f"running as root, and {directory} takes no immutable attribute (chattr failed), so it cannot be made unwritable"
        )
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


@contextlib.contextmanager
def read_only_mount(directory: Path) -> Iterator[None]:
    """`directory` on a read-only bind mount: the file system itself refuses (EROFS), as a read-only disk does."""
    mounted = subprocess.run(
        ["mount", "--bind", str(directory), str(directory)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"a read-only bind mount needs root and mount(8): {mounted.stderr.decode().strip() or 'not permitted'}"
        )
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(directory)], check=True, capture_output=True
        )
        yield
    finally:
        subprocess.run(["umount", str(directory)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a real disk that fills up."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"a full-disk test mounts a small tmpfs, which needs root: {mounted.stderr.decode().strip() or 'not permitted'}"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(disk: Path) -> None:
    """Write until the disk is full: not one more block fits."""
    block = b"\0" * 65536
    with open(disk / "filler", "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(block)
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 512)


def make_repo(root: Path, alice: Person, bob: Person) -> Cocrec:
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    repo = Cocrec(root, alice.identity)
    for person in (alice, bob):
        assert (
            repo(
                "members",
                "add",
                person.id,
                "--name",
                person.name,
                "--key",
                person.public,
                "--since",
                "2024-01-01",
            ).exit_code
            == 0
        )
    return repo


def prepare(repo: Cocrec, tmp_path: Path) -> dict[str, str]:
    """Something for every writing command to do: a flagged record for `screen --disclose`, a record
    due for expunge, an edit waiting in workspace/ for `seal`, an attendee list."""
    flagged = repo.add(record(subjects=[FLORA], outcome=outcome("flagged", "2026-07-01")))
    due = repo.add(record(reported_on="2026-05-01", outcome=outcome("no-violation", "2026-05-10")))
    assert repo("open", flagged).exit_code == 0
    opened = repo.root / "workspace" / f"{flagged}.yaml"
    opened.write_text(
        opened.read_text().replace("Emailed the subject.", "Emailed and called the subject.")
    )
    (tmp_path / "attendees.csv").write_text("name,email\nFlora F,flora@example.org\n")
    return {"flagged": flagged, "due": due, "csv": str(tmp_path / "attendees.csv")}


WRITERS: dict[str, Callable[[dict[str, str], Person], list[str]]] = {
    "new": lambda ids, carol: ["new", "--from", "-"],
    "members add": lambda ids, carol: [
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-01-01",
    ],
    "members remove": lambda ids, carol: ["members", "remove", "bob", "--on", "2026-12-01"],
    "expunge": lambda ids, carol: ["expunge", "--yes", "--as-of", AS_OF],
    "screen --disclose": lambda ids, carol: [
        "screen",
        ids["csv"],
        "--disclose",
        "Example Conf 2027 organisers",
        "--as-of",
        AS_OF,
    ],
    "seal": lambda ids, carol: ["seal", "--as-of", AS_OF],
}
NEW_RECORD = record(reported_on="2026-06-20", summary="Another report.\n")


def run_writer(
    repo: Cocrec, name: str, ids: dict[str, str], carol: Person
) -> tuple[int, list[str]]:
    result = repo(
        *WRITERS[name](ids, carol), input=yaml_io.dumps(NEW_RECORD) if name == "new" else None
    )
    return result.exit_code, result.stderr.strip().splitlines()


def temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob(f"*{TMP_MARKER}*")]


def assert_refused(
    repo: Cocrec, code: int, lines: list[str], before: dict[str, bytes], reason: str
) -> None:
    assert code == 4, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("cocrec: ") and reason in lines[0]
    assert "internal error" not in lines[0]
    assert (
        "nothing was replaced" in lines[0]
        or "nothing was changed" in lines[0]
        or "as it was" in lines[0]
    )
    assert "cocrec edit" not in lines[0]  # not a record to fix: the disk's problem
    assert "Flora" not in lines[0] and "flora" not in lines[0]
    assert repo.files() == before
    assert temp_files(repo.root) == []


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_an_unwritable_records_directory_is_exit_4_and_changes_nothing(
    repo: Cocrec, tmp_path: Path, carol: Person, name: str
) -> None:
    ids = prepare(repo, tmp_path)
    before = repo.files()
    with unwritable(repo.root / "records"):
        code, lines = run_writer(repo, name, ids, carol)
    assert_refused(
        repo, code, lines, before, "Operation not permitted" if ROOT_USER else "Permission denied"
    )
    assert "then run the command again" in lines[0]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_read_only_file_system_is_exit_4_and_changes_nothing(
    repo: Cocrec, tmp_path: Path, carol: Person, name: str
) -> None:
    if not ROOT_USER:
        pytest.skip(
            "a read-only bind mount needs root (the unwritable-directory test covers a normal user)"
        )
    ids = prepare(repo, tmp_path)
    before = repo.files()
    with read_only_mount(repo.root / "records"):
        code, lines = run_writer(repo, name, ids, carol)
    assert_refused(repo, code, lines, before, "Read-only file system")
    assert "the file system is read-only" in lines[0]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_full_disk_is_exit_4_and_changes_nothing(
    small_disk: Path, tmp_path: Path, alice: Person, bob: Person, carol: Person, name: str
) -> None:
    repo = make_repo(small_disk / "records-repo", alice, bob)
    ids = prepare(repo, tmp_path)
    before = repo.files()
    fill(small_disk)
    code, lines = run_writer(repo, name, ids, carol)
    assert_refused(repo, code, lines, before | {}, "No space left on device")
    assert "free some disk space" in lines[0]


def test_members_add_with_an_unwritable_repository_root_writes_no_record(
    repo: Cocrec, tmp_path: Path, carol: Person
) -> None:
    """trust.yaml and members.yaml are written after every record is staged and before any is replaced: refused, nothing moves."""
    prepare(repo, tmp_path)
    before = repo.files()
    with unwritable(repo.root):
        result = repo(
            "members",
            "add",
            "carol",
            "--name",
            carol.name,
            "--key",
            carol.public,
            "--since",
            "2026-01-01",
        )
    lines = result.stderr.strip().splitlines()
    assert_refused(repo, result.exit_code, lines, before, "trust.yaml")
    assert repo("rekey", "--check").exit_code == 0


def test_an_index_that_cannot_be_written_says_the_records_were(
    repo: Cocrec, tmp_path: Path
) -> None:
    """The record is written, the index is not: the one line says exactly that, and what mends it."""
    if not ROOT_USER:
        pytest.skip(
            "only root can make the index alone unwritable (an immutable file) while records/ stays writable"
        )
    repo.add(record())
    index = repo.root / "records" / "index.yaml"
    subprocess.run(
        ["chattr", "+i", str(index)], check=True
    )  # the new record can be written, the index not replaced
    try:
        result = repo("new", "--from", "-", input=yaml_io.dumps(NEW_RECORD))
    finally:
        subprocess.run(["chattr", "-i", str(index)], check=True)
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 4
    assert (
        line.startswith("cocrec: records/index.yaml: cannot write it (")
        and "1 record(s) were written, but not the index" in line
    )
    assert line.endswith("then run `cocrec index`")
    assert temp_files(repo.root) == []
    assert repo("index").exit_code == 0
    assert (
        repo("rekey").exit_code == 0
    )  # until `index` keeps what it knew of the recipients (issue 14, part 3)
    assert repo("check", "--as-of", "2026-06-25").exit_code == 0


def test_open_into_an_unwritable_repository_is_one_line(repo: Cocrec) -> None:
    rid = repo.add(record())
    with unwritable(repo.root):
        result = repo("open", rid)
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 4 and "workspace" in line and "internal error" not in line
    assert not (repo.root / "workspace").exists()


@pytest.mark.parametrize(
    ("oddity", "says"),
    [
        ("directory", "a directory, not cocrec's lock file"),
        ("dangling symlink", "a symlink, not cocrec's lock file"),
        ("immutable file", "cannot open it ("),
        ("unwritable .git", "cannot create it ("),
    ],
)
def test_lock_file_oddities_are_one_line_exit_4(repo: Cocrec, oddity: str, says: str) -> None:
    lock = repo.root / ".git" / "cocrec.lock"
    lock.unlink(missing_ok=True)
    before = repo.files()
    if oddity == "directory":
        lock.mkdir()
    elif oddity == "dangling symlink":
        lock.symlink_to(repo.root / "nowhere" / "lock")
    elif oddity == "immutable file":
        lock.write_text("")
        if ROOT_USER:
            assert subprocess.run(["chattr", "+i", str(lock)]).returncode == 0
        else:
            lock.chmod(0o000)
    with contextlib.ExitStack() as stack:
        if oddity == "unwritable .git":
            stack.enter_context(unwritable(repo.root / ".git"))
        result = repo("new", "--from", "-", input=yaml_io.dumps(NEW_RECORD))
    if oddity == "immutable file" and ROOT_USER:
        subprocess.run(["chattr", "-i", str(lock)], check=True)
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 4, line
    assert line.startswith("cocrec: .git/cocrec.lock: ") and says in line, line
    assert not (repo.root / "nowhere").exists()  # the link was not followed
    assert repo.files() == before
