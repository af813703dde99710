"""No plaintext outlives a command (cocrec/fsutil.py): private directories, signals, what a killed
process left, child processes. Real signals on real `python -m cocrec` processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cocrec import fsutil

from .conftest import Cocrec, record

SLEEPING_EDITOR = """
import json, os, sys, time
from pathlib import Path
Path(sys.argv[1]).write_text(json.dumps({"path": sys.argv[-1], "pid": os.getpid()}))
time.sleep(120)
"""


def wait_for(path: Path, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return json.loads(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is no longer running
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.05)
    return False


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class Editing:
    """`python -m cocrec edit ID` in its own process, its editor asleep on the decrypted record."""

    def __init__(self, repo: Cocrec, rid: str, tmp_path: Path) -> None:
        script = tmp_path / "sleeping_editor.py"
        script.write_text(SLEEPING_EDITOR)
        self.log = tmp_path / "editor.json"
        env = {**os.environ, "EDITOR": f"{sys.executable} {script} {self.log}"}
        argv = [
            sys.executable,
            "-m",
            "cocrec",
            "-C",
            str(repo.root),
            "-i",
            str(repo.identity),
            "edit",
            rid,
        ]
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        seen = wait_for(self.log)
        self.file, self.editor_pid = Path(seen["path"]), int(seen["pid"])

    def stop(self, sig: int) -> tuple[int, str, bool, bool]:
        """Signal cocrec. Returns its exit code and stderr, whether the plaintext was still there once it
        had exited, and whether the editor had gone too."""
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        left = self.file.exists()
        editor_gone = sig != signal.SIGKILL and wait_gone(self.editor_pid, 10.0)
        kill_quietly(
            self.editor_pid
        )  # after a SIGKILL it is still running, and holds cocrec's stderr open
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err, left, editor_gone


@pytest.fixture
def editing(repo: Cocrec, tmp_path: Path) -> Iterator[Editing]:
    rid = repo.add(record())
    session = Editing(repo, rid, tmp_path)
    yield session
    kill_quietly(session.editor_pid)
    if session.process.poll() is None:
        session.process.kill()
        session.process.wait()


def test_the_private_file_is_0600_in_a_0700_directory_named_for_its_owner(editing: Editing) -> None:
    directory = editing.file.parent
    assert (
        stat.S_IMODE(directory.stat().st_mode) == 0o700
        and stat.S_IMODE(editing.file.stat().st_mode) == 0o600
    )
    if os.path.isdir("/dev/shm"):
        assert str(directory).startswith("/dev/shm/")
    assert directory.name.startswith(
        f"cocrec-{editing.process.pid}-{fsutil.start_time(editing.process.pid)}-edit-"
    )
    assert "Jane Doe" in editing.file.read_text()


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
)
def test_sigterm_and_sighup_remove_the_plaintext_as_ctrl_c_does(
    editing: Editing, sig: int, code: int
) -> None:
    returncode, err, left, editor_gone = editing.stop(sig)
    assert returncode == code
    assert not left and not editing.file.parent.exists(), (
        "the decrypted record outlived the command"
    )
    assert editor_gone, "the editor outlived the command"
    assert "nothing was half-written" in err and "Traceback" not in err


def test_after_a_sigkill_the_next_command_removes_the_plaintext_and_says_so(
    editing: Editing, repo: Cocrec
) -> None:
    returncode, _, left, _ = editing.stop(signal.SIGKILL)
    assert returncode == -signal.SIGKILL and left  # nothing can catch SIGKILL
    result = repo("list")
    assert result.exit_code == 0
    assert (
        f"removed {editing.file.parent}: plaintext left by cocrec process {editing.process.pid}, which was killed"
        in result.stderr
    )
    assert not editing.file.parent.exists()
    assert repo("list").stderr == ""  # said once


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def stray(repo: Cocrec) -> Iterator[Path]:
    """A private directory, named as cocrec names them, of a process that is gone (made after the
    repository: any cocrec command would remove it)."""
    base = (
        Path("/dev/shm")
        if os.access("/dev/shm", os.W_OK)
        else Path(os.environ.get("TMPDIR", "/tmp"))
    )
    path = base / f"cocrec-{dead_pid()}-0-edit-test{os.getpid()}"
    path.mkdir(mode=0o700)
    (path / "2026-k7qd.yaml").write_text("name: Jane Doe\n")
    yield path
    if path.exists():
        path.chmod(0o700)
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


def test_a_directory_not_made_as_cocrec_makes_them_is_left_alone_and_status_lists_it(
    stray: Path, repo: Cocrec
) -> None:
    stray.chmod(0o755)  # not 0700: someone changed it, or cocrec did not make it
    result = repo("status", "--as-of", "2026-07-01", "--format", "json")
    assert stray.exists() and "removed" not in result.stderr
    assert json.loads(result.stdout)["leftover_private_dirs"] == [str(stray)]
    table = repo("status", "--as-of", "2026-07-01")
    assert (
        "Plaintext left by killed cocrec commands (1 folder)" in table.stdout
        and str(stray) in table.stdout
    )
    assert "All clear" not in table.stdout
    stray.chmod(0o700)
    swept = repo("status", "--as-of", "2026-07-01", "--format", "json")
    assert "removed" in swept.stderr and not stray.exists()
    assert json.loads(swept.stdout)["leftover_private_dirs"] == []


def test_a_live_owner_keeps_its_directory_even_when_its_pid_was_reused(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = fsutil.start_time(sleeper.pid)
        assert started > 0
        assert fsutil._owner_alive(sleeper.pid, started)
        assert not fsutil._owner_alive(
            sleeper.pid, started + 1
        )  # same pid, another process: the owner is dead
        assert not fsutil._owner_alive(dead_pid(), 0)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_an_ignored_sighup_stays_ignored_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    previous_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with fsutil.signals_as_interrupts():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN  # `nohup cocrec ...`
        assert signal.getsignal(signal.SIGTERM) == before
    finally:
        signal.signal(signal.SIGHUP, previous_hup)


# -- child processes ------------------------------------------------------------------------------

PARENT = """
import json, sys
from pathlib import Path
from cocrec import fsutil
log = sys.argv[1]
child = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
with fsutil.signals_as_interrupts():
    try:
        fsutil.run_child([sys.executable, "-c", child, log], Path("."))
    except KeyboardInterrupt:
        sys.exit(7)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_child_process_dies_with_cocrec(tmp_path: Path, sig: int) -> None:
    log = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(log)], cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not (log.exists() and log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(log.read_text())
    try:
        parent.send_signal(sig)
        assert parent.wait(timeout=30) == (7 if sig == signal.SIGTERM else -signal.SIGKILL)
        assert wait_gone(child), "the child outlived its parent"
    finally:
        kill_quietly(child)
