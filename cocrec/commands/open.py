"""cocrec open [ID...]: decrypt records into workspace/ for members who prefer their own editor; then `cocrec seal`.

workspace/ is git-ignored (open refuses when it is not, or when git tracks
anything in it), mode 0700, and each file `<id>.yaml` is mode 0600. Nothing
there is followed through a link: workspace/ itself and everything in it must
be what it seems (a directory, plain files of their own), else open refuses
before anything is decrypted; each file is created new (O_EXCL, O_NOFOLLOW)
in the directory opened without following a link, so a committed
`workspace/<id>.yaml` symlink into the tree never receives plaintext.
Beside them, `.cocrec-open.yaml` keeps the
sha256 of each record's ciphertext and plaintext as opened, so that seal can
tell which files the member edited and whether someone else changed one of
those records meanwhile. The manifest is
written before the plaintext: a run killed half-way leaves entries without
files, which seal ignores, never files seal cannot place. A record already
open is left as it is: it may hold edits not sealed yet.

Only records a member signed are opened: `seal` signs what it re-encrypts as the
sealing member's, so a record made outside cocrec (the age CLI) or changed since
its index entry was signed is refused (exit 4) as a writing command refuses it,
and nothing is opened: a member reviews it with `cocrec adopt` first.
"""

from __future__ import annotations

import datetime as dt
import os

from .. import index, opening
from ..context import Context
from ..errors import EXIT_OK
from ..workspace import (
    NEW_PREFIX,
    ManifestEntry,
    check_workspace,
    prepare_workspace,
    read_manifest,
    workspace_file,
    write_manifest,
    write_plaintext,
)


def run(ctx: Context, record_ids: list[str], as_of: dt.date) -> int:
    repo = ctx.repo
    files = repo.record_files()
    ids = sorted(set(ctx.store.resolve_all(record_ids))) if record_ids else sorted(files)
    ctx.store.require(ids)
    check_workspace(repo)
    if ids:
        ctx.store.require_recipient()
    # Plain files of their own (checked): edits not sealed yet, left as they are.
    already = [rid for rid in ids if os.path.lexists(workspace_file(repo, rid))]
    todo = [rid for rid in ids if rid not in already]
    items = [(files[rid], repo.rel(files[rid])) for rid in todo]
    opened = opening.open_all(items, ctx.identities) if todo else []
    # What seal would sign as this member's must be what a member signed (else: `cocrec adopt`).
    ctx.store.refuse_doubts(
        ctx.store.doubts({rid: item.file_sha for rid, item in zip(todo, opened)}).values(),
        "nothing was opened",
    )
    for item in opened:
        if item.problems:
            raise item.problems[0].error("; nothing was opened")
    prepare_workspace(repo)
    manifest = read_manifest(repo)
    manifest.update(
        {
            rid: ManifestEntry(item.file_sha, index.sha256(item.plaintext))
            for rid, item in zip(todo, opened)
        }
    )
    write_manifest(repo, manifest)
    write_plaintext(repo, [(rid, item.plaintext) for rid, item in zip(todo, opened)])
    ctx.out(
        f"opened {len(todo)} record(s) in workspace/ (git-ignored): edit the <id>.yaml files there;"
    )
    ctx.out(
        f"add a new record as workspace/{NEW_PREFIX}-<anything>.yaml; then run `cocrec seal` to re-encrypt and remove the plaintext"
    )
    if already:
        ctx.out(f"already open, left as they are: {', '.join(already)}")
    return EXIT_OK
