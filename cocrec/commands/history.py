"""cocrec history audit / purge: earlier git versions of expunged records (SPEC section 8).

An expunge removes personal data from the current file, but every earlier
version stays in git, readable by everyone who was a member when it was
written. `audit` decrypts every version of every record with an expunged
step, on every ref, and reports each (commit, record) that still holds what
the current version lost: the fields of its expunged steps, or any value
those fields ever held (in any version), wherever it occurs. It also reads
every commit message for those values. A version the acting member cannot
decrypt (written before they joined, say) is reported as unauditable: it
proves nothing either way.

`purge` rewrites history with git-filter-repo: every earlier version of
those records becomes the current (expunged) ciphertext, byte for byte, and
commit messages holding removed values are redacted; then reflogs are
expired and unreachable objects pruned, and the audit runs again.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Optional, Sequence

from .. import crypto, git, output, redact, yaml_io
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError, RepoError
from ..fsutil import private_dir, write_private
from ..store import Loaded

Problem = Literal["holds removed data", "cannot be decrypted", "commit message holds removed data"]
INSTALL_FILTER_REPO = "git-filter-repo is not installed: `pip install git-filter-repo` or `apt-get install git-filter-repo`, then run again; nothing was changed"


@dataclass(frozen=True)
class Finding:
    commit: str
    record: str
    problem: Problem
    fields: tuple[str, ...] = ()


@dataclass
class Audit:
    """What the history holds: the findings, and what a purge needs to rewrite them."""

    records: int = 0
    versions: int = 0
    findings: list[Finding] = field(default_factory=list)
    replacements: dict[str, str] = field(default_factory=dict)  # old blob -> current blob, per expunged record
    messages: dict[bytes, bytes] = field(default_factory=dict)  # raw commit message -> redacted

    @property
    def clean(self) -> bool:
        return not self.findings


# -- the audit ----------------------------------------------------------------------------------


def audit(ctx: Context) -> Audit:
    repo = ctx.repo
    expunged = {rid: item for rid, item in ctx.store.load().items() if item.record.expunged}
    result = Audit(records=len(expunged))
    if not expunged:
        return result
    paths = {repo.rel(item.path): rid for rid, item in expunged.items()}
    versions = git.path_versions(repo.root, paths)
    docs = _open_versions(git.read_blobs(repo.root, {v.blob for v in versions}), ctx.identities)
    removed_by_record: dict[str, redact.Pii] = {}
    for rid, item in sorted(expunged.items()):
        mine = [v for v in versions if paths[v.path] == rid]
        removed_by_record[rid] = _removed(item, [docs[v.blob] for v in mine])
        result.findings += _version_findings(rid, item, mine, docs, removed_by_record[rid])
        current = git.blob_at(repo.root, "HEAD", repo.rel(item.path))
        result.replacements.update({v.blob: current for v in mine if current and v.blob != current})
    result.versions = len({(v.path, v.blob) for v in versions})
    _message_findings(result, git.commit_messages(repo.root), removed_by_record)
    return result


def _open_versions(blobs: Mapping[str, bytes], identities: crypto.Identities) -> dict[str, Optional[dict[str, Any]]]:
    """Each blob's document, or None when this member cannot decrypt or read it."""
    docs: dict[str, Optional[dict[str, Any]]] = {}
    for sha, data in blobs.items():
        try:
            doc = yaml_io.loads(crypto.decrypt(data, identities, f"blob {sha[:12]}"), f"blob {sha[:12]}")
        except CocrecError:
            doc = None
        docs[sha] = doc if isinstance(doc, dict) else None
    return docs


def _removed(item: Loaded, versions: Sequence[Optional[dict[str, Any]]]) -> redact.Pii:
    """Every value the expunged steps' fields held in any version, less what the record legitimately still holds."""
    union = redact.Pii()
    for doc in (d for d in versions if d is not None):
        for step in item.record.expunged:
            union = union | redact.pii_values(doc, step)
    return union.without(redact.held_identifiers(item.doc))


def _version_findings(rid: str, item: Loaded, versions: Sequence[git.Version], docs: Mapping[str, Optional[dict[str, Any]]], removed: redact.Pii) -> list[Finding]:
    findings = []
    for version in versions:
        doc = docs[version.blob]
        if doc is None:
            findings.append(Finding(version.commit, rid, "cannot be decrypted"))
            continue
        paths = redact.version_leftovers(doc, list(item.record.expunged), removed)
        if paths:
            findings.append(Finding(version.commit, rid, "holds removed data", tuple(paths)))
    return findings


def _message_findings(result: Audit, messages: Mapping[str, bytes], removed: Mapping[str, redact.Pii]) -> None:
    everything = redact.Pii()
    for pii in removed.values():
        everything = everything | pii
    for sha, raw in sorted(messages.items()):
        text = raw.decode("utf-8", errors="replace")
        named = [rid for rid, pii in sorted(removed.items()) if redact.occurs_in_text(text, pii)]
        if named:
            result.findings += [Finding(sha, rid, "commit message holds removed data") for rid in named]
            result.messages[raw] = redact.redact_text(text, everything).encode("utf-8")


def run_audit(ctx: Context, fmt: str) -> int:
    result = audit(ctx)
    _print_audit(ctx, result, fmt)
    return EXIT_OK if result.clean else EXIT_PROBLEMS


def _print_audit(ctx: Context, result: Audit, fmt: str) -> None:
    rows = [(f.commit[:12], f.record, f.problem, list(f.fields)) for f in result.findings]
    if fmt == "json":
        findings = [{"commit": f.commit, "record": f.record, "problem": f.problem, "fields": list(f.fields)} for f in result.findings]
        ctx.out(output.to_json({"clean": result.clean, "records": result.records, "versions": result.versions, "findings": findings}))
        return
    if rows:
        ctx.out(output.table(["commit", "record", "problem", "fields"], rows))
    ctx.out(_summary(result))


def _summary(result: Audit) -> str:
    checked = f"{result.versions} version(s) of {result.records} expunged record(s) audited"
    if result.clean:
        return f"{checked}: no earlier version holds removed data."
    undecryptable = sum(1 for f in result.findings if f.problem == "cannot be decrypted")
    holding = len(result.findings) - undecryptable
    advice = "; a longer-serving member can audit what you cannot decrypt" if undecryptable else ""
    return f"{checked}: {holding} finding(s) hold removed data, {undecryptable} cannot be decrypted{advice}. Run `cocrec history purge`."


# -- the purge ----------------------------------------------------------------------------------

# git-filter-repo runs these in its own Python; they only look up what cocrec computed.
_LOAD = """t = globals().get("_cocrec_purge")
if t is None:
    import base64, json
    with open({path!r}) as handle:
        raw = json.load(handle)
    t = globals()["_cocrec_purge"] = {{
        "blobs": {{old.encode(): base64.b64decode(raw["data"][new]) for old, new in raw["blobs"].items()}},
        "messages": {{base64.b64decode(old): base64.b64decode(new) for old, new in raw["messages"].items()}},
    }}
"""
_BLOB = """new = t["blobs"].get(blob.original_id)
if new is not None:
    blob.data = new
"""
_MESSAGE = """return t["messages"].get(message, message)
"""

MEMBER_STEPS = """Every member must now:
  1. One member publishes the new history: {remote}`git push --force --all origin && git push --force --tags origin`.
  2. Every other member deletes their clone and clones again: a pull would bring the old versions back. Delete other copies too (backups, forks).
  3. Ask the git host to drop its cached refs and pull/merge-request refs (refs/pull/*) and to run garbage collection:
     until it does, the old versions stay readable there (on GitHub: contact support)."""


def run_purge(ctx: Context, yes: bool, confirm: Callable[[str], bool]) -> int:
    root = ctx.repo.root
    if git.is_dirty(root):
        raise RepoError(f"{root}: the working tree has uncommitted changes: commit or remove them first (purge rewrites history); nothing was changed")
    if not git.filter_repo_installed():
        raise RepoError(INSTALL_FILTER_REPO)
    with ctx.repo.lock():
        before = audit(ctx)
        if not before.replacements and not before.messages:
            ctx.out(f"Nothing to purge: {_summary(before)}")
            return EXIT_OK if before.clean else EXIT_PROBLEMS
        if not yes and not confirm(_question(before)):
            ctx.err("cocrec: purge cancelled; nothing was changed")
            return EXIT_PROBLEMS
        had_origin = "origin" in git.remote_names(root)
        _rewrite(root, before)
        git.drop_unreachable(root)
        after = audit(ctx)
    _print_purged(ctx, before, after, had_origin)
    return EXIT_OK if after.clean else EXIT_PROBLEMS


def _question(result: Audit) -> str:
    messages = f", and {len(result.messages)} commit message(s) are redacted" if result.messages else ""
    return (
        f"Rewrite git history: {len(result.replacements)} earlier version(s) of {result.records} expunged record(s) become their "
        f"current, expunged form on every branch and tag{messages}; reflogs and stashes are expired and old objects deleted, "
        "and every member must re-clone. Continue?"
    )


def _rewrite(root: Path, result: Audit) -> None:
    """git filter-repo with callbacks reading a private (mode 0600) file: it holds the messages being redacted."""
    current = {new for new in result.replacements.values()}
    data = git.read_blobs(root, current)
    table = {
        "blobs": result.replacements,
        "data": {sha: base64.b64encode(data[sha]).decode("ascii") for sha in current},
        "messages": {base64.b64encode(old).decode("ascii"): base64.b64encode(new).decode("ascii") for old, new in result.messages.items()},
    }
    with private_dir("cocrec-purge-") as tmp:
        path = tmp / "table.json"
        write_private(path, json.dumps(table).encode("utf-8"))
        prelude = _LOAD.format(path=str(path))
        args = ["--blob-callback", prelude + _BLOB, "--message-callback", prelude + _MESSAGE]
        git.filter_repo(root, [*args, "--prune-empty", "never", "--replace-refs", "delete-no-add"])


def _print_purged(ctx: Context, before: Audit, after: Audit, had_origin: bool) -> None:
    ctx.out(
        f"History rewritten: {len(before.replacements)} earlier version(s) of {before.records} expunged record(s) replaced by their "
        f"expunged form, {len(before.messages)} commit message(s) redacted; reflogs expired, unreachable objects pruned."
    )
    ctx.out(f"Audit after the purge: {_summary(after)}")
    # The URL is not printed: it may carry a token.
    remote = "re-add the remote (git-filter-repo removed it, so that nothing is pushed by accident) with `git remote add origin URL`, then " if had_origin else ""
    ctx.out(MEMBER_STEPS.format(remote=remote))
