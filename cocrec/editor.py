"""Editing plaintext safely: a private directory, $VISUAL/$EDITOR, validate and re-open, the new-record template.

The plaintext lives only in a private directory (mode 0700, on /dev/shm when
present, the file 0600) that is removed on every way out: success, an
invalid record the member gives up on, an editor that fails, Ctrl-C, SIGTERM
and SIGHUP (cocrec.fsutil). Editors write their swap and backup files beside
the file they edit, so those land in the same directory and go with it.

Some editors keep copies elsewhere: vim writes yanked lines and searches to
~/.viminfo (neovim to its shada file), and a vimrc's `undofile` keeps the
whole text under its undodir. vi, vim and nvim (known by the name of the
command, or of the program it resolves to) are started as pass and gopass
start them: no viminfo or shada, no swap, undo or backup files, whatever the
vimrc says. Other editors are the member's to configure (the README says
what to turn off).

An editor that returns within a second with the file unchanged did not wait
for the member (`code` without `--wait`): that is an error with a hint, never
"no changes", and its later save would find the file gone.

The loop knows nothing of records: the caller's `accept` parses and
validates, raising ValidationError for what the member should fix.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from . import schema
from .errors import CocrecError, DecryptError, UsageError, ValidationError
from .fsutil import private_dir, write_private
from .policy import Policy
from .validate import KEY_ORDER

T = TypeVar("T")
EditStatus = Literal["changed", "unchanged", "empty"]
ERROR_MARK = "# cocrec error: "
DEFAULT_EDITOR = "vi"


@dataclass(frozen=True)
class Edited(Generic[T]):
    """What the member did: changed the text (and `value` is what `accept` made of it), left it, or emptied it."""

    status: EditStatus
    value: T | None = None
    text: bytes = b""  # what the member saved, without cocrec's error lines (when changed)


# -- the editor ------------------------------------------------------------------


def editor_command(env: Mapping[str, str]) -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split as a shell would (so `code --wait` works)."""
    raw = env.get("VISUAL") or env.get("EDITOR") or DEFAULT_EDITOR
    try:
        parts = shlex.split(raw)
    except ValueError:
        raise UsageError(
            "$VISUAL/$EDITOR is not a valid command line (unbalanced quotes): fix it"
        ) from None
    return parts or [DEFAULT_EDITOR]


# -- editors that keep copies: vi, vim, nvim ------------------------------------------------------

VimKind = Literal["vim", "nvim"]
VIM_NAMES = frozenset({
    "vim", "gvim", "rvim", "vimdiff", "mvim",
    "vim.basic", "vim.nox", "vim.gtk", "vim.gtk3", "vim.athena", "vim.tiny",
})  # fmt: skip
NVIM_NAMES = frozenset({"nvim"})
# Names other editors also go by (busybox and nvi are `vi` too, and take none of vim's options).
AMBIGUOUS_NAMES = frozenset({"vi", "view", "ex"})
FOREGROUND = frozenset({"gvim", "mvim"})  # they fork and return at once unless told -f
# Before the vimrc, then after it (and after the file is loaded, for its buffer): each `silent!`,
# so that a vim built without an option (vim.tiny has no undofile) does not stop at an error.
VIM_EARLY = "silent! set noundofile | silent! set nobackup nowritebackup"
VIM_LATE = {
    "vim": "silent! setlocal noundofile noswapfile | silent! set noundofile"
    " | set nobackup nowritebackup | silent! set viminfo=",
    "nvim": "silent! setlocal noundofile noswapfile | set noundofile nobackup nowritebackup shada=",
}


def vim_kind(program: str) -> VimKind | None:
    """Whether `program` is vim or neovim: by its name, or the name of the file it resolves to."""
    found = shutil.which(program)
    real = os.path.basename(os.path.realpath(found)) if found else ""
    for name in (real, os.path.basename(program)):
        if name in NVIM_NAMES:
            return "nvim"
        if name in VIM_NAMES:
            return "vim"
    if found and (real or os.path.basename(program)) in AMBIGUOUS_NAMES:
        return _kind_by_version(found)
    return None


def _kind_by_version(path: str) -> VimKind | None:
    """A program named vi that is no link to a known one: ask it (macOS's vi is vim, a BSD's is
    nvi)."""
    try:
        argv = [path, "--version"]
        done = subprocess.run(
            argv, capture_output=True, timeout=5, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    first = done.stdout.split(b"\n", 1)[0]
    if first.startswith(b"NVIM"):
        return "nvim"
    return "vim" if first.startswith(b"VIM - Vi IMproved") else None


def keeps_no_copies(command: Sequence[str]) -> list[str]:
    """The editor command, with vi, vim or nvim told to keep no copy outside the private directory:
    no viminfo or shada (registers, searches, command lines), no swap, undo or backup files. The
    options come first, so the member's own `-c` commands run after them."""
    kind = vim_kind(command[0])
    if kind is None:
        return list(command)
    resolved = os.path.realpath(shutil.which(command[0]) or command[0])
    names = {os.path.basename(command[0]), os.path.basename(resolved)}
    viminfo = [] if "vim.tiny" in names else ["-i", "NONE"]  # vim.tiny has no viminfo at all
    foreground = ["-f"] if names & FOREGROUND and "-f" not in command else []
    hardening = ["-n", *viminfo, "--cmd", VIM_EARLY, "-c", VIM_LATE[kind]]
    return [command[0], *foreground, *hardening, *command[1:]]


# -- running it ---------------------------------------------------------------------------------

QUICK_RETURN_SECONDS = 1.0
RETURNED_AT_ONCE = (
    "your editor returned at once: use `code --wait` (or your editor's own way to wait until the "
    "file is closed: `subl -w`, `gvim -f`, `gedit -s`) in $VISUAL or $EDITOR; it returned within "
    "a second with the file unchanged, so nothing was edited and nothing was written"
)


def run_editor(command: Sequence[str], path: Path) -> None:
    """Run the editor on `path` and wait; a non-zero exit means the member's edit is not to be trusted."""
    try:
        completed = subprocess.run([*keeps_no_copies(command), str(path)], check=False)
    except OSError:
        raise UsageError(
            f"cannot run the editor `{command[0]}`: set $VISUAL or $EDITOR to an editor on your PATH"
        ) from None
    if completed.returncode != 0:
        raise CocrecError(
            f"the editor `{command[0]}` exited with status {completed.returncode}: nothing was changed"
        )


def is_blank(data: bytes) -> bool:
    """Nothing but blank lines and comments: the member emptied the file to abort."""
    return all(not line.strip() or line.lstrip().startswith(b"#") for line in data.splitlines())


def _without_error_lines(data: bytes) -> bytes:
    return b"".join(
        line for line in data.splitlines(keepends=True) if not line.startswith(ERROR_MARK.encode())
    )


def edit_loop(
    initial: bytes,
    name: str,
    accept: Callable[[bytes], T],
    command: Sequence[str],
    ask: Callable[[ValidationError], bool],
    declined: Callable[[bytes], None] | None = None,
) -> Edited[T]:
    """Edit `initial` in a private file named `name` until `accept` takes it, the member gives up, or aborts.

    On a ValidationError the member is asked (`ask`) whether to re-open the
    editor; the error is then also written at the top of the file, as a
    comment. A refusal re-raises the error: nothing was accepted; `declined`
    is first given the text, so that the caller can keep it (cocrec.drafts).
    """
    with private_dir() as directory:
        path = directory / name
        write_private(path, initial)
        first = True
        while True:
            started = time.monotonic()
            run_editor(command, path)
            quick = first and time.monotonic() - started < QUICK_RETURN_SECONDS
            first = False
            data = path.read_bytes() if path.is_file() else b""
            if data == initial:
                if quick:  # it did not wait for the member: "no changes" would claim they looked
                    raise CocrecError(RETURNED_AT_ONCE)
                return Edited("unchanged")
            if is_blank(data):
                return Edited("empty")
            text = _without_error_lines(data)
            try:
                return Edited("changed", accept(text), text)
            except ValidationError as exc:
                if not ask(exc):
                    if declined is not None:
                        declined(text)
                    raise
                write_private(path, f"{ERROR_MARK}{exc}\n".encode() + text)
                os.chmod(path, 0o600)  # an editor may have replaced the file with its own mode


# -- the terminal ----------------------------------------------------------------


def ask_reopen(error: ValidationError) -> bool:
    """Show the error and ask on the terminal; with no terminal to answer (stdin not a tty), the answer is no."""
    if sys.stdin is None or not sys.stdin.isatty():
        return False
    print(f"cocrec: {error}", file=sys.stderr)
    print("Re-open the editor to fix it? [Y/n] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return bool(answer) and answer.strip().lower() in ("", "y", "yes")


def terminal_passphrase(path: str) -> str:
    """Ask for an identity's passphrase on the controlling terminal (git hooks and diff drivers have no stdin)."""
    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
    except OSError:
        raise DecryptError(
            f"{path}: passphrase-protected, and there is no terminal to ask on"
        ) from None
    import getpass

    return getpass.getpass(f"Passphrase for {path}: ")


# -- the new-record template -----------------------------------------------------

# Never typed into a new record: assigned, fixed, or written by `cocrec expunge` only.
NOT_IN_TEMPLATE = frozenset({"id", "schema_version", "expunged", "imported"})
# Usually written later, as the case goes on (with `cocrec edit`): shown commented out.
LATER = frozenset({"outcome", "unilateral_action", "appeal", "retention", "disclosures", "notes"})
# What a field means (SPEC section 3). What form it takes comes from the schema and the policy.
MEANING: dict[str, str] = {
    "reported_on": "the date of the first report",
    "acknowledged_on": "the date the reporter was told their report arrived (deadlines.acknowledge)",
    "event": "the event it concerns, if any",
    "region": "where it happened",
    "categories": "general information, for statistics",
    "channel": "how the report reached the committee",
    "reporter": "who reported it",
    "reporter.kind": "official | public | private (a private reporter is never named)",
    "reporter.name": "official or public reporters only",
    "reporter.contact": "official or public reporters only",
    "handled_by": "the member handling the case",
    "recused": "members with a conflict of interest: they never receive this record",
    "recusal_reason": "why (confidential; removed with the subjects)",
    "subjects": "the people or usernames who prompted the report (may stay empty while the case is open)",
    "subjects.also_in": "the same person in other records (their ids)",
    "summary": "the confidential summary of the report",
    "action_by_committee": "anything involving contacting the subject counts as action",
    "action_by_local_rep": "action taken by local organisers",
    "outcome": "add it when the committee decides; absent while the case is open",
    "outcome.ban": "banned only: until: YYYY-MM-DD, or permanent: true",
    "outcome.consequence": "a step of the enforcement ladder (consequences in cocrec.yaml)",
    "unilateral_action": "an action one member took alone, for the committee to review",
    "appeal": "an appeal against the decision (within deadlines.appeal_window)",
    "outcome.recommendations": "flagged or banned only: advice for event organisers",
    "outcome.shareable_summary": "written to be shared with organisers: objective, privacy-respecting",
    "retention": "the committee's exceptional deviations from the retention terms",
    "retention.hold": "pauses every expunge step",
    "disclosures": "what was shared about this case, with whom",
    "notes": "internal notes",
}
# Required only in some cases (the schema's conditional rules), in words.
CONDITIONAL: dict[str, str] = {
    "summary": "required",
    "handled_by": "required for a private reporter",
    "subjects": "required once the case is closed, unless unidentified",
    "action_by_committee": "required once the case is closed",
    "action_by_local_rep": "required once the case is closed",
}
HEADER = """\
# cocrec new: a new incident record. Fill it in, save and quit: cocrec checks it,
# encrypts it to the committee and prints its id. Quit without saving, or empty
# the file, to abort: nothing is written. Lines starting with # are comments;
# empty fields are left out. Fields under "later" are usually added with
# `cocrec edit ID` as the case goes on: remove the leading "# " to use one now.
# This file lives in a private directory that is removed when you are done.

"""


def new_template(policy: Policy, member_ids: Sequence[str]) -> str:
    """The commented template `cocrec new` opens, generated from the record schema and the committee's lists."""
    record = schema.inlined("record")
    required = set(record.get("required", ()))
    choices = {
        "region": policy.regions,
        "categories": policy.categories,
        "channel": policy.channels,
        "handled_by": member_ids,
        "recused": member_ids,
        "outcome.consequence": tuple(policy.consequences),
    }
    lines = [HEADER.rstrip("\n"), ""]
    later: list[str] = []
    for key in KEY_ORDER["record"]:
        if key in NOT_IN_TEMPLATE or key not in record["properties"]:
            continue
        node = record["properties"][key]
        status = (
            "required"
            if key in required
            else CONDITIONAL.get(key, "later" if key in LATER else "optional")
        )
        head = f"# {key} ({status}): {_explain(key, node, choices.get(key))}"
        block = [head, *_value_lines(key, node, 0, choices=choices)]
        if key in LATER:
            later += [block[0], *(f"# {line}" for line in block[1:]), ""]
        else:
            lines += [*block, ""]
    return "\n".join(lines + later).rstrip("\n") + "\n"


def _explain(path: str, node: Mapping[str, Any], choices: Sequence[str] | None = None) -> str:
    meaning = MEANING.get(path, "")
    form = (
        (("any of: " if node.get("type") == "array" else "one of: ") + ", ".join(choices))
        if choices
        else _form(node)
    )
    return "; ".join(part for part in (meaning, "" if form in meaning else form) if part)


def _form(node: Mapping[str, Any]) -> str:
    if _object_properties(node) or _object_properties(node.get("items") or {}):
        return ""  # the template spells the fields out
    if "enum" in node:
        return " | ".join(str(v) for v in node["enum"])
    description = node.get("description")
    return str(description) if isinstance(description, str) and description != "text" else ""


def _object_properties(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The fields of a mapping node (a subject's live in its `else` branch: the form that is not expunged)."""
    for candidate in (node, node.get("else", {})):
        props = candidate.get("properties") if isinstance(candidate, Mapping) else None
        if isinstance(props, Mapping) and candidate.get("type", "object") == "object":
            return props
    return None


Choices = Mapping[str, Sequence[str]]
NO_CHOICES: Choices = {}


def _value_lines(
    path: str,
    node: Mapping[str, Any],
    indent: int,
    key: str | None = None,
    choices: Choices = NO_CHOICES,
) -> list[str]:
    """`key:` and an empty value of the node's shape (nested mappings spelled out), with inline comments."""
    key = key or path.rsplit(".", 1)[-1]
    pad = " " * indent
    items = node.get("items") if node.get("type") == "array" else None
    props = _object_properties(items) if isinstance(items, Mapping) else _object_properties(node)
    if isinstance(items, Mapping) and props:
        return [f"{pad}{key}:", *_fields(path, props, indent + 2, first="- ", choices=choices)]
    if props:
        return [f"{pad}{key}:", *_fields(path, props, indent + 2, choices=choices)]
    return [f"{pad}{key}: []" if items is not None else f"{pad}{key}:"]


def _fields(
    path: str, props: Mapping[str, Any], indent: int, first: str = "", choices: Choices = NO_CHOICES
) -> list[str]:
    lines: list[str] = []
    for name, node in props.items():
        sub = f"{path}.{name}"
        head = _value_lines(sub, node, indent, name, choices)
        comment = _explain(sub, node, choices.get(sub))
        if comment:
            head[0] = f"{head[0]:<{max(indent + 24, len(head[0]) + 2)}}# {comment}"
        lines += head
    if first and lines:
        lines[0] = lines[0][: indent - 2] + first + lines[0][indent:]
    return lines


def prune(node: Any) -> Any:
    """The document without empty fields (None, "", [], {}): what a template left blank is simply not there."""
    if isinstance(node, Mapping):
        kept = {key: prune(value) for key, value in node.items()}
        return {key: value for key, value in kept.items() if not _empty(value)}
    if isinstance(node, list):
        return [
            item
            for item in (prune(value) for value in node)
            if not (isinstance(item, dict) and not item)
        ]
    return node


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
