"""The one place that writes a file atomically; private temporary directories and what keeps
plaintext from outliving a command (signals, the leftovers of killed processes, child processes).

Plaintext lives only in private directories (mode 0700, on /dev/shm when there is one, files
0600) named `cocrec-PID-START-PURPOSE-XXXXXXXX`: the owner's pid and the time it started (in
clock ticks since boot, from /proc; 0 where there is none), so that any later cocrec command can
tell a directory whose owner is dead from one in use, even after the pid was reused.

- SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session) all raise
  KeyboardInterrupt (`Terminated` for the last two), so every `finally` runs and every private
  directory is removed; while one is being removed, these signals wait.
- SIGKILL cannot be caught: the next cocrec command removes what a killed one left
  (`remove_leftovers`), and `leftover_private_dirs` lists what could not be removed.
- A child process that may hold plaintext (git filter-repo) runs through `run_child`: the kernel
  kills it when cocrec dies (PR_SET_PDEATHSIG on Linux), and every other way out kills its group.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

# shutil, tempfile, secrets and subprocess are imported where they are used: every command starts by
# looking for leftovers (cli.py), and loading them would be most of `cocrec --help`.

TMP_MARKER = ".cocrec-tmp-"

# What a member can do about a failed read or write, by errno: a full disk, a read-only mount, permissions.
_ADVICE = {
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some space within your disk quota",
    errno.EROFS: "the file system is read-only: remount it read-write, or work in a writable clone",
    errno.EACCES: "make it, and its directory, writable for you (`ls -ld`)",
    errno.EPERM: "make it, and its directory, writable for you (an immutable file? see `lsattr`)",
    errno.EIO: "the disk reported an error: check it before going on",
}


def advice(exc: OSError) -> str:
    """What to do about `exc`, in a few words."""
    return _ADVICE.get(exc.errno or 0, "check the file and the disk")


def io_failure(exc: OSError) -> str:
    """One line for a read or write that failed where no caller said more: the file, the reason, what to do."""
    where = f"{_target(str(exc.filename))}: " if exc.filename else ""
    return (
        f"{where}{exc.strerror or 'input/output error'}: {advice(exc)}, then run the command again"
    )


def _target(name: str) -> str:
    """The file a temp file stands in for (`stage` names them `.NAME.cocrec-tmp-XXXX`): the name a member knows."""
    head, base = os.path.split(name)
    if base.startswith(".") and TMP_MARKER in base:
        return os.path.join(head, base[1 : base.index(TMP_MARKER)])
    return name


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` so that a crash at any moment leaves the old or the new file, never half of one."""
    tmp = stage(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def stage(path: Path, data: bytes, mode: int = 0o644, durable: bool = True) -> Path:
    """The first half of `atomic_write`: `data` in a fsynced temp file beside `path`, to `os.replace` over it later.

    Bulk writers stage every file first, so that nothing is replaced until all
    are ready; a killed writer leaves only temp files, which `remove_stray_temps` clears.
    They pass `durable=False` and make the whole batch durable at once (`sync_files`): one
    fsync per file was most of a rekey's time above the cryptography's.
    """
    import secrets

    tmp = path.with_name(f".{path.name}{TMP_MARKER}{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def sync_files(paths: Sequence[Path]) -> None:
    """Make written files durable before any is renamed into place: one syncfs(2) of their file system
    where Linux has it (it flushes them all at once), else an fsync of each."""
    if not paths:
        return
    if _syncfs(paths[0].parent):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs(directory: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return False
    try:
        return bool(libc.syncfs(fd) == 0)
    except AttributeError:
        return False
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make the renames in `directory` durable (once per batch is enough)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stray_temps(directory: Path) -> list[Path]:
    """Remove temp files a killed writer left behind; they are never the only copy of anything."""
    removed = []
    for path in directory.glob(f".*{TMP_MARKER}*"):
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


def write_private(path: Path, data: bytes) -> None:
    """Create a mode-0600 file (plaintext for the member's eyes only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


# -- files that are what they seem: no links followed ----------------------------------------------


class NotAFile(Exception):
    """A path that is not a plain file of its own: a symbolic link, a fifo, a directory, a hard
    link."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def kind_of_entry(info: os.stat_result) -> str | None:
    """None for a regular file with one name; else what it is, in words."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if not stat.S_ISREG(mode):
        return "a fifo, socket or device"
    if info.st_nlink > 1:
        return "a hard link (the same file has another name elsewhere)"
    return None


def read_regular(path: Path) -> bytes:
    """The bytes of `path`, read without following a link; NotAFile unless it is a plain file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a fifo would block
    except OSError as exc:
        if os.path.islink(path):
            raise NotAFile("a symbolic link") from None
        raise exc
    with os.fdopen(fd, "rb") as handle:
        what = kind_of_entry(os.fstat(handle.fileno()))
        if what is not None:
            raise NotAFile(what)
        return handle.read()


def open_dir_nofollow(path: Path) -> int:
    """A descriptor of the directory `path` itself (NotAFile when it is a link or not a
    directory), to create files in with `create_exclusive`: what it names cannot be swapped for a
    link meanwhile."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        if os.path.islink(path):
            raise NotAFile("a symbolic link") from None
        if os.path.exists(path) and not os.path.isdir(path):
            raise NotAFile("not a directory") from None
        raise


def create_exclusive(dir_fd: int, name: str, data: bytes, mode: int = 0o600) -> None:
    """Create the file `name` in the directory `dir_fd`: never through a link, never over anything
    already there (FileExistsError); the file is `mode` (0600: plaintext)."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


# -- private directories ------------------------------------------------------------------------

PRIVATE_PREFIX = "cocrec-"
SHM = "/dev/shm"
_PRIVATE_NAME = re.compile(r"^cocrec-(\d+)-(\d+)-[a-z]+-")


def _shm() -> str | None:
    return SHM if os.path.isdir(SHM) and os.access(SHM, os.W_OK) else None


def start_time(pid: int) -> int:
    """When the process started, in clock ticks since boot (field 22 of /proc/PID/stat); 0 if
    unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()  # the command name may hold spaces
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return 0


@contextlib.contextmanager
def private_dir(purpose: str = "edit") -> Iterator[Path]:
    """A mode-0700 directory, on /dev/shm when present (RAM, never the disk), removed on every exit path."""
    import shutil
    import tempfile

    pid = os.getpid()
    prefix = f"{PRIVATE_PREFIX}{pid}-{start_time(pid)}-{purpose}-"
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_shm()))
    try:
        os.chmod(path, 0o700)
        yield path
    finally:
        with signals_deferred():  # a second signal must not stop the removal half-way
            shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Leftover:
    """A private directory whose cocrec process is dead. `ours`: this user's, mode 0700, as cocrec
    makes them (anything else is left alone, and reported)."""

    path: Path
    pid: int
    ours: bool


def _leftover_bases() -> list[Path]:
    """Everywhere `private_dir` may have put one: /dev/shm, and each place tempfile would use."""
    names = [SHM, *(os.environ.get(k) for k in ("TMPDIR", "TEMP", "TMP")), "/tmp", "/var/tmp"]
    bases: dict[str, Path] = {}
    for name in names:
        if name and os.path.isdir(name):
            bases.setdefault(os.path.realpath(name), Path(name))
    return list(bases.values())


def _owner_alive(pid: int, started: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # it exists (another user's, say): its start time tells whether it is the owner
    now = start_time(pid)
    return not (started and now and now != started)


def leftover_private_dirs() -> list[Leftover]:
    """Private directories of cocrec processes that are no longer running (killed), by this user."""
    found = []
    for base in _leftover_bases():
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            match = _PRIVATE_NAME.match(entry.name)
            if match is None or _owner_alive(int(match[1]), int(match[2])):
                continue
            try:
                info = os.lstat(entry.path)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
                found.append(
                    Leftover(Path(entry.path), int(match[1]), stat.S_IMODE(info.st_mode) == 0o700)
                )
    return sorted(found, key=lambda item: str(item.path))


def remove_leftovers() -> tuple[list[Leftover], list[Leftover]]:
    """Remove the private directories killed cocrec processes left. Returns (removed, failed): a
    directory not `ours` is not tried, and is neither."""
    import shutil

    removed, failed = [], []
    for leftover in leftover_private_dirs():
        if not leftover.ours:
            continue
        try:
            with signals_deferred():
                shutil.rmtree(leftover.path)  # fd-based on Linux: it follows no link inside
            removed.append(leftover)
        except OSError:
            failed.append(leftover)
    return removed, failed


# -- signals ------------------------------------------------------------------------------------

TERMINATING = (signal.SIGTERM, signal.SIGHUP)
DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, on Ctrl-C's path: every `finally` runs, so no plaintext stays behind."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    for sig in TERMINATING:  # once: the clean-up that follows is not interrupted again
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise `Terminated`; the handlers before are restored
    after. A signal ignored on purpose (`nohup`) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in TERMINATING:
        if signal.getsignal(sig) == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Block SIGINT, SIGTERM and SIGHUP for the block (a clean-up); they arrive after it."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# -- child processes ------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """Linux's prctl, looked up before any fork (a child about to exec loads no library)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def die_with_parent(parent: int) -> bool:
    """In a child process: ask the kernel to SIGKILL it when its parent dies (False where it cannot:
    not Linux), and exit at once if the parent (`parent`, its pid) died before that took effect."""
    prctl = _prctl()
    if prctl is None:
        return False
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:
        os._exit(1)
    return True


def _dies_with_parent() -> Callable[[], None] | None:
    """A preexec function asking the kernel to SIGKILL the child when this process dies (Linux)."""
    if _prctl() is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        die_with_parent(parent)

    return preexec


def run_child(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv` to completion, capturing its output; it does not outlive this process: on any
    exception (a signal included) its process group is killed, and if this process is SIGKILLed
    the kernel kills it (PR_SET_PDEATHSIG)."""
    import subprocess

    process = subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env) if env is not None else None, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=_dies_with_parent(),  # noqa: PLW1509
    )  # fmt: skip
    try:
        out, err = process.communicate()
    except BaseException:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode, out, err)
