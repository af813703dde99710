"""cocrec new [--from FILE|-]: record a new incident; prints its id.

With --from, the record is read from a plaintext YAML file (or standard input), or from an
age-encrypted one (decrypted in memory: how one side of an id collision between branches is
added back, see cocrec.repo); without it, the editor opens on a commented template. Every
problem of the file is listed, named by the file, and nothing is written unless there is none.
A plaintext file is what the member typed: the command ends by saying to delete it.

A record identical to one already there (all but its id: the same file given twice, a re-run)
is not made again unless the member says so: on a terminal they are asked; without one,
`--yes` makes it; otherwise nothing is written and the existing record's id is printed (exit 0),
as importing the same spreadsheet again adds nothing. A run killed after writing its record
and before the index is finished by the next: the record is indexed, and running the same
`new` again finds it and makes no second one.

In the editor, a record that cannot be written (a problem the member chose not to fix, a
write that failed) is kept encrypted to the member's own key (cocrec.drafts); the next
`cocrec new` offers to resume it (`--resume`, `--discard-draft` without a terminal).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from .. import codenames, crypto, drafts, editor, intake, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, UsageError
from ..prompts import Confirm, no_terminal

NEW_SOURCE = "new record"


def read_source(ctx: Context, source: str) -> tuple[bytes, str, bool]:
    """The record's text, the name to give it in messages, and whether it came encrypted (nothing to delete)."""
    if source == "-":
        data, shown = sys.stdin.buffer.read(), "<stdin>"
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(
                f"{source}: no such file; pass a plaintext record (YAML) or - for standard input"
            )
        try:
            data, shown = path.read_bytes(), source
        except OSError as exc:
            raise UsageError(
                f"{source}: cannot read it ({exc.strerror}); check the path and its permissions"
            ) from None
    if data.lstrip().startswith(crypto.ARMOR_BEGIN) or data.startswith(crypto.AGE_V1 + b"\n"):
        return crypto.decrypt(data, ctx.identities, shown), shown, True
    return data, shown, False


def add_record(
    ctx: Context, doc: Any, source: str, as_of: dt.date, yes: bool, confirm: Confirm
) -> str:
    """Validate and write one new record; returns its id (or the id of the record that already holds it)."""
    doc = dict(intake.as_record(doc, source))
    store = ctx.store
    with ctx.writing().writer():
        loaded = store.load()
        doc["id"] = intake.assign_id(doc, frozenset(ctx.repo.record_files()), as_of)
        doc.setdefault("schema_version", 1)
        again = (
            f"run `cocrec new --from {source}` again"
            if source not in (NEW_SOURCE, "<stdin>")
            else "try again"
        )
        intake.refuse(ctx.err, intake.problems(store, doc, source, doc["id"], loaded, as_of), again)
        same = intake.identical(doc, loaded)
        if same is not None and same in store.recovered:
            ctx.err(
                f"cocrec: {source}: record {same} holds it already: an earlier run wrote it and was stopped before the index; indexed now"
            )
            return same
        if same is not None and not _make_again(ctx, source, same, yes, confirm):
            return same
        store.save([doc], loaded)
        name = store.signed_code_name(str(doc["id"]))
    if name is not None:
        ctx.err(f"cocrec: {codenames.made_line(str(doc['id']), name)}")
    return str(doc["id"])


def _make_again(ctx: Context, source: str, same: str, yes: bool, confirm: Confirm) -> bool:
    """Whether to make a record identical to `same`: --yes, or a yes on the terminal."""
    if yes:
        return True
    answer = confirm(
        f"{source}: record {same} already holds exactly this (all but its id). Record it again, as another incident?"
    )
    if answer:
        return True
    how = "" if answer is False else "; to record it again as another incident, run with --yes"
    ctx.err(
        f"cocrec: {source}: the same as record {same} (all but its id): nothing was written; `cocrec show {same}` shows it{how}"
    )
    return False


def run(
    ctx: Context,
    from_file: str | None,
    as_of: dt.date,
    yes: bool,
    confirm: Confirm,
    resume: bool | None = None,
    ask_resume: Confirm = no_terminal,
) -> int:
    """`resume`: what to do with a new record kept from an earlier run (None: `ask_resume`, yes by default)."""
    ctx.yes = yes  # --yes answers every question: a duplicate, and keys this clone has not accepted
    if from_file is None:
        return run_editor(ctx, as_of, yes, confirm, resume, ask_resume)
    data, source, encrypted = read_source(ctx, from_file)
    ctx.out(add_record(ctx, yaml_io.loads(data, source), source, as_of, yes, confirm))
    if not encrypted and from_file != "-":
        ctx.err(
            f"cocrec: {source} holds the record in plaintext, outside the encrypted store: delete it now (`rm {source}`)"
        )
    return EXIT_OK


# -- the editor (no --from) ---------------------------------------------------------------

RESUME = "cocrec new --resume"


def run_editor(
    ctx: Context,
    as_of: dt.date,
    yes: bool,
    confirm: Confirm,
    resume: bool | None = None,
    ask_resume: Confirm = no_terminal,
) -> int:
    store = ctx.store
    ctx.writing().recover()  # a record a killed run wrote is indexed before the new one is typed
    draft = resumed_draft(ctx, resume, ask_resume)
    template = editor.new_template(store.policy, [m.id for m in store.members.current])
    others = store.load()
    taken = frozenset(ctx.repo.record_files())

    def accept(data: bytes) -> dict[str, Any]:
        doc = intake.as_record(editor.prune(yaml_io.loads(data, NEW_SOURCE)), NEW_SOURCE)
        doc["id"] = intake.assign_id(doc, taken, as_of)
        doc.setdefault("schema_version", 1)
        errors = intake.problems(store, doc, NEW_SOURCE, doc["id"], others, as_of)
        if errors:
            raise errors[0]
        return doc

    def keep(text: bytes) -> str:
        kept = drafts.keep(ctx.repo.git_dir, ctx.identities, text)
        if kept is not None:  # the newer text replaces the draft it resumed, once it is safe
            drafts.discard(draft.path if draft else None)
        return drafts.kept_line(kept, RESUME)

    initial = draft.text if draft else template.encode()
    result = drafts.edit_keeping(
        initial, "new-record.yaml", accept, ctx.env, draft, keep, "no record was made"
    )
    if result.value is None:
        how = "left unchanged" if result.status == "unchanged" else "saved empty"
        raise CocrecError(f"aborted (the template was {how}): no record was made")
    with drafts.kept_if_refused(keep, result.text):
        made = add_record(ctx, result.value, NEW_SOURCE, as_of, yes, confirm)
    drafts.discard(draft.path if draft else None)
    ctx.out(made)
    return EXIT_OK


def resumed_draft(ctx: Context, resume: bool | None, confirm: Confirm) -> drafts.Draft | None:
    """The oldest new record kept from a run that could not write it, if the member wants it (else discarded)."""
    found = drafts.new_records(ctx.repo.git_dir)
    if not found:
        return None
    path = found[0]
    more = f" ({len(found) - 1} more after it)" if len(found) > 1 else ""
    offer = drafts.Offer(
        "a new record you typed",
        "cocrec new",
        "start afresh",
        f"the new record kept from an earlier run is discarded{more}"
        + (": the next `cocrec new` offers the next one" if more else ""),
    )
    if not drafts.resumes(path, resume, confirm, offer, ctx.err, lambda: more):
        return None
    return drafts.load(path, ctx.identities, drop=offer.drop)
