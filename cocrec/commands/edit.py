"""cocrec edit ID, and cocrec new without --from: a record in $VISUAL/$EDITOR, checked before anything is written.

The record is decrypted into a private temporary file (cocrec.editor), the
editor runs with no lock held, and the result is validated against the whole
collection; an error re-opens the editor if the member wants. Only a changed
record is re-encrypted. Before writing, under the repository lock, the
ciphertext must still be the one that was decrypted: if someone changed the
record meanwhile (a pull, another member's command), nothing is written and
the member edits again from the new version. The edited text is never kept
anywhere else: plaintext stays in the private directory, which is removed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from .. import crypto, editor, index, validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError, ValidationError
from ..repo import Repo
from ..store import Loaded, Store
from .new import add_record, assign_id

Doc = dict[str, Any]
NEW_SOURCE = "new record"


def as_record(doc: Any, source: str) -> Doc:
    if not isinstance(doc, dict):
        raise ValidationError(source, "", "a record is a YAML mapping (reported_on: ..., region: ..., ...): fix it")
    return doc


def check_record(store: Store, doc: Doc, source: str, expected_id: str, others: Mapping[str, Loaded]) -> None:
    """Raise the first problem of `doc` on its own, then among the other records (ids, also_in)."""
    errors = validate.record_errors(doc, source, store.policy, store.members, expected_id=expected_id)
    errors = errors or collection_errors(store, {source: doc}, others)
    if errors:
        raise errors[0]


def collection_errors(store: Store, docs: Mapping[str, Doc], others: Mapping[str, Loaded]) -> list[ValidationError]:
    """Rules across records for `docs` (by the name the member knows them by) joined to the records not being replaced."""
    combined = {store.repo.rel(item.path): item.doc for item in others.values()}
    combined.update(docs)
    return validate.collection_errors(combined)


def changed_since(repo: Repo, expected: Mapping[str, str]) -> list[str]:
    """The ids whose ciphertext is no longer the one decrypted (sha256 of the file's bytes), or is gone."""
    changed = []
    for rid, sha in sorted(expected.items()):
        path = repo.record_path(rid)
        if not path.is_file() or index.sha256(path.read_bytes()) != sha:
            changed.append(rid)
    return changed


def others_than(store: Store, ids: set[str]) -> dict[str, Loaded]:
    """Every other record, decrypted and valid (they are needed to validate links and to rewrite the index)."""
    return store.load([rid for rid in store.repo.record_files() if rid not in ids])


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
    path = ctx.repo.record_path(record_id)
    source = ctx.repo.rel(path)
    ciphertext = path.read_bytes()
    plaintext = crypto.decrypt(ciphertext, ctx.identities, source)
    others = others_than(store, {record_id})

    def accept(data: bytes) -> Doc:
        doc = as_record(yaml_io.loads(data, source), source)
        check_record(store, doc, source, record_id, others)
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
        if changed_since(ctx.repo, {record_id: decrypted_sha}):
            raise RepoError(
                f"{ctx.repo.rel(ctx.repo.record_path(record_id))}: changed by someone else while you were editing "
                f"(another cocrec command, a git pull or checkout): nothing was written; run `cocrec edit {record_id}` again"
            )
        store.save([doc], others_than(store, {record_id}))


# -- new (no --from) ------------------------------------------------------------


def run_new(ctx: Context) -> int:
    store = ctx.store
    template = editor.new_template(store.policy, [m.id for m in store.members.current])
    others = store.load()
    taken = frozenset(ctx.repo.record_files())

    def accept(data: bytes) -> Doc:
        doc = as_record(editor.prune(yaml_io.loads(data, NEW_SOURCE)), NEW_SOURCE)
        doc["id"] = assign_id(doc, taken, NEW_SOURCE)
        doc.setdefault("schema_version", 1)
        check_record(store, doc, NEW_SOURCE, doc["id"], others)
        return doc

    result = editor.edit_loop(template.encode(), "new-record.yaml", accept, editor.editor_command(ctx.env), editor.ask_reopen)
    if result.value is None:
        how = "left unchanged" if result.status == "unchanged" else "saved empty"
        raise CocrecError(f"aborted (the template was {how}): no record was made")
    ctx.out(add_record(ctx, result.value, NEW_SOURCE))
    return EXIT_OK
