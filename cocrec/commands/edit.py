"""cocrec edit ID: a record in $VISUAL/$EDITOR, checked before anything is written.

The record is decrypted into a private temporary file (cocrec.editor), the
editor runs with no lock held, and the result is validated against the whole
collection (cocrec.intake, as `new` checks one; dates of what has happened
may not lie after --as-of); an error re-opens the editor if the member wants. Only a changed
record is re-encrypted. Before writing, under the repository lock, the
ciphertext must still be the one that was decrypted: if someone changed the
record meanwhile (a pull, another member's command), nothing is written and
the member edits again from the new version. The edited text is never kept
anywhere else: plaintext stays in the private directory, which is removed.
"""

from __future__ import annotations

import datetime as dt

from typing import Any

from .. import crypto, editor, index, intake, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError

Doc = dict[str, Any]


# -- edit ID ---------------------------------------------------------------------


def edit_header(record_id: str) -> str:
    return (
        f"# cocrec edit {record_id}: save and quit to re-encrypt it; quit without saving to change nothing.\n"
        "# Empty the file to abort. Comments are not kept. This file is in a private directory, removed afterwards.\n"
    )


def run(ctx: Context, record_id: str, as_of: dt.date, yes: bool = False) -> int:
    ctx.yes = yes
    store = ctx.store
    store.require([record_id])
    ctx.writing().recover()  # what a killed writer left is finished before the member sees the record
    path = ctx.repo.record_path(record_id)
    source = ctx.repo.rel(path)
    ciphertext = path.read_bytes()
    store.require_recipient()
    plaintext = crypto.decrypt(ciphertext, ctx.identities, source)
    others = intake.others_than(store, {record_id})

    def accept(data: bytes) -> Doc:
        doc = intake.as_record(yaml_io.loads(data, source), source)
        errors = intake.problems(store, doc, source, record_id, others, as_of)
        if errors:
            raise errors[0]
        return doc

    initial = edit_header(record_id).encode() + plaintext
    result = editor.edit_loop(initial, f"{record_id}.yaml", accept, editor.editor_command(ctx.env), editor.ask_reopen)
    if result.status == "empty":
        raise CocrecError(f"{source}: aborted (the file was saved empty): the record is unchanged")
    if result.value is None or store.serialise(result.value) == plaintext:
        ctx.out(f"{record_id}: no changes, nothing written")
        return EXIT_OK
    save_edit(ctx, record_id, result.value, index.sha256(ciphertext))
    ctx.out(f"{record_id}: saved")
    return EXIT_OK


def save_edit(ctx: Context, record_id: str, doc: Doc, decrypted_sha: str) -> None:
    """Write under the lock, only if the record is still the version that was decrypted."""
    store = ctx.store
    with ctx.writing().writer():
        if intake.changed_since(ctx.repo, {record_id: decrypted_sha}):
            raise RepoError(
                f"{ctx.repo.rel(ctx.repo.record_path(record_id))}: changed by someone else while you were editing "
                f"(another cocrec command, a git pull or checkout): nothing was written; run `cocrec edit {record_id}` again"
            )
        store.save([doc], intake.others_than(store, {record_id}))
