"""cocrec edit ID and cocrec new (no --from): a real editor, scripted through $EDITOR."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from ..conftest import Cocrec, Person, record
from ..test_editor import LOOKED, EditorScript


@pytest.fixture
def script(tmp_path: Path) -> EditorScript:
    return EditorScript(tmp_path / "editor")


def cocrec_process(
    repo: Cocrec, identity: Path, script: EditorScript, *args: str, **kwargs: object
) -> subprocess.Popen[bytes]:
    env = {**os.environ, **script.env, "COCREC_IDENTITY": str(identity)}
    return subprocess.Popen(
        ["cocrec", "-C", str(repo.root), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )  # type: ignore[call-overload,no-any-return]


# -- edit -------------------------------------------------------------------------


def test_edit_saves_the_change_and_only_that_record(repo: Cocrec, script: EditorScript) -> None:
    rid, other = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    before = repo.files()
    script.plan({"replace": [["Emailed the subject.", "Emailed and called the subject."]]})
    result = repo("edit", rid, env=script.env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{rid}: saved"
    assert "Emailed and called the subject." in repo("show", rid).stdout
    after = repo.files()
    assert after[f"records/{rid}.yaml.age"] != before[f"records/{rid}.yaml.age"]
    assert after[f"records/{other}.yaml.age"] == before[f"records/{other}.yaml.age"]
    assert after["records/index.yaml"] != before["records/index.yaml"]
    assert repo("check", "--as-of", "2026-07-01").exit_code == 0


def test_the_editor_sees_the_record_in_a_private_file_that_is_gone_afterwards(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    script.plan({"replace": [["Jane Doe sent", "Jane Doe repeatedly sent"]], "swap": True})
    assert repo("edit", rid, env=script.env).exit_code == 0
    (seen,) = script.log
    assert (seen["file_mode"], seen["dir_mode"]) == (0o600, 0o700)
    assert seen["argv"][-1].endswith(f"{rid}.yaml") and f"id: {rid}" in seen["text"]
    assert not Path(seen["dir"]).exists()
    assert not any(repo.root.rglob("*.yaml~")) and not any(repo.root.rglob("*.swp"))


def test_an_unchanged_file_writes_nothing(repo: Cocrec, script: EditorScript) -> None:
    rid = repo.add(record())
    before = repo.files()
    result = repo("edit", rid, env=script.plan(LOOKED).env)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{rid}: no changes, nothing written"
    assert repo.files() == before


def test_an_editor_that_returns_at_once_is_not_taken_for_a_member_who_changed_nothing(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    for command in (["edit", rid], ["new"]):
        result = repo(*command, env=script.plan({}).env)  # `code` without --wait returns at once
        assert result.exit_code == 1
        assert "your editor returned at once: use `code --wait`" in result.stderr
        assert "no changes" not in result.output and "left unchanged" not in result.output
    assert repo.files() == before


def test_a_change_to_comments_or_layout_only_writes_nothing(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    script.plan(
        {
            "replace": [
                ["# cocrec edit", "# my note: cocrec edit"],
                ["region: europe", "region:   europe   "],
            ]
        }
    )
    result = repo("edit", rid, env=script.env)
    assert result.exit_code == 0 and "no changes" in result.stdout
    assert repo.files() == before


def test_a_file_saved_empty_aborts_and_changes_nothing(repo: Cocrec, script: EditorScript) -> None:
    rid = repo.add(record())
    before = repo.files()
    result = repo("edit", rid, env=script.plan({"write": ""}).env)
    assert result.exit_code == 1
    assert "aborted (the file was saved empty)" in result.stderr
    assert repo.files() == before


def test_an_editor_that_crashes_changes_nothing(repo: Cocrec, script: EditorScript) -> None:
    rid = repo.add(record())
    before = repo.files()
    result = repo("edit", rid, env=script.plan({"replace": [["europe", "online"]], "exit": 3}).env)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("exited with status 3: nothing was changed")
    assert repo.files() == before
    assert not Path(script.log[0]["dir"]).exists()


def test_invalid_yaml_without_a_terminal_is_one_line_and_changes_nothing(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    result = repo(
        "edit", rid, env=script.plan({"replace": [["region: europe", "region: [europe"]]}).env
    )
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"cocrec: records/{rid}.yaml.age: line ") and "malformed YAML" in line
    assert "Jane" not in result.output
    assert repo.files() == before
    assert len(script.log) == 1 and not Path(script.log[0]["dir"]).exists()


@pytest.mark.parametrize(
    "old, new, field",
    [("region: europe", "region: mars", "region"), ("id: 2026-", "id: 2025-", "id")],
)
def test_an_invalid_record_is_refused_naming_the_field(
    repo: Cocrec, script: EditorScript, old: str, new: str, field: str
) -> None:
    rid = repo.add(record())
    before = repo.files()
    result = repo("edit", rid, env=script.plan({"replace": [[old, new]]}).env)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"cocrec: records/{rid}.yaml.age: {field}: ")
    assert repo.files() == before


def test_a_link_to_a_record_that_does_not_exist_is_refused(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    link = [
        [
            "  - https://example.org/~jane\n",
            "  - https://example.org/~jane\n  also_in:\n  - 2020-zzzz\n",
        ]
    ]
    result = repo("edit", rid, env=script.plan({"replace": link}).env)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"cocrec: records/{rid}.yaml.age: subjects[0].also_in[0]: no record has this id"
    )


def test_an_unknown_id_is_a_usage_error(repo: Cocrec, script: EditorScript) -> None:
    result = repo("edit", "2026-zzzz", env=script.env)
    assert result.exit_code == 2 and "no such record" in result.stderr
    assert script.log == []


def test_a_record_someone_else_changed_meanwhile_is_not_overwritten(
    repo: Cocrec, bob: Person, script: EditorScript, tmp_path: Path
) -> None:
    rid = repo.add(record())
    theirs = EditorScript(tmp_path / "bob-editor").plan(
        {"replace": [["Emailed the subject.", "Bob's change."]]}
    )
    # While alice's editor is open, bob edits the same record (so alice holds no lock meanwhile).
    bob_edit = {
        "run": ["cocrec", "-C", str(repo.root), "edit", rid],
        "env": {**theirs.env, "COCREC_IDENTITY": str(bob.identity)},
    }
    script.plan({"replace": [["Jane Doe sent", "Alice's change: Jane Doe sent"]], **bob_edit})
    result = repo("edit", rid, env=script.env)
    assert result.exit_code == 4
    (line,) = result.stderr.strip().splitlines()
    assert (
        "changed by someone else while you were editing" in line
        and f"`cocrec edit {rid} --resume` continues it" in line
    )
    assert "Alice's change" not in result.output and "Jane" not in result.output
    shown = repo("show", rid).stdout
    assert "Bob's change." in shown and "Alice's change" not in shown
    assert not Path(script.log[0]["dir"]).exists()


def test_ctrl_c_while_the_editor_is_open_removes_the_plaintext_and_changes_nothing(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    script.plan({"replace": [["europe", "online"]], "sigint": True})
    process = cocrec_process(repo, alice.identity, script, "edit", rid)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert b"interrupted" in err and b"Traceback" not in err
    assert not Path(script.log[0]["dir"]).exists()
    assert repo.files() == before


def test_on_a_terminal_an_error_offers_to_reopen_the_editor(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    script.plan(
        {"replace": [["region: europe", "region: mars"]]},
        {"replace": [["region: mars", "region: online"]]},
    )
    master, slave = pty.openpty()
    try:
        os.write(master, b"y\n")
        process = cocrec_process(repo, alice.identity, script, "edit", rid, stdin=slave)
        out, err = process.communicate(timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 0, err
    assert (
        b"region: not one of the regions" in err and b"Re-open the editor to fix it? [Y/n]" in err
    )
    assert out.decode().strip() == f"{rid}: saved"
    assert len(script.log) == 2 and script.log[1]["text"].startswith("# cocrec error: ")
    assert "region: online" in repo("show", rid).stdout


def test_on_a_terminal_answering_no_leaves_the_record_as_it_was(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    master, slave = pty.openpty()
    try:
        os.write(master, b"n\n")
        process = cocrec_process(
            repo,
            alice.identity,
            script.plan({"replace": [["region: europe", "region: mars"]]}),
            "edit",
            rid,
            stdin=slave,
        )
        _, err = process.communicate(timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 1
    last = (
        err.decode().strip().splitlines()[-1].split("[Y/n] ")[-1]
    )  # a terminal would echo the answer's newline
    assert last.startswith(f"cocrec: records/{rid}.yaml.age: region: ")
    assert repo.files() == before and len(script.log) == 1


# -- new --------------------------------------------------------------------------

FILLED = [
    ["reported_on:", "reported_on: 2026-09-01"],
    ["region:", "region: online"],
    ["  kind:", "  kind: private"],
    ["handled_by:", "handled_by: bob"],
    ["- name:", "- name: Alex Example"],
    ["  usernames: []", "  usernames: [github:alexexample]"],
    ["summary:", "summary: Spam in the chat."],
]


def test_new_opens_the_commented_template_and_prints_the_new_id(
    repo: Cocrec, script: EditorScript
) -> None:
    result = repo("new", env=script.plan({"replace": FILLED}).env)
    assert result.exit_code == 0, result.output
    rid = result.stdout.strip()
    assert rid.startswith("2026-")
    (seen,) = script.log
    assert seen["text"].startswith("# cocrec new: a new incident record.")
    assert "# region (required): where it happened; one of: europe," in seen["text"]
    assert "one of: alice, bob" in seen["text"]
    shown = repo("show", rid).stdout
    assert "handled_by: bob" in shown and "github:alexexample" in shown
    assert (
        "event" not in shown and "reporter:\n  kind: private\n" in shown
    )  # blank fields are left out
    assert not Path(seen["dir"]).exists()


@pytest.mark.parametrize(
    "step, how", [(LOOKED, "left unchanged"), ({"write": "\n# nothing\n"}, "saved empty")]
)
def test_new_with_the_template_left_unchanged_or_emptied_aborts(
    repo: Cocrec, script: EditorScript, step: dict[str, str], how: str
) -> None:
    before = repo.files()
    result = repo("new", env=script.plan(step).env)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"cocrec: aborted (the template was {how}): no record was made"
    assert repo.files() == before


def test_new_with_an_invalid_record_and_no_terminal_makes_nothing(
    repo: Cocrec, script: EditorScript
) -> None:
    before = repo.files()
    result = repo(
        "new", env=script.plan({"replace": FILLED[:3]}).env
    )  # private reporter, nobody handling it
    assert result.exit_code == 1
    assert result.stderr.startswith("cocrec: new record: handled_by: ")
    assert repo.files() == before


def test_new_then_edit_to_close_the_case(repo: Cocrec, script: EditorScript) -> None:
    rid = repo("new", env=script.plan({"replace": FILLED}).env).stdout.strip()
    closing = "action_by_committee: {taken: true}\naction_by_local_rep: {taken: false}\noutcome: {type: resolved, decided_on: 2026-09-10}\n"
    result = repo(
        "edit", rid, env=script.plan({"replace": [["summary:", closing + "summary:"]]}).env
    )
    assert result.exit_code == 0, result.output
    due = repo("due", "--all", "--as-of", "2026-10-01", "--format", "json")
    assert '"2027-11-10"' in due.stdout


def test_edit_refuses_a_report_dated_after_its_as_of_date(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record(acknowledged_on=None))
    before = repo.files()
    result = repo(
        "edit",
        rid,
        "--as-of",
        "2026-08-01",
        env=script.plan({"replace": [["reported_on: 2026-06-04", "reported_on: 2026-09-01"]]}).env,
    )
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"cocrec: records/{rid}.yaml.age: reported_on: is after 2026-08-01 (today, or --as-of): "
        "a report is dated when it was received; fix the date; nothing was written; your text is kept, encrypted "
        f"to your key, in .git/cocrec/drafts/{rid}.age: `cocrec edit {rid} --resume` continues it"
    )
    assert repo.files() == before
