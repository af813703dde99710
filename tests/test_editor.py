"""The editor loop, its private directory and the new-record template (cocrec/editor.py).

Editors are small Python scripts named by $EDITOR (`EditorScript`): each run
follows the next step of a plan and logs what it saw (argv, the file's and
the directory's modes, the text), so tests can assert 0600/0700 and that the
directory is gone afterwards.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from cocrec import editor, validate, yaml_io
from cocrec.errors import CocrecError, UsageError, ValidationError
from cocrec.model import Members
from cocrec.policy import Policy

SCRIPT = r"""
import json, os, signal, stat, subprocess, sys, time
from pathlib import Path
plan_path, log_path, target = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[-1])
log = json.loads(log_path.read_text()) if log_path.exists() else []
steps = json.loads(plan_path.read_text())
step = steps[min(len(log), len(steps) - 1)]
text = target.read_text()
log.append({"argv": sys.argv[3:], "dir": str(target.parent), "text": text,
            "file_mode": stat.S_IMODE(target.stat().st_mode), "dir_mode": stat.S_IMODE(target.parent.stat().st_mode)})
log_path.write_text(json.dumps(log))
if "swap" in step:
    (target.parent / f".{target.name}.swp").write_text(text)
    (target.parent / f"{target.name}~").write_text(text)
for old, new in step.get("replace", []):
    assert old in text, old
    text = text.replace(old, new)
if "write" in step:
    text = step["write"]
if "run" in step:
    subprocess.run(step["run"], env={**os.environ, **step.get("env", {})}, check=True, capture_output=True)
target.write_text(text)
if "sleep" in step:  # a member reading the record before quitting
    time.sleep(step["sleep"])
if "sigint" in step:
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(20)
sys.exit(step.get("exit", 0))
"""


class EditorScript:
    """$EDITOR for tests: `plan(*steps)`, then run cocrec with `env`; `log` lists what each run saw."""

    def __init__(self, directory: Path, extra_args: str = "") -> None:
        directory.mkdir(exist_ok=True)
        self.script = directory / "editor.py"
        self.script.write_text(SCRIPT)
        self.plan_path = directory / "plan.json"
        self.log_path = directory / "log.json"
        self.command = f"{shlex.quote(sys.executable)} {shlex.quote(str(self.script))} {self.plan_path} {self.log_path} {extra_args}".strip()
        self.plan({})

    def plan(self, *steps: dict[str, Any]) -> EditorScript:
        self.plan_path.write_text(json.dumps(list(steps)))
        if self.log_path.exists():
            self.log_path.unlink()
        return self

    @property
    def env(self) -> dict[str, str]:
        return {"EDITOR": self.command}

    @property
    def log(self) -> list[dict[str, Any]]:
        return json.loads(self.log_path.read_text()) if self.log_path.exists() else []


@pytest.fixture
def script(tmp_path: Path) -> EditorScript:
    return EditorScript(tmp_path / "editor")


def never(error: ValidationError) -> bool:
    return False


def accept_yaml(data: bytes) -> Any:
    doc = yaml_io.loads(data, "test.yaml")
    if not isinstance(doc, dict) or "ok" not in doc:
        raise ValidationError("test.yaml", "ok", "required: add it")
    return doc


def run_loop(
    script: EditorScript, initial: bytes = b"a: 1\n", ask: Any = never
) -> editor.Edited[Any]:
    return editor.edit_loop(initial, "x.yaml", accept_yaml, shlex.split(script.command), ask)


# -- the editor command ---------------------------------------------------------


def test_visual_wins_over_editor_and_is_split_like_a_shell() -> None:
    assert editor.editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor.editor_command({"EDITOR": "emacs -nw '+1'"}) == ["emacs", "-nw", "+1"]
    assert editor.editor_command({}) == ["vi"]


def test_an_editor_command_with_unbalanced_quotes_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="VISUAL/\\$EDITOR"):
        editor.editor_command({"EDITOR": "vim 'oops"})


def test_an_editor_that_does_not_exist_says_what_to_set(script: EditorScript) -> None:
    with pytest.raises(UsageError, match="set \\$VISUAL or \\$EDITOR"):
        editor.edit_loop(b"a: 1\n", "x.yaml", accept_yaml, ["/nonexistent/editor"], never)


# -- the private directory ------------------------------------------------------


def test_the_file_is_0600_in_a_0700_directory_in_memory_and_both_are_gone_after(
    script: EditorScript,
) -> None:
    script.plan({"replace": [["a: 1", "ok: 1"]], "swap": True})
    result = run_loop(script)
    assert result.status == "changed" and result.value == {"ok": 1}
    (seen,) = script.log
    assert (seen["file_mode"], seen["dir_mode"]) == (0o600, 0o700)
    if os.path.isdir("/dev/shm"):
        assert seen["dir"].startswith("/dev/shm/")
    assert not Path(seen["dir"]).exists()  # swap and backup files went with it


def test_extra_editor_arguments_come_before_the_file(tmp_path: Path) -> None:
    script = EditorScript(tmp_path / "ed", extra_args="--wait")
    script.plan({"replace": [["a: 1", "ok: 1"]]})
    run_loop(script)
    assert script.log[0]["argv"][0] == "--wait" and script.log[0]["argv"][1].endswith("x.yaml")


LOOKED = {
    "sleep": editor.QUICK_RETURN_SECONDS + 0.1
}  # the member read it, then quit without saving


def test_an_unchanged_file_is_reported_as_unchanged_without_validation(
    script: EditorScript,
) -> None:
    script.plan(LOOKED)
    result = run_loop(script, b"not: valid for accept\n")
    assert result.status == "unchanged" and result.value is None
    assert not Path(script.log[0]["dir"]).exists()


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n  # and another\n"])
def test_a_file_saved_empty_or_with_only_comments_aborts(script: EditorScript, text: str) -> None:
    script.plan({"write": text})
    assert run_loop(script).status == "empty"


def test_an_editor_that_fails_changes_nothing_and_leaves_no_directory(script: EditorScript) -> None:
    script.plan({"replace": [["a: 1", "ok: 1"]], "exit": 1, "swap": True})
    with pytest.raises(CocrecError, match="exited with status 1: nothing was changed"):
        run_loop(script)
    assert not Path(script.log[0]["dir"]).exists()


def test_an_error_reopens_the_editor_with_the_error_on_top_until_it_validates(
    script: EditorScript,
) -> None:
    script.plan({"replace": [["a: 1", "b: 1"]]}, {"replace": [["b: 1", "ok: 1"]]})
    asked: list[str] = []

    def yes(error: ValidationError) -> bool:
        asked.append(str(error))
        return True

    result = run_loop(script, ask=yes)
    assert result.value == {"ok": 1}
    assert asked == ["test.yaml: ok: required: add it"]
    second = script.log[1]["text"]
    assert (
        second.startswith("# cocrec error: test.yaml: ok: required: add it\n") and "b: 1" in second
    )
    assert script.log[1]["file_mode"] == 0o600


def test_a_refusal_to_reopen_raises_the_error_and_removes_the_directory(
    script: EditorScript,
) -> None:
    script.plan({"replace": [["a: 1", "b: [unclosed"]]})
    with pytest.raises(ValidationError, match="malformed YAML"):
        run_loop(script)
    assert len(script.log) == 1 and not Path(script.log[0]["dir"]).exists()


def test_without_a_terminal_the_answer_is_no() -> None:
    assert editor.ask_reopen(ValidationError("x", "y", "z")) is False  # pytest's stdin is not a tty


# -- the new-record template ----------------------------------------------------

POLICY = Policy.from_doc({})


def test_the_template_explains_every_field_a_member_types() -> None:
    text = editor.new_template(POLICY, ["alice", "bob"])
    properties = set(validate.KEY_ORDER["record"]) - editor.NOT_IN_TEMPLATE
    for name in properties:
        assert f"\n# {name} (" in text, name
    assert "europe, north-america" in text and "one of: alice, bob" in text
    assert "official | public | private" in text
    assert "\n# expunged (" not in text and "\n# id (" not in text  # written by cocrec, never typed


def test_the_template_is_yaml_whose_blank_fields_leave_nothing() -> None:
    text = editor.new_template(POLICY, ["alice"])
    assert editor.prune(yaml_io.loads(text, "template")) == {}


def test_the_template_filled_in_where_it_says_is_a_valid_record() -> None:
    text = editor.new_template(POLICY, ["alice"])
    for old, new in [
        ("reported_on:", "reported_on: 2026-06-04"),
        ("region:", "region: europe"),
        ("  kind:", "  kind: public"),
        ("  name:                   # official", "  name: Sam Reporter     # official"),
        ("- name:", "- name: Jane Doe"),
        ("  emails: []", "  emails: [jane@example.org]"),
        ("summary:", "summary: Unwanted messages to an attendee."),
        ("# outcome:", "outcome:"),
        ("#   type:", "  type: resolved"),
        ("#   decided_on:", "  decided_on: 2026-07-01"),
        ("action_by_committee:\n  taken:", "action_by_committee:\n  taken: true"),
        ("action_by_local_rep:\n  taken:", "action_by_local_rep:\n  taken: false"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    doc = editor.prune(yaml_io.loads(text, "template"))
    doc.update(id="2026-k7qd", schema_version=1)
    assert (
        validate.record_errors(
            doc,
            "new",
            POLICY,
            Members.from_doc({"members": [{"id": "alice", "name": "A", "keys": []}]}),
        )
        == []
    )
    assert doc["subjects"] == [{"name": "Jane Doe", "emails": ["jane@example.org"]}]


def test_prune_drops_empty_values_and_empty_list_items_but_keeps_false() -> None:
    doc = {
        "a": None,
        "b": "",
        "c": [],
        "d": {"e": None},
        "f": [{"g": None}, {"h": 1}],
        "t": {"taken": False},
    }
    assert editor.prune(doc) == {"f": [{"h": 1}], "t": {"taken": False}}


def test_the_template_asks_for_the_acknowledgement_and_offers_the_policy_s_consequences() -> None:
    text = editor.new_template(POLICY, ["alice"])
    assert "\nacknowledged_on:\n" in text  # asked for now, not under "later"
    assert "\n# unilateral_action:" in text and "\n# appeal:" in text  # later, commented out
    assert "imported" not in text  # written by `cocrec import` only
    ladder = Policy.from_doc(
        {"consequences": {"warning": {"outcomes": ["resolved"]}, "ban": {"outcomes": ["banned"]}}}
    )
    assert "consequence:" in editor.new_template(
        ladder, ["alice"]
    ) and "one of: warning, ban" in editor.new_template(ladder, ["alice"])


# -- an editor that does not wait ---------------------------------------------------------------


def test_an_editor_that_returns_at_once_unchanged_gets_a_hint_not_no_changes(
    script: EditorScript,
) -> None:
    script.plan({})  # returns at once, as `code` without --wait does
    with pytest.raises(
        CocrecError, match="your editor returned at once: use `code --wait`"
    ) as raised:
        run_loop(script)
    assert "nothing was edited and nothing was written" in str(raised.value)
    assert not Path(script.log[0]["dir"]).exists()


def test_a_quick_editor_that_changed_the_file_is_taken_at_its_word(script: EditorScript) -> None:
    script.plan(
        {"replace": [["a: 1", "ok: 1"]]}
    )  # a scripted editor: fast, and it did change the file
    assert run_loop(script).value == {"ok": 1}


# -- editors that keep copies ----------------------------------------------------------------------


def fake_program(directory: Path, name: str, version_line: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(0o755)
    return path


def test_vim_and_nvim_are_told_to_keep_no_copies_before_the_members_own_options() -> None:
    command = editor.keeps_no_copies(["vim", "-c", "set number"])
    assert command[0] == "vim" and command[-2:] == ["-c", "set number"]
    flags = command[1:-2]
    assert flags[:3] == ["-n", "-i", "NONE"]
    assert "noundofile" in flags[flags.index("--cmd") + 1]
    late = flags[flags.index("-c") + 1]
    for option in ("noundofile", "noswapfile", "nobackup", "nowritebackup", "viminfo="):
        assert option in late
    nvim = editor.keeps_no_copies(["nvim"])
    assert (
        nvim[:4] == ["nvim", "-n", "-i", "NONE"]
        and "shada=" in nvim[-1]
        and "viminfo" not in nvim[-1]
    )
    assert (
        editor.keeps_no_copies(["/usr/local/bin/gvim"])[1] == "-f"
    )  # else it forks and returns at once
    assert editor.keeps_no_copies(["nano", "-w"]) == ["nano", "-w"]
    assert editor.keeps_no_copies(["code", "--wait"]) == ["code", "--wait"]


def test_vi_is_known_by_what_it_really_is(tmp_path: Path) -> None:
    vim_as_vi = fake_program(tmp_path / "a", "vi", "VIM - Vi IMproved 9.0")
    nvi = fake_program(tmp_path / "b", "vi", "nvi version 1.81.6")
    busybox = fake_program(tmp_path / "c", "busybox", "BusyBox v1.36")
    (tmp_path / "c" / "vi").symlink_to(busybox)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "vi").symlink_to(
        "/usr/bin/nvim"
    )  # a dangling link: still named for what it is
    assert editor.vim_kind(str(vim_as_vi)) == "vim"
    assert editor.vim_kind(str(nvi)) is None and editor.keeps_no_copies([str(nvi)]) == [str(nvi)]
    assert (
        editor.vim_kind(str(tmp_path / "c" / "vi")) is None
    )  # busybox vi takes none of vim's options
    assert editor.vim_kind("/nonexistent/vim") == "vim" and editor.vim_kind("nvim") == "nvim"


# -- real vim, driven by keys as a member would type them ------------------------------------------

VIM = shutil.which("vim")
VIMRC = """set nocompatible
set undofile undodir={home}/.vim/undo
set backup backupdir={home}/.vim/backup// backupskip=
set directory={home}/.vim/swap//
"""
# Search for the subject, yank the line, change the record, save and quit.
KEYS = "/Jane Doe\ryy:%s/Emailed the subject./Phoned the subject./\r:wq\r"


def run_in_terminal(argv: list[str], env: dict[str, str], timeout: float = 60.0) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal (vim wants one), reading its screen until it exits."""
    import pty
    import select
    import subprocess
    import time

    master, slave = pty.openpty()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            screen += chunk
            if not chunk and process.poll() is not None:
                break
        elif process.poll() is not None:
            break
    else:
        process.kill()
    os.close(master)
    return process.wait(timeout=10), screen.decode("utf-8", errors="replace")


@pytest.fixture
def vim_home(private_home: Path) -> Path:
    for sub in ("undo", "backup", "swap"):
        (private_home / ".vim" / sub).mkdir(parents=True)
    (private_home / ".vimrc").write_text(VIMRC.format(home=private_home))
    return private_home


def traces(home: Path) -> dict[str, list[str]]:
    """What vim kept of the record in the member's home: viminfo, undo, backup and swap files."""
    found = {
        sub: sorted(p.name for p in (home / ".vim" / sub).iterdir())
        for sub in ("undo", "backup", "swap")
    }
    viminfo = home / ".viminfo"
    found["viminfo"] = (
        ["Jane Doe"]
        if viminfo.exists() and "Jane Doe" in viminfo.read_text(errors="replace")
        else []
    )
    return found


NONE_KEPT = {"undo": [], "backup": [], "swap": [], "viminfo": []}


@pytest.mark.skipif(VIM is None, reason="vim is not installed (.ci/run installs it)")
def test_stock_vim_with_this_vimrc_keeps_copies_of_what_it_edits(
    vim_home: Path, tmp_path: Path
) -> None:
    """The control for the next test: without cocrec's options the same keys leave the text behind."""
    keys = tmp_path / "vim-keys"
    keys.write_text(KEYS)
    draft = tmp_path / "draft.yaml"
    draft.write_text("name: Jane Doe\naction: Emailed the subject.\n")
    code, _ = run_in_terminal(
        [str(VIM), "-s", str(keys), str(draft)], {**os.environ, "TERM": "xterm"}
    )
    assert code == 0 and "Phoned the subject." in draft.read_text()
    kept = traces(vim_home)
    assert kept["viminfo"] and kept["undo"] and kept["backup"]


@pytest.mark.skipif(VIM is None, reason="vim is not installed (.ci/run installs it)")
def test_cocrec_edit_with_vim_keeps_no_copy_of_the_record(
    vim_home: Path, tmp_path: Path, repo: Any
) -> None:
    import sys

    from .conftest import record

    rid = repo.add(record())
    keys = tmp_path / "vim-keys"
    keys.write_text(KEYS)
    env = {**os.environ, "TERM": "xterm", "EDITOR": f"vim -s {keys}"}
    argv = [
        sys.executable,
        "-m",
        "cocrec",
        "-C",
        str(repo.root),
        "-i",
        str(repo.identity),
        "edit",
        rid,
    ]
    code, screen = run_in_terminal(argv, env)
    assert code == 0, screen
    assert f"{rid}: saved" in screen and "Phoned the subject." in repo("show", rid).stdout
    assert traces(vim_home) == NONE_KEPT
