"""cocrec hook pre-commit / commit-msg / merge-index: what git runs (hooks/, .pre-commit-hooks.yaml, the merge driver).

pre-commit reads what is STAGED (git's index, honouring GIT_INDEX_FILE), not
the working tree, and refuses:
- anything staged under workspace/ (plaintext from `cocrec open`);
- any file under records/ other than `<id>.yaml.age` and `index.yaml`, and symlinks there;
- a staged record that is not an age file;
- an index that does not list exactly the staged records with their hashes,
  or whose recipients are not the fingerprint of the staged members.yaml;
- with a key: a record that does not decrypt or validate (against the staged
  cocrec.yaml and members.yaml, alone and across records), and an index whose
  entries (status, dates, holds) are not what `cocrec index` would write.
With no key available, it checks all it can and says what was skipped. A
commit that touches neither records/ nor members.yaml nor cocrec.yaml is
checked for paths only, so unrelated commits stay fast.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from .. import bulk, crypto, editor, git, index, message_check, validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError, DecryptError
from ..model import Members, Record
from ..policy import Policy
from ..repo import ID_PATTERN, INDEX_NAME, MEMBERS_FILE, POLICY_FILE, RECORD_SUFFIX

RECORDS = "records/"
INDEX_PATH = RECORDS + INDEX_NAME
INDEX_ADVICE = "run `cocrec index`, then `git add records/index.yaml`"
UNCHECKED = "COCREC_ALLOW_UNCHECKED_COMMIT"
REWORD = "reword it with record ids only"
SCISSORS = "# ------------------------ >8 ------------------------"


def record_id_of(path: str) -> Optional[str]:
    """The id of a path `records/<id>.yaml.age`, else None."""
    name = path[len(RECORDS) :] if path.startswith(RECORDS) else ""
    stem = name[: -len(RECORD_SUFFIX)] if name.endswith(RECORD_SUFFIX) else ""
    return stem if ID_PATTERN.match(stem) else None


# -- pre-commit: paths ---------------------------------------------------------------


def path_problems(changed: list[str], staged: Mapping[str, git.GitFile]) -> list[str]:
    """What the commit adds or changes that may never be committed (a deletion is always fine)."""
    problems = []
    for path in changed:
        if path not in staged:
            continue
        if path == "workspace" or path.startswith("workspace/"):
            problems.append(f"{path}: plaintext from `cocrec open` must never be committed: `git rm --cached {path}` and add workspace/ to .gitignore")
        elif path.startswith(RECORDS) and staged[path].mode == "120000":
            problems.append(f"{path}: records may not be symlinks: `git rm --cached {path}` and add the file itself")
        elif path.startswith(RECORDS) and path != INDEX_PATH and record_id_of(path) is None:
            what = "plaintext? " if path.endswith((".yaml", ".yml")) else ""
            problems.append(f"{path}: {what}only record files (<id>.yaml.age) and index.yaml belong in records/: `git rm --cached {path}`")
    return problems


# -- pre-commit: content -------------------------------------------------------------


@dataclass
class Staged:
    """The commit's records (ciphertext by id), index, policy and members, as staged."""

    records: dict[str, bytes] = field(default_factory=dict)
    index: Optional[bytes] = None
    policy: bytes = b""
    members: bytes = b""


def read_staged(root: Path, staged: Mapping[str, git.GitFile]) -> Staged:
    wanted = {path: f.sha for path, f in staged.items() if record_id_of(path) or path in (INDEX_PATH, POLICY_FILE, MEMBERS_FILE)}
    blobs = git.read_blobs(root, wanted.values())
    content = {path: blobs[sha] for path, sha in wanted.items()}
    records = {rid: data for path, data in sorted(content.items()) if (rid := record_id_of(path))}
    return Staged(records, content.get(INDEX_PATH), content.get(POLICY_FILE, b""), content.get(MEMBERS_FILE, b""))


def age_problems(staged: Staged, changed: set[str]) -> list[str]:
    problems = []
    for rid in sorted(changed & set(staged.records)):
        try:
            crypto.header_stanzas(staged.records[rid], f"{RECORDS}{rid}{RECORD_SUFFIX}")
        except CocrecError as exc:
            problems.append(str(exc))
    return problems


def index_problems(idx: index.Index, records: Mapping[str, bytes], fingerprint: str) -> list[str]:
    """Keyless: the staged index lists exactly the staged records, with their hashes and the current recipients."""
    problems = []
    for rid in sorted(set(idx.entries) - set(records)):
        problems.append(f"{INDEX_PATH}: lists {rid}, which the commit does not hold: {INDEX_ADVICE}")
    for rid, data in records.items():
        entry = idx.entries.get(rid)
        if entry is None:
            problems.append(f"{RECORDS}{rid}{RECORD_SUFFIX}: not in {INDEX_PATH}: {INDEX_ADVICE}")
        elif entry.sha256 != index.sha256(data):
            problems.append(f"{RECORDS}{rid}{RECORD_SUFFIX}: its hash in {INDEX_PATH} is of another version: {INDEX_ADVICE}")
    if idx.recipients != fingerprint:
        problems.append(f"{INDEX_PATH}: recipients is not the fingerprint of the staged members.yaml: run `cocrec rekey`, then `git add -A records`")
    return problems


def keyed_problems(staged: Staged, idx: index.Index, rules: tuple[Policy, Members], identities: crypto.Identities, check: Optional[set[str]]) -> list[str]:
    """With a key: every staged record decrypts, those in `check` (None: all) validate, and the index
    entries are what `cocrec index` would write. Records the commit leaves alone were checked when
    they were committed; schema validation is most of the cost (about 2 ms a record)."""
    policy, members = rules
    docs: dict[str, Any] = {}
    problems: list[str] = []
    for rid, data in staged.records.items():
        source = f"{RECORDS}{rid}{RECORD_SUFFIX}"
        try:
            doc = yaml_io.loads(crypto.decrypt(data, identities, source), source)
        except CocrecError as exc:
            problems.append(str(exc))
            continue
        errors = validate.record_errors(doc, source, policy, members, expected_id=rid) if check is None or rid in check else []
        problems += [str(e) for e in errors]
        docs[source] = doc
    problems += [str(e) for e in validate.collection_errors(docs)]
    if problems:
        return problems
    try:
        expected = expected_index(idx, {str(d["id"]): d for d in docs.values()}, staged.records, policy, crypto.fingerprint(members.keys))
    except (KeyError, TypeError, ValueError, AttributeError):  # a record committed invalid before the hooks were installed
        return [f"{INDEX_PATH}: cannot be verified: a staged record is not valid: run `cocrec check`"]
    if staged.index is not None and expected != staged.index.decode("utf-8", errors="replace"):
        problems.append(f"{INDEX_PATH}: its entries (status, due dates, holds) do not match the staged records: {INDEX_ADVICE}")
    return problems


def expected_index(idx: index.Index, docs: Mapping[str, Any], records: Mapping[str, bytes], policy: Policy, fingerprint: str) -> str:
    """The index `cocrec index` would write for these records (recipients as the staged index knows them)."""
    return index.render(fingerprint, index.entries_of({rid: (Record.from_doc(doc), index.sha256(records[rid])) for rid, doc in docs.items()}, policy, fingerprint, idx))


def content_problems(ctx: Context, staged: Staged, changed: set[str], rules_changed: bool) -> tuple[list[str], Optional[str]]:
    """Every problem of the staged content, and a note when checks needing a key were skipped."""
    problems = age_problems(staged, changed)
    try:
        policy = validate.load_policy(staged.policy, POLICY_FILE)
        members = validate.load_members(staged.members, MEMBERS_FILE, key_check=crypto.parse_recipient)
        idx = index.Index.parse(staged.index, INDEX_PATH) if staged.index is not None else None
    except CocrecError as exc:
        return [*problems, str(exc)], None
    if idx is None:
        return [*problems, f"{INDEX_PATH}: not in the commit: {INDEX_ADVICE}"], None
    problems += index_problems(idx, staged.records, crypto.fingerprint(members.keys))
    try:
        identities = ctx.identities
    except DecryptError as exc:
        return problems, f"no key available ({exc}): records were not decrypted, so not validated"
    if problems:
        return problems, None
    return keyed_problems(staged, idx, (policy, members), identities, None if rules_changed else changed), None


def run_pre_commit(ctx: Context) -> int:
    root = ctx.repo.root
    ctx.passphrase = editor.terminal_passphrase
    changed = git.staged_changes(root)
    staged = git.staged_files(root)
    problems = path_problems(changed, staged)
    note = None
    if any(p.startswith(RECORDS) or p in (POLICY_FILE, MEMBERS_FILE) for p in changed):
        records = {rid for p in changed if (rid := record_id_of(p))}
        more, note = content_problems(ctx, read_staged(root, staged), records, bool({POLICY_FILE, MEMBERS_FILE} & set(changed)))
        problems += more
    for line in problems:
        ctx.err(f"cocrec pre-commit: {line}")
    if note:
        ctx.err(f"cocrec pre-commit: {note}")
    if problems:
        ctx.err(f"cocrec pre-commit: commit refused ({len(problems)} problem(s)); nothing was committed")
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
    for rid, item in zip(files, bulk.open_all([(path, repo.rel(path)) for path in files.values()], ctx.identities)):
        if item.error is None:
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
    if message_check.is_own(message):
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
    hits = message_check.check(message, docs)
    if unreadable:
        ctx.err(f"cocrec commit-msg: {unreadable} record version(s) could not be decrypted or read and were not searched: run `cocrec check`")
    for rid, what in hits.items():
        held = " and ".join(what)
        ctx.err(f"cocrec commit-msg: the message holds {held} from record {rid}: {REWORD}")
    if hits:
        ctx.err(f"cocrec commit-msg: commit refused ({kept})")
        return EXIT_PROBLEMS
    return EXIT_OK


def identity_refusal(ctx: Context) -> str | None:
    """Why the message cannot be checked (the commit is then refused), "" when this machine has no
    identity and may commit unchecked, None when the identity works."""
    try:
        ctx.identities
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


def merge_entries(base: index.Index, ours: index.Index, theirs: index.Index) -> tuple[dict[str, index.Entry], list[str]]:
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
    indexes = [index.Index.parse(Path(p).read_bytes(), INDEX_PATH) if Path(p).stat().st_size else index.Index.empty() for p in (base, ours, theirs)]
    merged, conflicts = merge_entries(*indexes)
    b, o, t = (i.recipients for i in indexes)
    recipients = o if o == t or t == b else t if o == b else ""
    Path(ours).write_text(index.render(recipients or o, merged), encoding="utf-8")
    if conflicts or not recipients:
        what = f"records {', '.join(conflicts)} changed on both sides" if conflicts else "the members changed on both sides"
        ctx.err(f"cocrec: {INDEX_PATH}: {what}: resolve the records, then run `cocrec index` and `git add {INDEX_PATH}`")
        return EXIT_PROBLEMS
    return EXIT_OK
