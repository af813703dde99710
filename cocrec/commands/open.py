"""cocrec open [ID...]: decrypt records into workspace/ for members who prefer their own editor; then `cocrec seal`.

workspace/ is git-ignored (open refuses when it is not), mode 0700, and each
file `<id>.yaml` is mode 0600. Beside them, `.cocrec-open.yaml` keeps the
sha256 of each record's ciphertext and plaintext as opened, so that seal can
tell which files the member edited and whether someone else changed one of
those records meanwhile. The manifest is
written before the plaintext: a run killed half-way leaves entries without
files, which seal ignores, never files seal cannot place. A record already
open is left as it is: it may hold edits not sealed yet.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .. import bulk, git, index, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError, ValidationError
from ..fsutil import atomic_write, write_private
from ..repo import Repo

MANIFEST_HEADER = "# Written by `cocrec open`: the sha256 of each record's ciphertext and plaintext when it was opened.\n"
NEW_PREFIX = "new"


def workspace_file(repo: Repo, record_id: str) -> Path:
    return repo.workspace_dir / f"{record_id}.yaml"


@dataclass(frozen=True)
class Opened:
    """A manifest entry: the sha256 of the record's ciphertext and of its plaintext when opened.

    Both are None for a record `seal` is creating from a new-*.yaml file (it renamed the file
    `<id>.yaml` after writing this entry). The plaintext hash reveals nothing the file beside it
    does not; it tells seal whether the member edited the file at all.
    """

    ciphertext: Optional[str] = None
    plaintext: Optional[str] = None

    @property
    def is_new(self) -> bool:
        return self.ciphertext is None


def read_manifest(repo: Repo) -> dict[str, Opened]:
    path = repo.workspace_manifest
    if not path.is_file():
        return {}
    source = repo.rel(path)
    doc = yaml_io.loads(path.read_bytes(), source)
    opened = doc.get("opened") if isinstance(doc, dict) else None
    if not isinstance(opened, dict) or not all(isinstance(v, dict) for v in opened.values()):
        raise ValidationError(source, "opened", "not as `cocrec open` wrote it: restore it, or move your edits aside and open again")
    return {str(rid): Opened(entry.get("ciphertext"), entry.get("plaintext")) for rid, entry in opened.items()}


def write_manifest(repo: Repo, opened: Mapping[str, Opened]) -> None:
    entries = {rid: {"ciphertext": e.ciphertext, "plaintext": e.plaintext} for rid, e in sorted(opened.items())}
    text = MANIFEST_HEADER + yaml_io.dumps({"version": 1, "opened": entries})
    atomic_write(repo.workspace_manifest, text.encode("utf-8"), 0o600)


def prepare_workspace(repo: Repo) -> None:
    """workspace/ exists, mode 0700, and git ignores it: plaintext there can never be committed."""
    if git.is_repo(repo.root) and not git.is_ignored(repo.root, "workspace/record.yaml"):
        raise RepoError(".gitignore: workspace/ is not ignored by git: add a line `workspace/` first, so plaintext never enters git")
    if repo.workspace_dir.is_symlink() or (repo.workspace_dir.exists() and not repo.workspace_dir.is_dir()):
        raise RepoError("workspace: not a directory: remove it, then run `cocrec open` again")
    repo.workspace_dir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(repo.workspace_dir, 0o700)


def run(ctx: Context, record_ids: list[str], as_of: dt.date) -> int:
    repo = ctx.repo
    files = repo.record_files()
    ids = sorted(set(record_ids)) if record_ids else sorted(files)
    ctx.store.require(ids)
    if ids:
        ctx.store.require_recipient()
    already = [rid for rid in ids if workspace_file(repo, rid).exists()]
    todo = [rid for rid in ids if rid not in already]
    opened = bulk.open_all([(files[rid], repo.rel(files[rid])) for rid in todo], ctx.identities) if todo else []
    for item in opened:
        if item.error is not None:
            raise CocrecError(f"{item.error}; nothing was opened", exit_code=item.exit_code)
    prepare_workspace(repo)
    manifest = read_manifest(repo)
    manifest.update({rid: Opened(item.file_sha, index.sha256(item.plaintext)) for rid, item in zip(todo, opened)})
    write_manifest(repo, manifest)
    for rid, item in zip(todo, opened):
        write_private(workspace_file(repo, rid), item.plaintext)
    ctx.out(f"opened {len(todo)} record(s) in workspace/ (git-ignored): edit the <id>.yaml files there;")
    ctx.out(f"add a new record as workspace/{NEW_PREFIX}-<anything>.yaml; then run `cocrec seal` to re-encrypt and remove the plaintext")
    if already:
        ctx.out(f"already open, left as they are: {', '.join(already)}")
    return EXIT_OK
