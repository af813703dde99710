"""cocrec edit ID: a record in $VISUAL/$EDITOR, checked before anything is written.

The record is decrypted into a private temporary file (cocrec.editor), the
editor runs with no lock held, and the result is validated against the whole
collection (cocrec.intake, as `new` checks one; dates of what has happened
may not lie after --as-of); an error re-opens the editor if the member wants. Only a changed
record is re-encrypted. Before writing, under the repository lock, the
ciphertext must still be the one that was decrypted: if someone changed the
record meanwhile (a pull, another member's command), nothing is written.
A record no member signed (made with the age CLI, changed since its index
entry was signed) is refused (exit 4) before it is decrypted: the editor,
which parses what it opens, never sees its text.

What the member typed is never thrown away: when it cannot be written (the
record changed meanwhile, a problem they chose not to fix, a disk that refused
the write) it is kept encrypted to their own key (cocrec.drafts), and the next
`cocrec edit ID` offers to resume it, naming the fields someone else changed
meanwhile (`--resume`, `--discard-draft` without a terminal). The plaintext
itself stays in the private directory, which is removed.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from .. import codenames, crypto, drafts, index, intake, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError
from ..prompts import Confirm, no_terminal

Doc = dict[str, Any]


# -- edit ID ---------------------------------------------------------------------


def edit_header(record_id: str, code_name: str | None) -> str:
    return (
        f"# cocrec edit {record_id}: save and quit to re-encrypt it; quit without saving to change nothing.\n"
        f"# code name: {codenames.shown(code_name)}\n"
        "# Empty the file to abort. Comments are not kept. This file is in a private directory, removed afterwards.\n"
    )


def run(
    ctx: Context,
    record_id: str,
    as_of: dt.date,
    yes: bool = False,
    resume: bool | None = None,
    confirm: Confirm = no_terminal,
) -> int:
    """`resume`: True to continue a kept draft, False to discard it, None to ask (refused without a terminal)."""
    ctx.yes = yes
    store = ctx.store
    record_id = store.resolve(record_id)
    store.require([record_id])
    ctx.writing().recover()  # what a killed writer left is finished before the member sees the record
    path = ctx.repo.record_path(record_id)
    source = ctx.repo.rel(path)
    ciphertext = path.read_bytes()
    # Only a record a member signed reaches the editor (which parses what it opens: modelines).
    store.refuse_doubts(
        store.doubts({record_id: index.sha256(ciphertext)}).values(),
        "nothing was opened in your editor",
    )
    store.require_recipient()
    plaintext = crypto.decrypt(ciphertext, ctx.identities, source)
    draft = resumed_draft(ctx, record_id, plaintext, resume, confirm)
    others = intake.others_than(store, {record_id})

    def accept(data: bytes) -> Doc:
        doc = intake.as_record(yaml_io.loads(data, source), source)
        errors = intake.problems(store, doc, source, record_id, others, as_of)
        if errors:
            raise errors[0]
        return doc

    def keep(text: bytes) -> str:
        kept = drafts.keep(ctx.repo.git_dir, ctx.identities, text, record_id, plaintext)
        return drafts.kept_line(kept, f"cocrec edit {record_id} --resume")

    header = edit_header(record_id, store.signed_code_name(record_id)).encode()
    initial = header + (
        meanwhile(record_id, draft, plaintext) + without_leading_comments(draft.text)
        if draft
        else plaintext
    )
    result = drafts.edit_keeping(
        initial, f"{record_id}.yaml", accept, ctx.env, draft, keep, "nothing was written"
    )
    if result.status == "empty":
        raise CocrecError(f"{source}: aborted (the file was saved empty): the record is unchanged")
    if result.value is None or store.serialise(result.value) == plaintext:
        ctx.out(f"{record_id}: no changes, nothing written")
        drafts.discard(draft.path if draft else None)
        return EXIT_OK
    with drafts.kept_if_refused(keep, result.text):
        save_edit(ctx, record_id, result.value, index.sha256(ciphertext))
    drafts.discard(draft.path if draft else None)
    ctx.out(f"{record_id}: saved")
    return EXIT_OK


def resumed_draft(
    ctx: Context, record_id: str, plaintext: bytes, resume: bool | None, confirm: Confirm
) -> drafts.Draft | None:
    """The kept edit of this record to continue, if there is one and the member wants it (else it is discarded)."""
    path = drafts.for_record(ctx.repo.git_dir, record_id)
    if path is None:
        return None
    offer = drafts.Offer(
        f"your edit of {record_id}",
        f"cocrec edit {record_id}",
        "start from the record",
        f"{record_id}: the edit kept from an earlier run is discarded",
    )

    @functools.cache
    def opened() -> tuple[drafts.Draft, list[str]]:
        """The draft, and the fields changed since it was kept (asking names them: opened first)."""
        found = drafts.load(path, ctx.identities, drop=offer.drop)
        return found, drafts.changed_fields(found.base, plaintext, offer.drop)

    def changes() -> str:
        changed = opened()[1]
        return f" (changed by someone else since: {', '.join(changed)})" if changed else ""

    if not drafts.resumes(path, resume, confirm, offer, ctx.err, changes):
        return None
    kept, changed = opened()
    if changed:
        ctx.err(
            f"cocrec: {record_id}: changed by someone else since your edit was kept: {', '.join(changed)}; the editor "
            f"shows your text: keep what they changed there too (`cocrec show {record_id}` shows the record now)"
        )
    return kept


def without_leading_comments(text: bytes) -> bytes:
    """A kept text without the comment lines cocrec put on top of it (they are written anew; comments are not kept)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(b"#"):
        lines.pop(0)
    return b"".join(lines)


def meanwhile(record_id: str, draft: drafts.Draft, plaintext: bytes) -> bytes:
    """Comment lines for a resumed edit: which fields someone else changed since it was kept."""
    changed = drafts.changed_fields(draft.base, plaintext)
    if not changed:
        return b"# This is your edit as it was kept; the record has not changed since.\n"
    return (
        f"# This is your edit as it was kept. Since then someone else changed: {', '.join(changed)}.\n"
        f"# Saving writes this text: carry their change over (`cocrec show {record_id}` shows the record now).\n"
    ).encode()


def save_edit(ctx: Context, record_id: str, doc: Doc, decrypted_sha: str) -> None:
    """Write under the lock, only if the record is still the version that was decrypted."""
    store = ctx.store
    with ctx.writing().writer():
        if intake.changed_since(ctx.repo, {record_id: decrypted_sha}):
            raise RepoError(
                f"{ctx.repo.rel(ctx.repo.record_path(record_id))}: changed by someone else while you were editing "
                f"(another cocrec command, a git pull or checkout): nothing was written"
            )
        store.save([doc], intake.others_than(store, {record_id}))
