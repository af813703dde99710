"""What the pre-commit hook checks: the commit's own files, with `cocrec check`'s code and words.

The files a commit would hold under trust.yaml, members.yaml, cocrec.yaml and records/ are exported
from git's index into a private directory (they are ciphertext and cleartext metadata, never
plaintext records) and checked there by cocrec.checks, with this clone's trust pins, dates aside.
Paths are checked from git's index directly: what may never be committed at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import checks, git, index, trust, validate
from .context import Context
from .errors import CocrecError, DecryptError
from .fsutil import private_dir
from .problems import Problem
from .repo import ID_PATTERN, INDEX_NAME, MEMBERS_FILE, POLICY_FILE, RECORD_SUFFIX, Repo
from .store import Store

RECORDS = "records/"
INDEX_PATH = RECORDS + INDEX_NAME
PROTECTED = (POLICY_FILE, MEMBERS_FILE, trust.TRUST_FILE)


def record_id_of(path: str) -> str | None:
    """The id of a path `records/<id>.yaml.age`, else None."""
    name = path[len(RECORDS) :] if path.startswith(RECORDS) else ""
    stem = name[: -len(RECORD_SUFFIX)] if name.endswith(RECORD_SUFFIX) else ""
    return stem if ID_PATTERN.match(stem) else None


def path_problems(changed: list[str], staged: Mapping[str, git.GitFile]) -> list[str]:
    """What the commit adds or changes that may never be committed (a deletion is always fine)."""
    problems = []
    for path in changed:
        if path not in staged:
            continue
        if path.startswith(RECORDS) and staged[path].mode == "120000":
            problems.append(
                f"{path}: records may not be symlinks: `git rm --cached {path}` and add the file itself"
            )
        elif path.startswith(RECORDS) and path != INDEX_PATH and record_id_of(path) is None:
            what = "plaintext? " if path.endswith((".yaml", ".yml")) else ""
            problems.append(
                f"{path}: {what}only record files (<id>.yaml.age) and index.yaml belong in records/: `git rm --cached {path}`"
            )
        elif path in PROTECTED and staged[path].mode == "120000":
            problems.append(
                f"{path}: may not be a symlink: `git rm --cached {path}` and add the file itself"
            )
    return problems


def staged_problems(ctx: Context) -> tuple[list[str], str | None]:
    """Every problem of what is staged, and a note when the checks that need a key were skipped."""
    root = ctx.repo.root
    changed = git.staged_changes(root)
    staged = git.staged_files(root)
    problems = path_problems(changed, staged) + _tree(
        ctx, [p for p in changed if p in staged and not p.startswith(RECORDS)]
    )
    if not any(p.startswith(RECORDS) or p in PROTECTED for p in changed):
        return problems, None  # an unrelated commit: its own files only, so it stays fast
    wanted = [
        p
        for p, f in staged.items()
        if (p.startswith(RECORDS) or p in PROTECTED) and f.mode != "120000"
    ]
    with private_dir("cocrec-commit-") as snapshot:
        git.export_index(root, wanted, snapshot)
        if not (snapshot / POLICY_FILE).is_file():
            return [*problems, f"{POLICY_FILE}: not in the commit: `git add {POLICY_FILE}`"], None
        more, note = _snapshot_problems(ctx, Repo(snapshot))
    return problems + more, note


def _tree(ctx: Context, paths: list[str]) -> list[str]:
    """The commit's other files: inside the layout (or `extra_files`), no plaintext record, no one named
    (that last with a key: the records are read to know whom).

    It fails closed: what may be committed is decided by the policy a current member signed (an edited
    cocrec.yaml could list anything in `extra_files` or `invented_files`), so while the repository's
    trust is broken, or the policy or a record is unsigned, the commit is refused. The names searched for
    are those of every record this member's key opens, signed or not: whether a file names someone does
    not depend on who wrote the record that says so."""
    if not paths:
        return []
    root = ctx.repo.root
    try:
        policy_data = git.show_file(root, ":", POLICY_FILE)
        policy = validate.load_policy(policy_data, POLICY_FILE) if policy_data else ctx.store.policy
        problems = _trust_problems(ctx.store, policy_data)
        docs = _readable_docs(ctx)
    except CocrecError as exc:
        return [str(exc)]
    found = checks.tree_problems(
        paths,
        lambda path: git.show_file(root, ":", path),
        policy.extra_files,
        docs,
        policy.invented_files,
    )
    return problems + [str(p) for p in found]


def _trust_problems(store: Store, policy_data: bytes | None) -> list[str]:
    """Why the repository as it is cannot be believed: its flaws, the staged policy's seal, unsigned records."""
    v = store.verification
    problems = [str(flaw) for flaw in v.flaws]
    if v.members is None:
        return problems  # no trust root yet and nothing to sign (a new repository): nothing more to ask
    if policy_data is not None and not problems:
        why = trust.verify_policy(
            store.trust_file.policy, v.members, index.sha256(policy_data), store.verifier
        )
        if why is not None:
            problems.append(f"{POLICY_FILE}: {why}")
    for rid, path in sorted(store.repo.record_files().items()):
        why = v.why_not(rid, index.sha256(path.read_bytes()))
        if why is not None:
            problems.append(f"{store.repo.record_source(rid)}: {why}")
    return problems


def _readable_docs(ctx: Context) -> dict[str, list[Any]] | None:
    """Every record this member's key opens (None on a machine with no key, or a key that opens none)."""
    try:
        ctx.identities  # noqa: B018 - loads them: an unusable identity is refused here
        loaded, _ = ctx.store.open_files()
    except DecryptError:
        return None
    return {rid: [item.doc] for rid, item in loaded.items()}


def _snapshot_problems(ctx: Context, snapshot: Repo) -> tuple[list[str], str | None]:
    store = Store(snapshot, lambda: ctx.identities, lambda _: None)
    store.env = ctx.env
    store.__dict__["clone"] = (
        ctx.store.clone
    )  # this clone's pins and signature cache, not the snapshot's
    store.history = ctx.repo
    try:
        problems = checks.keyless(store, None)
        problems += _rollbacks(store, ctx.repo)
    except CocrecError as exc:
        return [str(exc)], None
    if any(not p.warning for p in problems):
        return _lines(problems), None
    try:
        ctx.identities  # noqa: B018 - loads them: an unusable identity is refused here
    except DecryptError as exc:
        return [], f"no key available ({exc}): records were not decrypted, so not validated"
    return _lines(_keyed(store)), None


def _keyed(store: Store) -> list[Problem]:
    files = store.repo.record_files()
    loaded, opened = store.open_files(files=files)
    idx = store.read_index()
    authentic = {
        rid: item for rid, item in loaded.items() if store.why_not(rid, item.file_sha) is None
    }
    refs = {rid: validate.refs(item.doc) for rid, item in authentic.items()}
    return opened + checks.with_keys(store, authentic, dt.date.max, idx, files, refs)


def _rollbacks(store: Store, repo: Repo) -> list[Problem]:
    """Against HEAD: a commit may not put back an older statement than the one it replaces."""
    now = trust.seen_in(store.trust_file, store.read_index().entries)
    before = checks._seen_at(store, "HEAD")
    if before is None:
        return []
    return [
        Problem(f.source, f.message, 4)
        for f in trust.rollbacks(now, before, store.repo.record_source, "HEAD")
    ]


def _lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if not p.warning]


def relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root))
