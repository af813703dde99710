"""Writes are deliberate: never dated after today, and expunging (which cannot be undone) is confirmed.

In-process, "today" is conftest's TODAY (2029-12-31); `cocrec` run on a terminal (a pty) reads the
clock, so those runs use dates long past.
"""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cocrec import yaml_io

from ..conftest import AS_OF, TODAY, Cocrec, Person, outcome, record

TOMORROW = "2030-01-01"
FLORA = {"name": "Flora Fennimore", "emails": ["flora@example.org"]}


@pytest.fixture
def ids(repo: Cocrec, tmp_path: Path) -> dict[str, str]:
    flagged = repo.add(record(subjects=[FLORA], outcome=outcome("flagged", "2026-07-01")))
    due = repo.add(record(reported_on="2026-05-01", outcome=outcome("no-violation", "2026-05-10")))
    (tmp_path / "attendees.csv").write_text("name,email\nFlora F,flora@example.org\n")
    return {"flagged": flagged, "due": due, "csv": str(tmp_path / "attendees.csv")}


WRITERS: dict[str, Callable[[dict[str, str], Person, str], list[str]]] = {
    "new": lambda ids, carol, day: ["new", "--from", "-", "--as-of", day],
    "edit": lambda ids, carol, day: ["edit", ids["flagged"], "--as-of", day],
    "seal": lambda ids, carol, day: ["seal", "--as-of", day],
    "expunge": lambda ids, carol, day: ["expunge", "--yes", "--as-of", day],
    "expunge --commit": lambda ids, carol, day: ["expunge", "--commit", "--yes", "--as-of", day],
    "screen --disclose": lambda ids, carol, day: [
        "screen",
        ids["csv"],
        "--disclose",
        "Example Conf organisers",
        "--as-of",
        day,
    ],
    "members add --since": lambda ids, carol, day: [
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        day,
    ],
    "members remove --on": lambda ids, carol, day: ["members", "remove", "bob", "--on", day],
    "rekey": lambda ids, carol, day: ["rekey", "--as-of", day],
    "index": lambda ids, carol, day: ["index", "--as-of", day],
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writing_command_refuses_a_date_after_today(
    repo: Cocrec, ids: dict[str, str], carol: Person, name: str
) -> None:
    assert repo("open", ids["flagged"]).exit_code == 0
    before = repo.files()
    result = repo(*WRITERS[name](ids, carol, TOMORROW), input=yaml_io.dumps(record()))
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 2, line
    option = "--since" if "since" in name else "--on" if "--on" in name else "--as-of"
    assert line == (
        f"cocrec: {option} {TOMORROW}: after today ({TODAY.isoformat()}); a command that writes never writes a later date: "
        "give today or an earlier date"
    )
    assert repo.files() == before


def test_expunge_commit_as_of_a_later_date_writes_no_done_date_in_the_future(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    """`expunge --commit --as-of 2030-02-01` wrote `done 2030-02-01`: a ban running until 2027 then went unreported."""
    head = subprocess.run(
        ["git", "-C", str(repo.root), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout
    before = repo.files()
    result = repo("expunge", "--commit", "--yes", "--as-of", "2030-02-01")
    assert result.exit_code == 2 and "after today" in result.stderr
    assert repo.files() == before
    assert (
        subprocess.run(
            ["git", "-C", str(repo.root), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout
        == head
    )


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--as-of", TOMORROW],
        ["status", "--as-of", TOMORROW],
        ["check", "--as-of", TOMORROW],
        ["expunge", "--dry-run", "--as-of", TOMORROW],
        ["rekey", "--check", "--as-of", TOMORROW],
        ["lookup", "flora@example.org", "--as-of", TOMORROW],
    ],
)
def test_reading_commands_look_ahead_freely(
    repo: Cocrec, ids: dict[str, str], args: list[str]
) -> None:
    before = repo.files()
    result = repo(*args)
    assert result.exit_code in (0, 1), result.output  # 1: check found something due
    assert "after today" not in result.stderr
    assert repo.files() == before


def test_open_writes_no_date_and_takes_any_as_of(repo: Cocrec, ids: dict[str, str]) -> None:
    assert repo("open", ids["flagged"], "--as-of", TOMORROW).exit_code == 0


# -- expunge asks ----------------------------------------------------------------------------------


def test_expunge_without_a_terminal_or_yes_lists_what_it_would_do_and_changes_nothing(
    repo: Cocrec, ids: dict[str, str]
) -> None:
    before = repo.files()
    result = repo("expunge", "--as-of", AS_OF)
    assert result.exit_code == 2
    lines = result.stderr.rstrip().splitlines()
    assert lines[:-1] == [f"  {ids['due']}: reporter, subjects"]
    assert lines[-1] == (
        "cocrec: expunge: the 2 step(s) in 1 record(s) listed above remove personal data for good: run again with --yes "
        "to expunge them (--dry-run shows what each removes); nothing was changed"
    )
    assert "Jane" not in result.output and "Sam" not in result.output
    assert repo.files() == before


def test_plain_expunge_with_nothing_due_needs_no_confirmation(repo: Cocrec) -> None:
    repo.add(record())
    result = repo("expunge", "--as-of", AS_OF)
    assert result.exit_code == 0 and "Nothing to expunge" in result.stdout


def test_a_dry_run_still_needs_no_confirmation(repo: Cocrec, ids: dict[str, str]) -> None:
    before = repo.files()
    result = repo("expunge", "--dry-run", "--as-of", AS_OF)
    assert result.exit_code == 0 and "Would expunge 2 step(s) in 1 record(s)" in result.stdout
    assert repo.files() == before


def on_a_terminal(
    repo: Cocrec, person: Person, answer: bytes, *args: str, stdin_data: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """`cocrec ARGS` with a terminal on standard input, where the member types `answer`."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer)
        env = {**os.environ, "COCREC_IDENTITY": str(person.identity)}
        process = subprocess.run(
            ["cocrec", "-C", str(repo.root), *args],
            env=env,
            stdin=slave,
            capture_output=True,
            timeout=60,
        )
    finally:
        os.close(slave)
        os.close(master)
    return process


@pytest.mark.parametrize(
    ("answer", "code", "expunged"), [(b"y\n", 0, True), (b"n\n", 1, False), (b"\n", 1, False)]
)
def test_on_a_terminal_expunge_lists_ids_and_steps_and_asks(
    repo: Cocrec, alice: Person, ids: dict[str, str], answer: bytes, code: int, expunged: bool
) -> None:
    before = repo.files()
    process = on_a_terminal(repo, alice, answer, "expunge", "--as-of", "2026-06-01")
    err = process.stderr.decode()
    assert process.returncode == code, err
    assert f"  {ids['due']}: reporter, subjects" in err
    assert (
        "Expunge these 2 step(s) in 1 record(s) as of 2026-06-01? Personal data is removed for good [y/N]"
        in err
    )
    if expunged:
        assert "Expunged 2 step(s) in 1 record(s)" in process.stdout.decode()
        assert repo.files() != before
    else:
        assert err.strip().endswith("cocrec: expunge cancelled; nothing was changed")
        assert repo.files() == before


# -- new does not make the same record twice ---------------------------------------------------------


def test_the_same_file_given_twice_makes_one_record(repo: Cocrec, tmp_path: Path) -> None:
    path = tmp_path / "report.yaml"
    path.write_text(yaml_io.dumps(record()))
    first = repo("new", "--from", str(path))
    before = repo.files()
    again = repo("new", "--from", str(path))
    assert first.exit_code == again.exit_code == 0
    rid = first.stdout.strip()
    assert again.stdout.strip() == rid  # the id of the record that holds it
    assert (
        f"cocrec: {path}: the same as record {rid} (all but its id): nothing was written"
        in again.stderr
    )
    assert "run with --yes" in again.stderr
    assert repo.files() == before


def test_yes_records_an_identical_report_as_another_incident(repo: Cocrec) -> None:
    first = repo.add(record())
    second = repo("new", "--from", "-", "--yes", input=yaml_io.dumps(record()))
    assert second.exit_code == 0 and second.stdout.strip() != first
    assert len(list((repo.root / "records").glob("*.yaml.age"))) == 2


@pytest.mark.parametrize(("answer", "made"), [(b"y\n", True), (b"n\n", False)])
def test_on_a_terminal_new_asks_before_making_an_identical_record(
    repo: Cocrec, alice: Person, tmp_path: Path, answer: bytes, made: bool
) -> None:
    path = tmp_path / "report.yaml"
    path.write_text(yaml_io.dumps(record()))
    first = repo("new", "--from", str(path)).stdout.strip()
    process = on_a_terminal(
        repo, alice, answer, "new", "--from", str(path), "--as-of", "2026-06-10"
    )
    err = process.stderr.decode()
    assert process.returncode == 0, err
    assert (
        f"record {first} already holds exactly this (all but its id). Record it again, as another incident? [y/N]"
        in err
    )
    count = len(list((repo.root / "records").glob("*.yaml.age")))
    assert (count, process.stdout.decode().strip() != first) == ((2, True) if made else (1, False))
