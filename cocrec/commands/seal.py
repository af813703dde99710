"""cocrec seal: validate everything in workspace/, re-encrypt what changed, remove the plaintext.

What workspace/ may hold:
- `<id>.yaml`, opened by `cocrec open`: the record's new text (its id may not change);
- `new-<anything>.yaml` (or `new.yaml`): a new record; an `id` it gives is kept
  if valid and unused, else one is made, as with `cocrec new --from`;
- anything else that is not YAML (editor swap and backup files): removed with the directory.
A `.yaml` or `.yml` file of any other name, or an `<id>.yaml` that was not
opened, is refused rather than guessed at. A file deleted from workspace/
leaves its record as it is: seal never deletes a record.

Nothing git tracks in workspace/ is sealed: anyone who can push could have
committed it (`git add -f`), and seal would sign their text as the member's.

Nothing is read through a link: when workspace/ is one, or holds a link, a
fifo, a hard link or a directory named like a record file, seal refuses and
changes nothing (a link's target may hold plaintext outside workspace/; the
member is told to look). Files are read with O_NOFOLLOW, and workspace/ is
removed without following any link inside it (shutil.rmtree's fd-based walk).

A file whose text is still what `open` wrote (the manifest's plaintext hash)
is left out: its record stays as it is now, even if someone else changed it
meanwhile. For every edited file, under the repository lock, the record must
still hold the text that was opened (re-encrypted since by a rekey or a change
of members is fine: the plaintext is compared), or already hold exactly the
edited text; every edited and new file must parse and validate, alone and with the
rest of the collection. Any problem: each is listed, nothing is written and
the plaintext stays in workspace/ to be fixed. Otherwise only the records
whose content changed are re-encrypted (Store.save, which also rewrites the
index), and workspace/ is removed.

Re-running after a kill finishes the work: before anything is encrypted, each
new file is renamed `<id>.yaml` with its id claimed in the manifest (renaming
is atomic), so a second run neither loses nor duplicates a new record, and a
record already written holds the edited text, so it counts as done.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import codenames, crypto, index, intake, validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError, ValidationError
from ..intake import as_record, changed_since, collection_errors, others_than
from ..model import Record
from ..repo import ID_PATTERN, Repo
from ..store import Loaded
from ..workspace import (
    NEW_PREFIX,
    ManifestEntry,
    read_manifest,
    read_workspace_file,
    refuse_tracked,
    unsafe_entries,
    workspace_file,
    workspace_kind,
    write_manifest,
)

Doc = dict[str, Any]


@dataclass
class WorkspaceFiles:
    """The workspace files: edited records (by id), new records, and names seal refuses."""

    edited: dict[str, Path] = field(default_factory=dict)
    new: list[Path] = field(default_factory=list)
    untouched: int = 0
    refused: list[str] = field(default_factory=list)


def _yaml_files(repo: Repo) -> list[Path]:
    """Every .yaml and .yml file under workspace/, walked without following a link."""
    found = []
    for directory, _, filenames in os.walk(repo.workspace_dir, followlinks=False):
        found += [Path(directory) / name for name in filenames if name.endswith((".yaml", ".yml"))]
    return sorted(found)


def _untouched(repo: Repo, path: Path, opened: ManifestEntry) -> bool:
    return index.sha256(read_workspace_file(repo, path)) == opened.plaintext


def sort_workspace(repo: Repo, manifest: Mapping[str, ManifestEntry]) -> WorkspaceFiles:
    result = WorkspaceFiles()
    for path in _yaml_files(repo):
        if path == repo.workspace_manifest:
            continue
        name, stem = repo.rel(path), path.name.rsplit(".", 1)[0]
        if path.parent != repo.workspace_dir or path.suffix == ".yml":
            result.refused.append(
                f"{name}: seal reads only workspace/<id>.yaml and workspace/{NEW_PREFIX}-*.yaml: move or rename it"
            )
        elif stem in manifest and _untouched(repo, path, manifest[stem]):
            result.untouched += 1
        elif stem in manifest:
            result.edited[stem] = path
        elif ID_PATTERN.match(stem):
            result.refused.append(
                f"{name}: not opened with `cocrec open`: to add it as a new record, rename it {NEW_PREFIX}-{stem}.yaml"
            )
        elif stem == NEW_PREFIX or stem.startswith(f"{NEW_PREFIX}-"):
            result.new.append(path)
        else:
            result.refused.append(
                f"{name}: not a record id: name a new record {NEW_PREFIX}-<anything>.yaml"
            )
    return result


def run(ctx: Context, as_of: dt.date, yes: bool = False) -> int:
    ctx.yes = yes
    repo = ctx.repo
    _refuse_links(repo)
    if not os.path.lexists(repo.workspace_dir):
        ctx.out("nothing to seal: there is no workspace/ (`cocrec open` makes one)")
        return EXIT_OK
    with ctx.writing().writer():
        refuse_tracked(repo)
        problems = unsafe_entries(repo)
        if problems:
            for line in problems:
                ctx.err(f"error: {line}")
            raise RepoError(
                f"nothing was sealed: fix the {len(problems)} problem(s) above in workspace/, "
                "then run `cocrec seal` again"
            )
        manifest = read_manifest(repo)
        work = sort_workspace(repo, manifest)
        written, new_ids = seal(ctx, work, manifest, as_of)
        names = {rid: ctx.store.signed_code_name(rid) for _, rid in new_ids}
        _refuse_links(repo)  # swapped for a link meanwhile: rmtree would refuse it half-way
    _remove_workspace(repo, len(written))
    for source, rid in new_ids:
        ctx.out(f"{rid}: new record (from {source})")
        name = names[rid]
        if name is not None:
            ctx.err(f"cocrec: {codenames.made_line(rid, name)}")
    unchanged = work.untouched + len(work.edited) + len(work.new) - len(written)
    ctx.out(
        f"sealed: {len(written)} record(s) re-encrypted, {unchanged} unchanged; workspace/ removed"
    )
    return EXIT_OK


def _refuse_links(repo: Repo) -> None:
    what = workspace_kind(repo)
    if what is not None:
        raise RepoError(
            f"workspace: {what}: cocrec reads nothing through a link: see where it points "
            "(`ls -l workspace`), remove any record text there, then remove the link; "
            "nothing was sealed"
        )


def _remove_workspace(repo: Repo, written: int) -> None:
    """The plaintext goes once its records are written; if it cannot, say so: the member must remove it."""
    try:
        shutil.rmtree(repo.workspace_dir)
    except OSError as exc:
        raise RepoError(
            f"workspace/: cannot remove it ({exc.strerror}): {written} record(s) were sealed, but their plaintext is still "
            "in workspace/: delete it yourself (`rm -r workspace`)"
        ) from None


def seal(
    ctx: Context, work: WorkspaceFiles, manifest: dict[str, ManifestEntry], as_of: dt.date
) -> tuple[list[str], list[tuple[str, str]]]:
    """Check everything, then write what changed. Returns (written ids, [(file, new id)])."""
    repo, store = ctx.repo, ctx.store
    _refuse_conflicts(ctx, work, manifest)
    others = others_than(store, set(work.edited))
    docs, errors, new_ids = _check_files(ctx, work, manifest, others, as_of)
    problems = [*work.refused, *map(str, errors)]
    if len(problems) == 1:  # one problem, one line
        raise CocrecError(
            f"{problems[0]}; nothing was sealed: fix it in workspace/, then run `cocrec seal` again"
        )
    if problems:
        for line in problems:
            ctx.err(f"error: {line}")
        raise CocrecError(
            f"nothing was sealed: fix the {len(problems)} problem(s) above in workspace/, then run `cocrec seal` again"
        )
    _claim_new_files(repo, manifest, new_ids)
    changed: list[Doc] = []
    loaded = dict(others)
    for rid, doc in docs.items():
        path = repo.record_path(rid)
        ciphertext = path.read_bytes() if path.is_file() else b""
        original = (
            crypto.decrypt(ciphertext, ctx.identities, repo.rel(path)) if ciphertext else None
        )
        if original is not None and store.serialise(doc) == original:
            loaded[rid] = Loaded(
                rid, path, original, doc, Record.from_doc(doc), index.sha256(ciphertext)
            )
        else:
            changed.append(doc)
    written = store.save(changed, loaded) if changed else []
    return written, [(source, rid) for source, rid, _ in new_ids]


def _in_sync(ctx: Context, rid: str, path: Path) -> bool:
    """The record already holds exactly this file's content (sealed by a run that was killed, or the same change)."""
    record = ctx.repo.record_path(rid)
    try:
        source = ctx.repo.rel(path)
        text = yaml_io.loads(read_workspace_file(ctx.repo, path), source)
        doc = dict(as_record(text, source), id=rid)
        plaintext = crypto.decrypt(record.read_bytes(), ctx.identities, ctx.repo.rel(record))
    except (CocrecError, OSError):
        return False
    return ctx.store.serialise(doc) == plaintext


def _same_text(ctx: Context, rid: str, opened: ManifestEntry) -> bool:
    """The record's file changed but its text is the one opened: only re-encrypted (a rekey, a change of members)."""
    record = ctx.repo.record_path(rid)
    try:
        plaintext = crypto.decrypt(record.read_bytes(), ctx.identities, ctx.repo.rel(record))
    except (CocrecError, OSError):
        return False
    return opened.plaintext is not None and index.sha256(plaintext) == opened.plaintext


def _refuse_conflicts(
    ctx: Context, work: WorkspaceFiles, manifest: Mapping[str, ManifestEntry]
) -> None:
    repo = ctx.repo
    opened = {
        rid: manifest[rid].ciphertext or "" for rid in work.edited if not manifest[rid].is_new
    }
    claimed = [
        rid for rid in work.edited if manifest[rid].is_new and repo.record_path(rid).exists()
    ]
    reencrypted = {
        rid for rid in changed_since(repo, opened) if _same_text(ctx, rid, manifest[rid])
    }
    conflicts = [
        rid
        for rid in sorted({*changed_since(repo, opened), *claimed} - reencrypted)
        if not _in_sync(ctx, rid, work.edited[rid])
    ]
    if conflicts:
        raise RepoError(
            f"{', '.join(conflicts)}: changed by someone else since `cocrec open` (another command, a git pull or checkout): "
            "nothing was sealed and your edits stay in workspace/; `cocrec show ID` shows the new version: "
            "move your file aside, run `cocrec open ID` and redo your change there"
        )


def _check_files(
    ctx: Context,
    work: WorkspaceFiles,
    manifest: Mapping[str, ManifestEntry],
    others: Mapping[str, Loaded],
    as_of: dt.date,
) -> tuple[dict[str, Doc], list[ValidationError], list[tuple[str, str, Path]]]:
    """Parse and validate every edited and new file. Returns docs by id, every problem, and (file, id, path) of new ones."""
    repo, store = ctx.repo, ctx.store
    taken = set(repo.record_files()) | set(work.edited)
    by_source: dict[str, tuple[str, Doc]] = {}
    errors: list[ValidationError] = []
    new_ids: list[tuple[str, str, Path]] = []
    files: list[tuple[str, Path]] = [*work.edited.items(), *(("", p) for p in work.new)]
    for opened_id, path in files:
        source = repo.rel(path)
        try:
            doc = as_record(yaml_io.loads(read_workspace_file(repo, path), source), source)
            if not opened_id:
                rid = _new_id(doc, taken, as_of)
            else:
                rid = _claimed_id(doc, opened_id) if manifest[opened_id].is_new else opened_id
        except ValidationError as exc:
            errors.append(exc)
            continue
        if not opened_id:
            new_ids.append((source, rid, path))
        errors += validate.record_errors(doc, source, store.policy, store.members, expected_id=rid)
        errors += validate.future_errors(doc, source, as_of)
        by_source[source] = (rid, doc)  # by the file's id: a file may have lost its `id:` line
    if not errors:
        errors = collection_errors(
            store, {source: doc for source, (_, doc) in by_source.items()}, others
        )
    return {rid: doc for rid, doc in by_source.values()}, errors, new_ids


def _claimed_id(doc: Doc, rid: str) -> str:
    """A new record a killed run already gave an id (and renamed): it keeps that id."""
    doc["id"] = rid
    doc.setdefault("schema_version", 1)
    return rid


def _new_id(doc: Doc, taken: set[str], as_of: dt.date) -> str:
    """Give a new record its id (in place), as `cocrec new --from` does."""
    doc["id"] = intake.assign_id(doc, taken, as_of)
    doc.setdefault("schema_version", 1)
    taken.add(doc["id"])
    return str(doc["id"])


def _claim_new_files(
    repo: Repo, manifest: dict[str, ManifestEntry], new_ids: list[tuple[str, str, Path]]
) -> None:
    """Before anything is encrypted: claim each new id in the manifest, then rename its file `<id>.yaml` (atomic)."""
    if not new_ids:
        return
    manifest.update({rid: ManifestEntry() for _, rid, _ in new_ids})
    write_manifest(repo, manifest)
    for _, rid, path in new_ids:
        os.replace(path, workspace_file(repo, rid))
