"""cocrec hook pre-commit / commit-msg / merge-index: what git runs (hooks/, .pre-commit-hooks.yaml, the merge driver).

pre-commit asks of what is STAGED (git's index, honouring GIT_INDEX_FILE) the
questions `cocrec check` asks of the working tree, with the same code and
words (cocrec.commit_check exports the commit's files and runs cocrec.checks
on them), dates aside: nothing unsigned, nothing outside the layout, the
index true to the records, and with a key every record decrypts and validates.

commit-msg refuses a message that names a reporter or subject of any record
(cocrec.message_check decides, with the matcher expunge uses; a name word that
is also a common English word counts only beside another part of that
person). It says what matched (a subject's name, the reporter's email...) and
in which record, never the value. The records searched are the working
tree's, plus the staged and HEAD versions of records this commit changes (so
a commit that expunges someone cannot name them either). cocrec's own
messages pass. It fails closed: an identity that is configured or found but
cannot be used (a missing or unreadable file, a wrong passphrase, no terminal
to ask on) refuses the commit with the reason; with no identity at all the
commit is refused too, unless COCREC_ALLOW_UNCHECKED_COMMIT=1 (a machine that
holds no key, such as CI), when it goes through unchecked and the hook says so.

merge-index is the merge driver of records/index.yaml (a generated lock
file): a three-way merge by record id. Where both sides changed the same
entry differently it reports a conflict, after which `cocrec index`
regenerates the file from the merged records; the pre-merge-commit hook (the
pre-commit checks) refuses a merge commit whose index does not match.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import codenames, crypto, editor, git, index, message_check, opening, yaml_io
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError, DecryptError
from ..repo import ID_PATTERN, INDEX_NAME, RECORD_SUFFIX

RECORDS = "records/"
INDEX_PATH = RECORDS + INDEX_NAME
INDEX_ADVICE = "run `cocrec index`, then `git add records/index.yaml`"
UNCHECKED = "COCREC_ALLOW_UNCHECKED_COMMIT"
REWORD = "reword it with record ids only"
SCISSORS = "# ------------------------ >8 ------------------------"


def record_id_of(path: str) -> str | None:
    """The id of a path `records/<id>.yaml.age`, else None."""
    name = path[len(RECORDS) :] if path.startswith(RECORDS) else ""
    stem = name[: -len(RECORD_SUFFIX)] if name.endswith(RECORD_SUFFIX) else ""
    return stem if ID_PATTERN.match(stem) else None


# -- pre-commit ----------------------------------------------------------------------


def run_pre_commit(ctx: Context) -> int:
    """The checks of `check` on what is staged (cocrec.commit_check); refuse the commit on any problem."""
    from .. import commit_check

    ctx.passphrase = editor.terminal_passphrase
    problems, note = commit_check.staged_problems(ctx)
    for line in problems:
        ctx.err(f"cocrec pre-commit: {line}")
    if note:
        ctx.err(f"cocrec pre-commit: {note}")
    if problems:
        ctx.err(
            f"cocrec pre-commit: commit refused ({len(problems)} problem(s)); nothing was committed"
        )
        return EXIT_PROBLEMS
    return EXIT_OK


# -- commit-msg ----------------------------------------------------------------------


def message_text(raw: str) -> str:
    """The message without what git always drops: the part below the scissors line (`git commit -v`'s diff).

    Comment lines are checked too: git keeps them when the message comes from -m or -F
    (cleanup "whitespace"), and the hook cannot tell which cleanup applies.
    """
    return raw.split(SCISSORS, 1)[0]


def searched_docs(ctx: Context) -> tuple[dict[str, list[Any]], int]:
    """Every record's document: the working tree's, plus staged and HEAD versions of those this commit changes."""
    repo = ctx.repo
    root = repo.root
    files = repo.record_files()
    docs: dict[str, list[Any]] = {}
    unreadable = 0
    items = [(path, repo.rel(path)) for path in files.values()]
    for rid, item in zip(files, opening.open_all(items, ctx.identities)):
        if not item.problems:
            docs[rid] = [item.doc]
        else:
            unreadable += 1
    changed = [p for p in git.staged_changes(root) if record_id_of(p)]
    versions = [*git.staged_files(root).items(), *git.head_files(root, changed).items()]
    wanted = [(path, f.sha) for path, f in versions if path in changed]
    blobs = git.read_blobs(root, [sha for _, sha in wanted])
    for path, sha in wanted:
        try:
            doc = yaml_io.loads(crypto.decrypt(blobs[sha], ctx.identities, path), path)
        except CocrecError:
            unreadable += 1
            continue
        docs.setdefault(str(record_id_of(path)), []).append(doc)
    return docs, unreadable


def run_commit_msg(ctx: Context, file: str) -> int:
    repo = ctx.repo  # outside a records repository: exit 4 before anything else
    ctx.passphrase = editor.terminal_passphrase
    try:
        message = message_text(Path(file).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        raise CocrecError(f"{file}: cannot read the commit message file") from None
    kept = f"git keeps your message in {repo.rel(Path(file).resolve())}"
    names = code_names(ctx)
    if message_check.is_own(
        message
    ):  # with code names, only once they are known to be no one's name
        return EXIT_OK
    refusal = identity_refusal(ctx)
    if refusal == "":
        unchecked = "the message was NOT checked for names from the records"
        ctx.err(f"cocrec commit-msg: no identity on this machine and {UNCHECKED}=1: {unchecked}")
        return EXIT_OK
    if refusal is not None:
        ctx.err(f"cocrec commit-msg: {refusal}; commit refused ({kept})")
        return EXIT_PROBLEMS
    docs, unreadable = searched_docs(ctx)
    hits = message_check.check(message, docs, names)
    if unreadable:
        ctx.err(
            f"cocrec commit-msg: {unreadable} record version(s) could not be decrypted or read and were not searched: run `cocrec check`"
        )
    for rid, what in hits.items():
        held = " and ".join(what)
        ctx.err(f"cocrec commit-msg: the message holds {held} from record {rid}: {REWORD}")
    if hits:
        ctx.err(f"cocrec commit-msg: commit refused ({kept})")
        return EXIT_PROBLEMS
    return EXIT_OK


def code_names(ctx: Context) -> dict[str, str]:
    """Code name -> record id, from the index as in the working tree and as staged. Only names made of
    the shipped code words count: an index edited to hold a person's name as a code name lets nothing by."""
    root = ctx.repo.root
    texts = [ctx.repo.index_path.read_bytes()] if ctx.repo.index_path.is_file() else []
    staged = git.show_file(root, ":", INDEX_PATH) if (root / ".git").exists() else None
    texts += [staged] if staged is not None else []
    found: dict[str, str] = {}
    for text in texts:
        try:
            entries = index.Index.parse(text, INDEX_PATH).entries
        except CocrecError:
            continue
        for rid, entry in entries.items():
            if entry.code_name is not None and codenames.of_shipped_words(entry.code_name):
                found.setdefault(entry.code_name, rid)
    return found


def identity_refusal(ctx: Context) -> str | None:
    """Why the message cannot be checked (the commit is then refused), "" when this machine has no
    identity and may commit unchecked, None when the identity works."""
    try:
        ctx.identities  # noqa: B018 - loads them: an unusable identity is refused here
    except DecryptError as exc:
        if ctx.identity_flags or ctx.env.get("COCREC_IDENTITY") or _default_identity_exists(ctx):
            return f"the identity cannot be used, so the message cannot be checked ({exc})"
        if ctx.env.get(UNCHECKED) == "1":
            return ""
        return (
            "no identity found, so the message cannot be checked for names from the records: give "
            f"your key (COCREC_IDENTITY, or `cocrec keygen`), or where there is none, {UNCHECKED}=1"
        )
    return None


def _default_identity_exists(ctx: Context) -> bool:
    """Something is at the default identity path (a file, a broken link): found, so it must work."""
    return any(os.path.lexists(path) for path in crypto.resolve_identity_paths((), ctx.env))


# -- the merge driver of records/index.yaml -------------------------------------------


def merge_entries(
    base: index.Index, ours: index.Index, theirs: index.Index
) -> tuple[dict[str, index.Entry], list[str]]:
    """Three-way merge by record id: each side's own changes are kept; the same entry changed two ways conflicts."""
    merged: dict[str, index.Entry] = {}
    conflicts = []
    for rid in sorted(set(base.entries) | set(ours.entries) | set(theirs.entries)):
        b, o, t = base.entries.get(rid), ours.entries.get(rid), theirs.entries.get(rid)
        if o == t or t == b:
            pick = o
        elif o == b:
            pick = t
        else:
            conflicts.append(rid)
            pick = o or t
        if pick is not None:  # None: deleted
            merged[rid] = pick
    return merged, conflicts


def run_merge_index(ctx: Context, base: str, ours: str, theirs: str) -> int:
    indexes = [
        index.Index.parse(Path(p).read_bytes(), INDEX_PATH)
        if Path(p).stat().st_size
        else index.Index.empty()
        for p in (base, ours, theirs)
    ]
    merged, conflicts = merge_entries(*indexes)
    b, o, t = (i.recipients for i in indexes)
    recipients = o if o == t or t == b else t if o == b else ""
    Path(ours).write_text(index.render(recipients or o, merged), encoding="utf-8")
    if conflicts or not recipients:
        what = (
            f"records {', '.join(conflicts)} changed on both sides"
            if conflicts
            else "the members changed on both sides"
        )
        ctx.err(
            f"cocrec: {INDEX_PATH}: {what}: resolve the records, then run `cocrec index` and `git add {INDEX_PATH}`"
        )
        return EXIT_PROBLEMS
    return EXIT_OK
