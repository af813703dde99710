"""A rekey or member change SIGKILLed at any moment loses nothing, and running `cocrec rekey` again finishes it.

Each run is a real `python -m cocrec`-style subprocess killed with a real
SIGKILL: after a delay, when its temp files appear, or exactly at its Nth
rename of a file in the repository (an audit hook in the child kills itself
there, before the rename happens: 1 is trust.yaml and 2 members.yaml for a
member change, then each record, then the index; what cocrec keeps in the
clone's own .git/cocrec is not counted). After every kill, every record still
opens with its old text; after the final run, every current member opens
every record, no former member opens any, and no temp file is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cocrec import crypto
from cocrec.errors import DecryptError
from cocrec.fsutil import TMP_MARKER

from .commands.test_rekey import hand_edit_members, never_asked, plaintexts
from .conftest import AS_OF, Cocrec, Person, add_many

RECORDS = 300

BOOT = "from cocrec.cli import entry; entry()"

# Kill this process (never a worker) just before its Nth rename of a file under the repository.
KILL_AT_RENAME = """
import os, signal, sys
_parent, _count, _at, _root = os.getpid(), [0], int(os.environ["KILL_AT"]), os.environ["KILL_ROOT"]
def _hook(event, args):
    if event == "os.rename" and os.getpid() == _parent and str(args[1]).startswith(_root) and "/.git/" not in str(args[1]):
        _count[0] += 1
        if _count[0] == _at:
            os.kill(_parent, signal.SIGKILL)
sys.addaudithook(_hook)
"""

# Kill a worker process as it opens its Nth temp file: the parent lives on and must cope.
KILL_A_WORKER = f"""
import os, signal, sys
_parent, _count, _at = os.getpid(), [0], int(os.environ["KILL_AT"])
def _hook(event, args):
    if event == "open" and os.getpid() != _parent and "{TMP_MARKER}" in str(args[0]):
        _count[0] += 1
        if _count[0] == _at:
            os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(_hook)
"""


def spawn(
    repo: Cocrec,
    *args: str,
    prelude: str = "",
    env: dict[str, str] | None = None,
    identity: Path | None = None,
) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-c",
        prelude + BOOT,
        "-C",
        str(repo.root),
        "-i",
        str(identity or repo.identity),
        *args,
    ]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )


# Kill this process just before its Nth rename of a record file, or ("index") before it writes the index.
KILL_AT_RECORD = """
import os, signal, sys
_parent, _count, _at = os.getpid(), [0], os.environ["KILL_AT"]
def _hook(event, args):
    if event == "os.rename" and os.getpid() == _parent:
        target = str(args[1])
        if target.endswith(".yaml.age"):
            _count[0] += 1
        if (_at == "index" and target.endswith("index.yaml")) or (_at != "index" and target.endswith(".yaml.age") and _count[0] == int(_at)):
            os.kill(_parent, signal.SIGKILL)
sys.addaudithook(_hook)
"""


def killed_at_record(repo: Cocrec, at: str, *args: str) -> None:
    proc = spawn(repo, *args, prelude=KILL_AT_RECORD, env={"KILL_AT": at})
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"it finished before {at}"


def killed_at_rename(repo: Cocrec, at: int, *args: str) -> None:
    proc = spawn(
        repo, *args, prelude=KILL_AT_RENAME, env={"KILL_AT": str(at), "KILL_ROOT": str(repo.root)}
    )
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"it finished before rename {at}"


def killed_when(repo: Cocrec, ready: Iterator[bool], *args: str) -> subprocess.Popen[bytes]:
    proc = spawn(repo, *args)
    for now in ready:
        if now or proc.poll() is not None:
            break
    proc.kill()
    proc.communicate(timeout=60)
    return proc


def temp_files(repo: Cocrec) -> list[Path]:
    return sorted(p for d in (repo.root, repo.root / "records") for p in d.glob(f".*{TMP_MARKER}*"))


def after(seconds: float) -> Iterator[bool]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.005)
        yield False
    yield True


def temps_appear(repo: Cocrec, count: int) -> Iterator[bool]:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        yield len(temp_files(repo)) >= count
        time.sleep(0.002)
    yield True


def processes_of(repo: Cocrec) -> list[int]:
    """Processes whose command line names this repository: a killed run's workers, if any survived it."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(repo.root).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def assert_no_orphans(repo: Cocrec) -> None:
    deadline = time.monotonic() + 5
    while processes_of(repo) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_of(repo) == [], "workers outlived their killed parent"


def assert_nothing_lost(repo: Cocrec, reader: Person, before: dict[str, bytes]) -> None:
    """Whatever the moment of the kill, every record still opens (for a member of both sets) with its old text."""
    assert plaintexts(repo, reader) == before


def assert_finished(
    repo: Cocrec, current: list[Person], former: list[Person], before: dict[str, bytes]
) -> None:
    assert temp_files(repo) == []
    assert sorted(p.name for p in (repo.root / "records").iterdir()) == sorted(
        [*before, "index.yaml"]
    )
    for person in current:
        assert plaintexts(repo, person) == before, person.id
    for person in former:
        gone = crypto.load_identities([person.identity], never_asked)
        for path in sorted((repo.root / "records").glob("*.yaml.age")):
            with pytest.raises(DecryptError):
                crypto.decrypt(path.read_bytes(), gone, path.name)
    assert repo("rekey", "--check").exit_code == 0
    checked = repo("check", "--as-of", AS_OF).stdout
    assert "index" not in checked and "rekey" not in checked and "members" not in checked, checked


def finish(repo: Cocrec) -> None:
    proc = spawn(repo, "rekey")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert b"Re-encrypted" in out or b"nothing to re-encrypt" in out


def add_by_hand(repo: Cocrec, person: Person) -> None:
    """A chair adds a member by editing members.yaml, and signs the change with `cocrec adopt`."""
    hand_edit_members(repo, add=person)
    assert repo("adopt", "--yes").exit_code == 0


@pytest.fixture
def many(repo: Cocrec, alice: Person) -> dict[str, bytes]:
    add_many(repo, RECORDS)
    return plaintexts(repo, alice)


def test_rekey_killed_at_every_kind_of_moment_then_finished(
    repo: Cocrec, many: dict[str, bytes], alice: Person, bob: Person, carol: Person
) -> None:
    add_by_hand(repo, carol)
    # before the first record, after one, mid-way, before the index (each re-run first indexes what the
    # killed one wrote, from the journal, then re-encrypts what is left)
    for at in ("1", "2", str(RECORDS // 3), "index"):
        killed_at_record(repo, at, "rekey")
        assert_nothing_lost(repo, alice, many)
        report = repo("rekey", "--check")
        assert (
            report.exit_code == 1 and f"of {RECORDS} record(s) are not encrypted" in report.stdout
        )
    finish(repo)
    assert_finished(repo, [alice, bob, carol], [], many)


def test_member_removal_killed_then_finished_by_rekey(
    repo: Cocrec, many: dict[str, bytes], alice: Person, bob: Person
) -> None:
    members_file = (repo.root / "members.yaml").read_bytes()
    trust_file = (repo.root / "trust.yaml").read_bytes()
    killed_at_rename(
        repo, 1, "members", "remove", "bob", "--on", "2026-09-30"
    )  # just before trust.yaml
    assert (repo.root / "members.yaml").read_bytes() == members_file and (
        repo.root / "trust.yaml"
    ).read_bytes() == trust_file
    assert_nothing_lost(repo, alice, many)
    assert (
        repo("rekey", "--check").exit_code == 0
    )  # nothing had changed: the removal simply did not happen
    killed_at_rename(
        repo, 2, "members", "remove", "bob", "--on", "2026-09-30"
    )  # trust.yaml signed, members.yaml not yet
    assert (repo.root / "members.yaml").read_bytes() == members_file
    interrupted = repo("rekey", "--check")
    assert (
        interrupted.exit_code == 1
        and "members.yaml: an interrupted change of members" in interrupted.stdout
    )
    killed_at_rename(
        repo, RECORDS // 4, "rekey"
    )  # the next writer wrote members.yaml first, then was killed
    assert (
        b"bob" in (repo.root / "members.yaml").read_bytes()
        and bob.public.encode() not in (repo.root / "members.yaml").read_bytes()
    )
    assert_nothing_lost(repo, alice, many)
    assert "of 300 record(s) are not encrypted" in repo("rekey", "--check").stdout
    killed_at_rename(repo, RECORDS // 3, "rekey")
    assert_nothing_lost(repo, alice, many)
    finish(repo)
    assert_finished(repo, [alice], [bob], many)


def test_killed_after_delays_and_while_staging_then_finished(
    repo: Cocrec, many: dict[str, bytes], alice: Person, bob: Person, carol: Person
) -> None:
    add_by_hand(repo, carol)
    killed_when(repo, temps_appear(repo, RECORDS // 4), "rekey")
    assert temp_files(repo), "killed while staging: its temp files are still there"
    assert_no_orphans(repo)
    assert_nothing_lost(repo, alice, many)
    for delay in (0.4, 0.7):  # wherever it is by then (a fast machine may even have finished)
        killed_when(repo, after(delay), "rekey")
        assert_no_orphans(repo)
        assert_nothing_lost(repo, alice, many)
    finish(repo)
    assert_finished(repo, [alice, bob, carol], [], many)


def test_a_killed_worker_stops_the_run_with_nothing_changed(
    repo: Cocrec, many: dict[str, bytes], carol: Person
) -> None:
    add_by_hand(repo, carol)
    before = repo.files()
    proc = spawn(repo, "rekey", prelude=KILL_A_WORKER, env={"KILL_AT": "20"})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert (
        err.decode().strip()
        == "cocrec: a worker process stopped (killed, or out of memory): nothing was changed; run the command again"
    )
    assert repo.files() == before
    assert_no_orphans(repo)


def test_a_stale_lock_from_a_killed_holder_does_not_block(repo: Cocrec, carol: Person) -> None:
    hold = "import sys, time; from pathlib import Path; from cocrec.repo import Repo\nwith Repo(Path(sys.argv[1])).lock():\n    print('locked', flush=True); time.sleep(60)"
    add_by_hand(repo, carol)
    holder = subprocess.Popen([sys.executable, "-c", hold, str(repo.root)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
    assert repo("rekey").exit_code == 4  # held: a second writer says so
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    result = repo("rekey")
    assert result.exit_code == 0, result.output
