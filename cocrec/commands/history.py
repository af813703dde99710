"""cocrec history audit / purge: what git still holds of removed data (SPEC section 8).

An expunge removes personal data from the current file, but git keeps every
earlier version, and more: tags and their messages, notes, the stash (whose
untracked-files commit holds whatever sat in workspace/), records deleted
with `git rm`, plaintext files committed anywhere, commits no ref reaches
any more, reflogs. "None left" covers all of it, so `audit` reads every
object in the repository (`git cat-file --batch-all-objects`), reachable or
not, and git's own text files:

- removed data: for each expunged record, every value its expunged steps'
  fields held in any version; for each record that no longer exists (on HEAD,
  any branch or remote branch), every identifying value any version held;
- record versions (age files, by path, or by the `id` inside when no path
  ties them to a record): an earlier version of an expunged record still
  holding what it lost, a version of a deleted record still holding personal
  data, or a version the acting member cannot decrypt (reported: it proves
  nothing either way);
- plaintext: every other blob (a draft in the root, a note, a stashed
  workspace file), every commit and tag message, every ref name and path,
  the reflogs and .git's message files, searched for removed data with
  cocrec.redact's matcher (the one expunge uses).

Each finding says where: `history` (a branch, tag or remote), `stash`,
`notes`, `reflog`, `unreachable`, a `tag` or `ref`, or a `git file`; paths
and names are shown with removed data redacted. An age file no commit holds
that this member cannot decrypt is listed under record `?`: it may be any
record's version (a purge prunes it).

`purge` rewrites history with git-filter-repo, through its callbacks: each
earlier version of an expunged record becomes the current ciphertext, byte
for byte; versions of deleted records, and plaintext records or files that
are not text, are removed from every tree; other plaintext, commit and tag
messages, ref names and paths are redacted. Notes are filed again under the
rewritten commits; the stash is dropped (after a warning the member
confirms); reflogs are expired, unreachable objects pruned, .git's message
files removed; then the audit runs again, and purge says what no command in
this clone can do: replace every ref at the host, ask it to purge pull
request refs and caches, re-clone everywhere.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .. import crypto, git, layout, matcher, output, redact, yaml_io
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, CocrecError, RepoError
from ..fsutil import private_dir, write_private
from ..repo import ID_PATTERN, RECORD_SUFFIX
from ..store import Loaded
from ..vocabulary import STEPS, StepName

Problem = Literal[
    "holds removed data",
    "deleted record holds personal data",
    "cannot be decrypted",
    "plaintext holds removed data",
    "commit message holds removed data",
    "tag message holds removed data",
    "ref name holds removed data",
    "path holds removed data",
    "git file holds removed data",
]
INSTALL_FILTER_REPO = (
    "git-filter-repo is not installed: `pip install git-filter-repo` or "
    "`apt-get install git-filter-repo`, then run again; nothing was changed"
)
AGE_HEADERS = (b"-----BEGIN AGE ENCRYPTED FILE-----", b"age-encryption.org/")
RECORDS_PREFIX = "records/"
PLACES = ("history", "stash", "notes", "reflog", "unreachable")
NAME_MARKER = "redacted"  # in ref names and paths, where `[redacted]` is not allowed or awkward
Doc = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    where: str  # history, stash, notes, reflog, unreachable, tag, ref, git file
    record: str
    problem: Problem
    commit: str | None = None
    path: str | None = None  # the file in the commit, the tag or ref name, the file in .git
    object: str | None = None  # the blob or tag holding it
    fields: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "record": self.record, "problem": self.problem,
                "fields": list(self.fields),
                "where": self.where, "path": self.path, "object": self.object}  # fmt: skip


@dataclass
class Audit:
    """What the repository holds, and what a purge must change for none of it to be left."""

    records: int = 0  # expunged and deleted records
    versions: int = 0
    findings: list[Finding] = field(default_factory=list)
    replacements: dict[str, str] = field(default_factory=dict)  # old record blob -> current blob
    redactions: dict[str, bytes] = field(
        default_factory=dict
    )  # plaintext blob -> its redacted text
    removals: set[str] = field(default_factory=set)  # blobs taken out of every tree
    messages: dict[bytes, bytes] = field(
        default_factory=dict
    )  # raw commit or tag message -> redacted
    refnames: dict[bytes, bytes] = field(default_factory=dict)
    paths: dict[bytes, bytes] = field(default_factory=dict)
    git_files: list[str] = field(default_factory=list)
    removed: redact.Pii = field(default_factory=redact.Pii)

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def rewrites(self) -> bool:
        return bool(
            self.replacements
            or self.redactions
            or self.removals
            or self.messages
            or self.refnames
            or self.paths
        )

    @property
    def purgeable(self) -> bool:
        return any(
            f.problem != "cannot be decrypted" or f.where == "unreachable" for f in self.findings
        )


@dataclass
class _Objects:
    """Everything read from git, once."""

    kinds: dict[str, str]
    versions: list[git.Version]
    places: dict[str, str]
    refs: dict[str, str]
    locations: dict[str, list[git.Version]] = field(
        default_factory=dict
    )  # blob -> where commits wrote it

    def __post_init__(self) -> None:
        for version in self.versions:
            self.locations.setdefault(version.blob, []).append(version)

    def place(self, commit: str) -> str:
        return self.places.get(commit, "unreachable")


# -- the audit ----------------------------------------------------------------------------------


def audit(ctx: Context) -> Audit:
    return _Auditor(ctx).run()


class _Auditor:
    """One audit: reads every object once, then asks of each what it holds."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.repo.root
        self.objects = _read_objects(self.root)
        current = ctx.store.load()
        self.expunged = {rid: item for rid, item in current.items() if item.record.expunged}
        self.live = _live_ids(self.root, current, self.objects.refs)
        self.docs: dict[str, Doc] = {}
        self.undecryptable: set[str] = set()
        self.removed: dict[str, redact.Pii] = {}
        self.result = Audit()

    def run(self) -> Audit:
        self._open_records()
        by_id = self._versions_by_id()
        deleted = sorted(rid for rid in by_id if rid not in self.live)
        removed = {
            rid: _removed(item, self._docs_of(by_id.get(rid, ())))
            for rid, item in self.expunged.items()
        }
        removed |= {rid: _all_pii(self._docs_of(by_id[rid])) for rid in deleted}
        result = self.result
        result.records = len(self.expunged) + len([rid for rid in deleted if rid != "?"])
        result.versions = sum(len(by_id.get(rid, ())) for rid in (*self.expunged, *deleted))
        result.removed = _union(removed.values())
        for rid in sorted(self.expunged):
            self._expunged(rid, by_id.get(rid, []), removed[rid])
        for rid in deleted:
            self._deleted(rid, by_id[rid], removed[rid])
        self.removed = {rid: pii for rid, pii in sorted(removed.items()) if pii}
        if result.removed:
            self._plaintext()
            self._messages()
            self._names()
            self._git_files()
        return result

    # -- records --

    def _open_records(self) -> None:
        """Decrypt every age blob that may be a version of an expunged or deleted record: all but
        those whose every location is a record that exists and keeps its data."""
        candidates = []
        for sha in self._blobs():
            ids = {_record_id(v.path) for v in self.objects.locations.get(sha, ())}
            kept = (
                ids
                and None not in ids
                and all(rid in self.live and rid not in self.expunged for rid in ids)
            )
            if not kept and not self._own(sha):  # the index's versions are plaintext, and large
                candidates.append(sha)
        for sha, data in _read(self.root, candidates):
            if not _is_age(data):
                continue
            try:
                doc = yaml_io.loads(
                    crypto.decrypt(data, self.ctx.identities, f"blob {sha[:12]}"),
                    f"blob {sha[:12]}",
                )
            except CocrecError:
                self.undecryptable.add(sha)
                continue
            if isinstance(doc, dict):
                self.docs[sha] = doc

    def _blobs(self) -> list[str]:
        return sorted(sha for sha, kind in self.objects.kinds.items() if kind == "blob")

    def _versions_by_id(self) -> dict[str, list[str]]:
        """The blobs of each record id: by the path commits wrote them at, else by the id they hold.
        An undecryptable blob counts only where a record path ties it to a record, or nothing
        holds it."""
        by_id: dict[str, list[str]] = {}
        for sha in sorted({*self.docs, *self.undecryptable}):
            located = self.objects.locations.get(sha, ())
            ids = {rid for v in located if (rid := _record_id(v.path))}
            held = self.docs.get(sha, {}).get("id")
            if not ids and isinstance(held, str) and ID_PATTERN.match(held):
                ids = {held}
            if not ids and sha in self.undecryptable and not located:
                ids = {"?"}  # an unreachable age file: it may be anything
            for rid in ids:
                by_id.setdefault(rid, []).append(sha)
        return by_id

    def _docs_of(self, blobs: Iterable[str]) -> list[Doc]:
        return [self.docs[sha] for sha in blobs if sha in self.docs]

    def _versions(
        self,
        rid: str,
        blobs: Iterable[str],
        leftovers: Callable[[Doc], list[str]],
        problem: Problem,
    ) -> list[str]:
        """A finding for each place of each version holding what it should not; returns them."""
        holding = []
        for sha in blobs:
            if sha in self.undecryptable:
                fields: tuple[str, ...] = ()
                kind: Problem = "cannot be decrypted"
            else:
                fields, kind = tuple(leftovers(self.docs[sha])), problem
                if not fields:
                    continue
                holding.append(sha)
            for where, commit, path in self._located(sha):
                self.result.findings.append(Finding(where, rid, kind, commit, path, sha, fields))
        return holding

    def _located(self, sha: str) -> list[tuple[str, str | None, str | None]]:
        """(where, commit, path) for each commit that wrote the blob; `unreachable` if none did."""
        found: list[tuple[str, str | None, str | None]] = [
            (self.objects.place(v.commit), v.commit, self._shown(v.path))
            for v in self.objects.locations.get(sha, ())
        ]
        return found or [("unreachable", None, None)]

    def _shown(self, text: str) -> str:
        """A path or ref name as the audit prints it: removed data in it redacted."""
        return redact.redact_text(text, self.result.removed) if self.result.removed else text

    def _expunged(self, rid: str, blobs: list[str], pii: redact.Pii) -> None:
        steps: list[StepName] = list(self.expunged[rid].record.expunged)
        holding = self._versions(
            rid, blobs, lambda doc: redact.version_leftovers(doc, steps, pii), "holds removed data"
        )
        current = git.blob_at(self.root, "HEAD", self.ctx.repo.rel(self.expunged[rid].path))
        self.result.replacements.update(
            {sha: current for sha in holding if current and sha != current}
        )

    def _deleted(self, rid: str, blobs: list[str], pii: redact.Pii) -> None:
        problem: Problem = "deleted record holds personal data"
        if rid == "?":
            self._versions(rid, blobs, lambda doc: [], problem)
            return
        holding = self._versions(
            rid, blobs, lambda doc: redact.version_leftovers(doc, STEPS, pii), problem
        )
        self.result.removals |= set(holding)

    # -- everything else, as text --

    def _naming(self, text: str) -> list[str]:
        """The records whose removed data occurs in `text` (cocrec.redact's matcher: expunge's)."""
        if not redact.occurs_in_text(text, self.result.removed):
            return []
        return [rid for rid, pii in self.removed.items() if redact.occurs_in_text(text, pii)]

    def _plaintext(self) -> None:
        plain = [
            sha
            for sha in self._blobs()
            if sha not in self.docs and sha not in self.undecryptable and not self._own(sha)
        ]
        for sha, data in _read(self.root, plain):
            if _is_age(data):
                continue
            text = data.decode("utf-8", errors="replace")
            named = self._naming(text)
            if not named:
                continue
            for where, commit, path in self._located(sha):
                for rid in named:
                    self.result.findings.append(
                        Finding(where, rid, "plaintext holds removed data", commit, path, sha)
                    )
            if layout.looks_like_record(data) or not _is_utf8(data):
                self.result.removals.add(
                    sha
                )  # a whole record, or text the redaction cannot rewrite faithfully
            else:
                self.result.redactions[sha] = redact.redact_text(text, self.result.removed).encode(
                    "utf-8"
                )

    def _own(self, sha: str) -> bool:
        """A version of cocrec's own files only (cocrec.yaml, members.yaml, the index...):
        generated or checked by cocrec, and members.yaml names members, who may be named in
        records too. Rewriting
        them by name words would break the repository (a `reporter:` key is not Sam Reporter)."""
        located = self.objects.locations.get(sha, ())
        return bool(located) and all(
            layout.in_layout(v.path) and not _record_id(v.path) for v in located
        )

    def _messages(self) -> None:
        wanted = sorted(
            sha for sha, kind in self.objects.kinds.items() if kind in ("commit", "tag")
        )
        for sha, raw in _read(self.root, wanted):
            headers, _, message = raw.partition(b"\n\n")
            named = self._naming(message.decode("utf-8", errors="replace"))
            if not named:
                continue
            for rid in named:
                self.result.findings.append(self._message_finding(sha, headers, rid))
            redacted = redact.redact_text(
                message.decode("utf-8", errors="replace"), self.result.removed
            )
            self.result.messages[message] = redacted.encode("utf-8")

    def _message_finding(self, sha: str, headers: bytes, rid: str) -> Finding:
        if self.objects.kinds[sha] == "commit":
            return Finding(
                self.objects.place(sha), rid, "commit message holds removed data", sha, None, sha
            )
        name = self._shown(_tag_name(headers))
        return Finding("tag", rid, "tag message holds removed data", None, name, sha)

    def _names(self) -> None:
        """Ref names (a branch called after someone) and paths (a file named after them)."""
        taken_refs = set(self.objects.refs)
        for name in sorted(self.objects.refs):
            for rid in self._naming(name):
                self.result.findings.append(
                    Finding("ref", rid, "ref name holds removed data", path=self._shown(name))
                )
            if self._naming(name):
                new = _unique(_name_redacted(name, self.result.removed), taken_refs)
                self.result.refnames[_raw(name)] = _raw(new)
        first: dict[
            str, git.Version
        ] = {}  # each path where it is most visible: history before the stash...
        for version in sorted(
            self.objects.versions,
            key=lambda v: (PLACES.index(self.objects.place(v.commit)), v.commit),
        ):
            first.setdefault(version.path, version)
        taken_paths = set(first)
        for path, version in sorted(first.items()):
            named = [] if layout.in_layout(path) else self._naming(path)
            for rid in named:
                where = self.objects.place(version.commit)
                self.result.findings.append(
                    Finding(
                        where, rid, "path holds removed data", version.commit, self._shown(path)
                    )
                )
            if named:
                self.result.paths[_raw(path)] = _raw(
                    _unique(_name_redacted(path, self.result.removed), taken_paths)
                )

    def _git_files(self) -> None:
        for name, data in git.git_text_files(self.root).items():
            named = self._naming(data.decode("utf-8", errors="replace"))
            for rid in named:
                self.result.findings.append(
                    Finding(
                        "git file",
                        rid,
                        "git file holds removed data",
                        path=f".git/{self._shown(name)}",
                    )
                )
            if named:
                self.result.git_files.append(name)


def _read_objects(root: Path) -> _Objects:
    kinds = git.all_objects(root)
    commits = [sha for sha, kind in kinds.items() if kind == "commit"]
    return _Objects(
        kinds, git.commit_versions(root, commits), git.commit_places(root), git.refs(root)
    )


def _read(root: Path, shas: list[str], chunk: int = 500) -> Iterable[tuple[str, bytes]]:
    for start in range(0, len(shas), chunk):
        yield from git.read_blobs(root, shas[start : start + chunk]).items()


def _live_ids(root: Path, current: Mapping[str, Loaded], refs: Mapping[str, str]) -> set[str]:
    """Records that exist now: in the working tree, or at the tip of HEAD, a branch or a remote."""
    live = set(current)
    tips = [name for name in refs if name.startswith(("refs/heads/", "refs/remotes/"))]
    for tip in [*tips, "HEAD"]:
        try:
            paths = git.paths_at(root, tip, "records")
        except RepoError:
            continue  # HEAD before the first commit
        live |= {rid for path in paths if (rid := _record_id(path))}
    return live


def _record_id(path: str) -> str | None:
    if not (path.startswith(RECORDS_PREFIX) and path.endswith(RECORD_SUFFIX)):
        return None
    rid = path[len(RECORDS_PREFIX) : -len(RECORD_SUFFIX)]
    return rid if ID_PATTERN.match(rid) else None


def _is_age(data: bytes) -> bool:
    return data.lstrip()[:40].startswith(AGE_HEADERS)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _tag_name(headers: bytes) -> str:
    for line in headers.split(b"\n"):
        if line.startswith(b"tag "):
            return line[4:].decode("utf-8", "surrogateescape")
    return ""


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _name_redacted(name: str, pii: redact.Pii) -> str:
    return redact.redact_text(name, pii).replace(matcher.MARKER, NAME_MARKER)


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`... (before a file's extension) if another ref or path has
    it."""
    stem, dot, suffix = name.rpartition(".") if "." in name.rsplit("/", 1)[-1] else (name, "", "")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{dot}{suffix}"
    taken.add(candidate)
    return candidate


def _removed(item: Loaded, versions: Iterable[Doc]) -> redact.Pii:
    """Every value the expunged steps' fields held in any version, less what the record
    legitimately still holds."""
    union = redact.Pii()
    for doc in versions:
        for step in item.record.expunged:
            union = union | redact.pii_values(doc, step)
    return union.without(redact.held_identifiers(item.doc))


def _all_pii(versions: Iterable[Doc]) -> redact.Pii:
    """A deleted record keeps nothing: every identifying value any version held is removed data."""
    return _union(redact.pii_values(doc, step) for doc in versions for step in STEPS)


def _union(pieces: Iterable[redact.Pii]) -> redact.Pii:
    everything = redact.Pii()
    for pii in pieces:
        everything = everything | pii
    return everything


def run_audit(ctx: Context, fmt: str) -> int:
    result = audit(ctx)
    _print_audit(ctx, result, fmt)
    return EXIT_OK if result.clean else EXIT_PROBLEMS


def _print_audit(ctx: Context, result: Audit, fmt: str) -> None:
    if fmt == "json":
        findings = [f.as_json() for f in result.findings]
        ctx.out(
            output.to_json(
                {
                    "clean": result.clean,
                    "records": result.records,
                    "versions": result.versions,
                    "findings": findings,
                }
            )
        )
        return
    rows = [
        (_where_cell(f), f.record, f.problem, ", ".join(f.fields) or f.path or "")
        for f in result.findings
    ]
    if rows:
        ctx.out(output.table(["where", "record", "problem", "fields or path"], rows))
    ctx.out(_summary(result))


def _where_cell(finding: Finding) -> str:
    if finding.commit:
        return f"{finding.where} {finding.commit[:12]}"
    if finding.where == "unreachable" and finding.object:
        return f"unreachable {finding.object[:12]}"
    return finding.where


def _summary(result: Audit) -> str:
    counted = f"{result.versions} version(s) of {result.records} expunged or deleted record(s)"
    checked = f"every object git holds audited ({counted})"
    if result.clean:
        return f"{checked}: none holds removed data."
    undecryptable = sum(1 for f in result.findings if f.problem == "cannot be decrypted")
    holding = len(result.findings) - undecryptable
    advice = "; a longer-serving member can audit what you cannot decrypt" if undecryptable else ""
    found = f"{holding} finding(s) hold removed data, {undecryptable} cannot be decrypted{advice}"
    return f"{checked}: {found}. Run `cocrec history purge`."


# -- the purge ----------------------------------------------------------------------------------

# git-filter-repo runs these in its own Python; they only look up what cocrec computed.
_LOAD = """t = globals().get("_cocrec_purge")
if t is None:
    import base64, json
    with open({path!r}) as handle:
        raw = json.load(handle)
    b = lambda text: base64.b64decode(text)
    t = globals()["_cocrec_purge"] = {{
        "blobs": {{old.encode(): b(raw["data"][key]) for old, key in raw["blobs"].items()}},
        "skip": {{old.encode() for old in raw["skip"]}},
        "messages": {{b(old): b(new) for old, new in raw["messages"].items()}},
        "refs": {{b(old): b(new) for old, new in raw["refs"].items()}},
        "paths": {{b(old): b(new) for old, new in raw["paths"].items()}},
    }}
"""
_BLOB = """new = t["blobs"].get(blob.original_id)
if new is not None:
    blob.data = new
elif blob.original_id in t["skip"]:
    blob.skip()
"""
_MESSAGE = """return t["messages"].get(message, message)
"""
_REFNAME = """return t["refs"].get(refname, refname)
"""
_FILENAME = """return t["paths"].get(filename, filename)
"""

STASH_WARNING = (
    "cocrec: warning: the stash holds {count} entr{ies}, and purge drops them all: each keeps "
    "the history it was made on, and `git stash -u` keeps what sat in workspace/ (plaintext); "
    "apply or save what you need "
    "first (`git stash list`, `git stash show -p`)"
)
PUSH_REFS = "'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*' 'refs/notes/*:refs/notes/*'"
HOST_STEPS = "\n".join([
    "This clone no longer holds the removed data; every other copy still does. Now:",
    "  1. Replace the history at the git host, every branch, tag and note:",
    "     {remote}`git push --force --prune {name} " + PUSH_REFS + "`",
    "     (`--prune` deletes there every branch, tag and note this clone no longer has:",
    "     `git push --force --tags` would keep them, old history and all). A protected branch",
    "     must be unprotected for it. A branch that exists only at the host was not purged:",
    "     fetch it and purge again, or delete it there.",
    "  2. Ask the host to delete what no push reaches: pull and merge request refs (refs/pull/*,",
    "     refs/merge-requests/*), cached views and forks' copies, and to run garbage collection;",
    "     until then the old versions stay readable there (GitHub: contact support; GitLab:",
    "     Settings > Repository > Repository cleanup, with .git/filter-repo/commit-map).",
    "  3. Every other member deletes their clone and clones again: a pull or a push from an old",
    "     clone brings the old history back. Delete the other copies too: backups, CI caches,",
    "     forks, mirrors.",
])  # fmt: skip


def run_purge(ctx: Context, yes: bool, confirm: Callable[[str], bool]) -> int:
    root = ctx.repo.root
    if git.is_dirty(root):
        raise RepoError(
            f"{root}: the working tree has uncommitted changes: commit or remove them first "
            "(purge rewrites history); nothing was changed"
        )
    if not git.filter_repo_installed():
        raise RepoError(INSTALL_FILTER_REPO)
    with ctx.repo.lock():
        before = audit(ctx)
        if not before.purgeable:
            ctx.out(f"Nothing to purge: {_summary(before)}")
            return EXIT_OK if before.clean else EXIT_PROBLEMS
        stash = len(git.stash_commits(root))
        if stash:
            ctx.err(STASH_WARNING.format(count=stash, ies="y" if stash == 1 else "ies"))
        if not yes and not confirm(_question(before, stash)):
            ctx.err("cocrec: purge cancelled; nothing was changed")
            return EXIT_PROBLEMS
        head = git.head_ref(root)
        if stash:
            git.drop_stash(root)
        if before.rewrites:
            _rewrite(root, before)
            _after_rewrite(ctx, before, head)
        git.drop_unreachable(root)
        _remove_git_files(root, before.removed)
        after = audit(ctx)
    _print_purged(ctx, before, after, stash)
    return EXIT_OK if after.clean else EXIT_PROBLEMS


def _counts(result: Audit) -> list[str]:
    """What a purge changes, in words (the same for the question and the report)."""
    redacted = [(len(result.redactions), "plaintext file version(s)"),
                (len(result.messages), "commit and tag message(s)"),
                (len(result.refnames), "ref name(s)"), (len(result.paths), "path(s)")]  # fmt: skip
    parts = [
        f"{len(result.replacements)} earlier version(s) of expunged records "
        "replaced by their expunged form"
    ]
    parts += (
        [f"{len(result.removals)} version(s) of deleted records and plaintext records removed"]
        if result.removals
        else []
    )
    if any(n for n, _ in redacted):
        parts.append(f"{', '.join(f'{n} {what}' for n, what in redacted if n)} redacted")
    return parts


def _question(result: Audit, stash: int) -> str:
    dropped = f"; the stash's {stash} entr{'y' if stash == 1 else 'ies'} dropped" if stash else ""
    return (
        f"Rewrite git history on every branch, tag and note ({'; '.join(_counts(result))}), "
        "expire reflogs and "
        f"delete unreachable objects{dropped}; every member must then re-clone. Continue?"
    )


def _rewrite(root: Path, result: Audit) -> None:
    """git filter-repo with callbacks reading a private (mode 0600, in a 0700 directory on /dev/shm)
    file, removed on every way out: it holds the original messages and names being redacted."""
    current = set(result.replacements.values())
    data = {
        sha: base64.b64encode(body).decode("ascii")
        for sha, body in git.read_blobs(root, current).items()
    }
    data |= {sha: base64.b64encode(body).decode("ascii") for sha, body in result.redactions.items()}

    def encoded(table: Mapping[bytes, bytes]) -> dict[str, str]:
        return {
            base64.b64encode(old).decode("ascii"): base64.b64encode(new).decode("ascii")
            for old, new in table.items()
        }

    table = {
        "blobs": {**result.replacements, **{sha: sha for sha in result.redactions}},
        "data": data,
        "skip": sorted(result.removals),
        "messages": encoded(result.messages),
        "refs": encoded(result.refnames),
        "paths": encoded(result.paths),
    }
    with private_dir("purge") as tmp:
        path = tmp / "table.json"
        write_private(path, json.dumps(table).encode("utf-8"))
        prelude = _LOAD.format(path=str(path))
        args = ["--blob-callback", prelude + _BLOB, "--message-callback", prelude + _MESSAGE]
        args += ["--refname-callback", prelude + _REFNAME] if result.refnames else []
        args += ["--filename-callback", prelude + _FILENAME] if result.paths else []
        git.filter_repo(root, [*args, "--prune-empty", "never", "--replace-refs", "delete-no-add"])


def _after_rewrite(ctx: Context, result: Audit, head: str | None) -> None:
    """Notes filed again under the rewritten commits; HEAD on its branch's new name."""
    root = ctx.repo.root
    try:
        git.reattach_notes(root, git.commit_map(root))
    except RepoError as exc:
        ctx.err(
            f"cocrec: warning: notes could not be filed again under the rewritten commits ({exc}); "
            "they are kept, on the old ids"
        )
    renamed = result.refnames.get(_raw(head)) if head else None
    if renamed is not None:
        git.set_head(root, renamed.decode("utf-8", "surrogateescape"))


def _remove_git_files(root: Path, removed: redact.Pii) -> None:
    """.git's message files (and filter-repo's ref map) that still name removed data."""
    flagged = [
        name
        for name, data in git.git_text_files(root).items()
        if redact.occurs_in_text(data.decode("utf-8", "replace"), removed)
    ]
    git.remove_git_files(root, flagged)


def _print_purged(ctx: Context, before: Audit, after: Audit, stash: int) -> None:
    dropped = f"; the stash ({stash} entr{'y' if stash == 1 else 'ies'}) dropped" if stash else ""
    ctx.out(
        f"History rewritten: {'; '.join(_counts(before))}{dropped}; "
        "reflogs expired, unreachable objects pruned."
    )
    ctx.out(f"Audit after the purge: {_summary(after)}")
    remotes = git.remote_names(ctx.repo.root)
    # The URL is not printed: it may carry a token.
    readd = (
        ""
        if "origin" in remotes
        else (
            "re-add the remote (git-filter-repo removed `origin`, so that nothing is pushed by "
            "accident): `git remote add origin URL`, then\n     "
        )
    )
    ctx.out(HOST_STEPS.format(remote=readd, name="origin"))
    others = [name for name in remotes if name != "origin"]
    if others:
        listed = ", ".join(f"`{name}`" for name in others)
        ctx.out(
            f"  4. The remote(s) {listed} still hold the old history: push to each the same way, "
            "or remove it (`git remote remove NAME`)."
        )
