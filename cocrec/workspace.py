"""workspace/: plaintext records a member edits with their own editor, between `cocrec open` and
`cocrec seal` (the workflow both commands share).

workspace/ is git-ignored, mode 0700, each file mode 0600, and nothing in it is read or written
through a link. Beside the files, the manifest `.cocrec-open.yaml` keeps the sha256 of each
record's ciphertext and plaintext as opened (a ManifestEntry per record id).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import fsutil, git, yaml_io
from .errors import RepoError, ValidationError
from .fsutil import atomic_write
from .repo import Repo

MANIFEST_HEADER = "# Written by `cocrec open`: the sha256 of each record's ciphertext and plaintext when it was opened.\n"
NEW_PREFIX = "new"


def workspace_file(repo: Repo, record_id: str) -> Path:
    return repo.workspace_dir / f"{record_id}.yaml"


@dataclass(frozen=True)
class ManifestEntry:
    """A manifest entry: the sha256 of the record's ciphertext and of its plaintext when opened.

    Both are None for a record `seal` is creating from a new-*.yaml file (it renamed the file
    `<id>.yaml` after writing this entry). The plaintext hash reveals nothing the file beside it
    does not; it tells seal whether the member edited the file at all.
    """

    ciphertext: str | None = None
    plaintext: str | None = None

    @property
    def is_new(self) -> bool:
        return self.ciphertext is None


def read_manifest(repo: Repo) -> dict[str, ManifestEntry]:
    path = repo.workspace_manifest
    if not os.path.lexists(path):
        return {}
    source = repo.rel(path)
    doc = yaml_io.loads(read_workspace_file(repo, path), source)
    opened = doc.get("opened") if isinstance(doc, dict) else None
    if not isinstance(opened, dict) or not all(isinstance(v, dict) for v in opened.values()):
        raise ValidationError(
            source,
            "opened",
            "not as `cocrec open` wrote it: restore it, or move your edits aside and open again",
        )
    return {
        str(rid): ManifestEntry(entry.get("ciphertext"), entry.get("plaintext"))
        for rid, entry in opened.items()
    }


def write_manifest(repo: Repo, opened: Mapping[str, ManifestEntry]) -> None:
    entries = {
        rid: {"ciphertext": e.ciphertext, "plaintext": e.plaintext}
        for rid, e in sorted(opened.items())
    }
    text = MANIFEST_HEADER + yaml_io.dumps({"version": 1, "opened": entries})
    atomic_write(repo.workspace_manifest, text.encode("utf-8"), 0o600)


# What to do about each kind of thing workspace/ must not hold (fsutil.kind_of_entry's words).
ADVICE = {
    "a symbolic link": "cocrec reads and writes nothing through links in workspace/: see where "
    "it points (`ls -l`), remove any record text there, then remove the link",
    "a directory": "cocrec expects a file of that name: move the directory out of workspace/",
    "a fifo, socket or device": "remove it",
}
HARD_LINK_ADVICE = "its text is also somewhere else: remove this name, and check the other"
NO_LINKS = "cocrec never writes through a link: remove it, then run `cocrec open` again"
# Names cocrec reads or writes as files: a directory there is refused, any other is left be.
FILE_SUFFIXES = (".yaml", ".yml")


def unsafe_entries(repo: Repo) -> list[str]:
    """One line for each thing in workspace/ that is not a plain file of its own (a link, a fifo,
    a hard link, a directory named like a record file), walked without following any link."""
    problems = []
    for directory, dirnames, filenames in os.walk(repo.workspace_dir, followlinks=False):
        for name in sorted(dirnames + filenames):
            path = Path(directory) / name
            try:
                what = fsutil.kind_of_entry(os.lstat(path))
            except FileNotFoundError:
                continue
            if what is None or (what == "a directory" and not name.endswith(FILE_SUFFIXES)):
                continue
            problems.append(f"{repo.rel(path)}: {what}: {ADVICE.get(what, HARD_LINK_ADVICE)}")
    return problems


def workspace_kind(repo: Repo) -> str | None:
    """None when workspace/ is absent or a real directory; else what it is instead, in words."""
    try:
        info = os.lstat(repo.workspace_dir)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return None
    return "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a directory"


def read_workspace_file(repo: Repo, path: Path) -> bytes:
    """A workspace file's bytes, never through a link (RepoError for anything but a plain file)."""
    try:
        return fsutil.read_regular(path)
    except fsutil.NotAFile as exc:
        advice = ADVICE.get(exc.what, HARD_LINK_ADVICE)
        raise RepoError(f"{repo.rel(path)}: {exc.what}: {advice}") from None


def tracked_file(repo: Repo) -> str | None:
    """The first file git tracks in workspace/, if any: its text may be anyone's who can push."""
    if not git.is_repo(repo.root):
        return None
    tracked = git.tracked_paths(repo.root, "workspace")
    return tracked[0] if tracked else None


def refuse_tracked(repo: Repo) -> None:
    """Before seal reads workspace/: git tracks nothing there. A tracked file may be an attacker's
    (`git add -f`, pushed), and sealing it would encrypt their text and sign it as the member's."""
    tracked = tracked_file(repo)
    if tracked:
        raise RepoError(
            f"{tracked}: tracked by git, so anyone who can push may have written it, and seal signs "
            "nothing it cannot tell is yours: check that each file in workspace/ is your own text, "
            "run `git rm -r --cached workspace` and commit, then `cocrec seal` again; "
            "nothing was sealed"
        )


def check_workspace(repo: Repo) -> None:
    """Before anything is decrypted: git ignores workspace/ and tracks nothing in it, and it holds
    nothing cocrec could be led to write or read through. Plaintext there can never reach git."""
    what = workspace_kind(repo)
    if what is not None:
        raise RepoError(f"workspace: {what}: {NO_LINKS}; nothing was opened")
    tracked = tracked_file(repo)
    if tracked:
        raise RepoError(
            f"{tracked}: tracked by git, so anything written there could be committed: run "
            "`git rm -r --cached workspace` and commit, then `cocrec open` again; "
            "nothing was opened"
        )
    if git.is_repo(repo.root) and not git.is_ignored(repo.root, "workspace/record.yaml"):
        raise RepoError(
            ".gitignore: workspace/ is not ignored by git: add a line `workspace/` first, so plaintext never enters git"
        )
    problems = unsafe_entries(repo)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RepoError(f"{problems[0]}{more}; nothing was opened")


def _open_workspace(repo: Repo) -> int:
    try:
        return fsutil.open_dir_nofollow(repo.workspace_dir)
    except fsutil.NotAFile as exc:
        raise RepoError(f"workspace: {exc.what}: {NO_LINKS}") from None


def prepare_workspace(repo: Repo) -> None:
    """workspace/ exists, mode 0700 (check_workspace has passed)."""
    repo.workspace_dir.mkdir(mode=0o700, exist_ok=True)
    directory = _open_workspace(repo)
    try:
        os.fchmod(directory, 0o700)
    finally:
        os.close(directory)


def write_plaintext(repo: Repo, files: Sequence[tuple[str, bytes]]) -> None:
    """Create each `<id>.yaml` new, mode 0600, in workspace/ as opened without following a link:
    nothing that appeared there since the check is written through or over."""
    directory = _open_workspace(repo)
    try:
        for rid, plaintext in files:
            try:
                fsutil.create_exclusive(directory, f"{rid}.yaml", plaintext)
            except OSError:  # it exists now, a link included (O_EXCL, O_NOFOLLOW)
                raise RepoError(
                    f"{repo.rel(workspace_file(repo, rid))}: appeared while cocrec was opening it, "
                    "and cocrec writes over nothing: look at it, remove it, then run "
                    "`cocrec open` again"
                ) from None
    finally:
        os.close(directory)
