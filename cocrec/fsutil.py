"""The one place that writes a file atomically, and private temporary directories."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

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
    return f"{where}{exc.strerror or 'input/output error'}: {advice(exc)}, then run the command again"


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


def stage(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """The first half of `atomic_write`: `data` in a fsynced temp file beside `path`, to `os.replace` over it later.

    Bulk writers stage every file first, so that nothing is replaced until all
    are ready; a killed writer leaves only temp files, which `remove_stray_temps` clears.
    """
    tmp = path.with_name(f".{path.name}{TMP_MARKER}{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


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


@contextlib.contextmanager
def private_dir(prefix: str = "cocrec-") -> Iterator[Path]:
    """A mode-0700 directory, on /dev/shm when present (RAM, never the disk), removed on every exit path."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    os.chmod(path, 0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_private(path: Path, data: bytes) -> None:
    """Create a mode-0600 file (plaintext for the member's eyes only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
