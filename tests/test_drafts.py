"""A member's typing is never thrown away: edit and new keep what they cannot write, seal survives a rekey.

Kept text lives in .git/cocrec/drafts, encrypted to the member's own key, named by record id or a
random id; the next `edit ID` or `new` resumes it (`--resume`, or yes on a terminal) or drops it
(`--discard-draft`, or no), and says which fields someone else changed meanwhile.
"""

from __future__ import annotations

import os
import pty
from pathlib import Path

import pytest

from cocrec import crypto, drafts
from cocrec.errors import DecryptError

from .commands.test_edit import FILLED, cocrec_process
from .conftest import Cocrec, Person, record
from .test_editor import LOOKED, EditorScript

ALICE_CHANGE = [["Jane Doe sent", "Alice's change: Jane Doe sent"]]


@pytest.fixture
def script(tmp_path: Path) -> EditorScript:
    return EditorScript(tmp_path / "editor")


def drafts_dir(repo: Cocrec) -> Path:
    return repo.root / ".git" / "cocrec" / "drafts"


def kept_text(repo: Cocrec, person: Person, name: str) -> bytes:
    identities = crypto.load_identities([person.identity], lambda _: "")
    return drafts.load(drafts_dir(repo) / name, identities).text


def shown(repo: Cocrec, rid: str) -> str:
    result = repo("show", rid)
    assert result.exit_code == 0, result.output
    return result.stdout


def edited_meanwhile_by(repo: Cocrec, bob: Person, tmp_path: Path, rid: str) -> dict[str, object]:
    """An editor step that, while alice's editor is open, has bob edit the same record (alice holds no lock)."""
    theirs = EditorScript(tmp_path / "bob-editor").plan(
        {"replace": [["Emailed the subject.", "Bob's change."]]}
    )
    return {
        "run": ["cocrec", "-C", str(repo.root), "edit", rid],
        "env": {**theirs.env, "COCREC_IDENTITY": str(bob.identity)},
    }


def test_an_edit_that_lost_to_a_concurrent_change_is_kept_and_resumed(
    repo: Cocrec, alice: Person, bob: Person, script: EditorScript, tmp_path: Path
) -> None:
    rid = repo.add(record())
    lost = repo(
        "edit",
        rid,
        env=script.plan(
            {"replace": ALICE_CHANGE, **edited_meanwhile_by(repo, bob, tmp_path, rid)}
        ).env,
    )
    assert lost.exit_code == 4
    assert (
        f"your text is kept, encrypted to your key, in .git/cocrec/drafts/{rid}.age" in lost.stderr
    )
    assert "Alice's change" not in lost.output and "Alice's change" not in shown(repo, rid)
    # kept under the record's id only, encrypted to alice's key alone: not even bob opens it
    assert sorted(p.name for p in drafts_dir(repo).iterdir()) == [f"{rid}.age"]
    data = (drafts_dir(repo) / f"{rid}.age").read_bytes()
    assert b"Alice" not in data and b"Jane" not in data
    assert b"Alice's change" in kept_text(repo, alice, f"{rid}.age")
    with pytest.raises(DecryptError):
        kept_text(repo, bob, f"{rid}.age")

    # without a terminal, a plain `edit` says what to do and changes nothing
    asked = repo(
        "edit", rid, env=script.plan({"replace": [["Bob's change.", "Bob's change, kept."]]}).env
    )
    assert (
        asked.exit_code == 2
        and f"`cocrec edit {rid} --resume`" in asked.stderr
        and "--discard-draft" in asked.stderr
    )
    assert "changed by someone else since: action_by_committee" in asked.stderr
    assert script.log == [] and (drafts_dir(repo) / f"{rid}.age").exists()

    # resumed: the editor shows alice's text and which field bob changed; she carries his change over
    resumed = repo(
        "edit",
        rid,
        "--resume",
        env=script.plan({"replace": [["Emailed the subject.", "Bob's change."]]}).env,
    )
    assert resumed.exit_code == 0, resumed.output
    (seen,) = script.log
    assert (
        "Alice's change" in seen["text"]
        and "Since then someone else changed: action_by_committee." in seen["text"]
    )
    assert (
        seen["text"].count(f"# cocrec edit {rid}:") == 1
    )  # cocrec's comments once, not once per keep
    after = shown(repo, rid)
    assert "Alice's change" in after and "Bob's change." in after
    assert not (drafts_dir(repo) / f"{rid}.age").exists()


def test_a_declined_fix_keeps_the_text_and_a_discarded_draft_is_gone(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    before = repo.files()
    master, slave = pty.openpty()
    try:
        os.write(master, b"n\n")  # "Re-open the editor to fix it?" no
        steps = {"replace": [*ALICE_CHANGE, ["region: europe", "region: mars"]]}
        process = cocrec_process(repo, alice.identity, script.plan(steps), "edit", rid, stdin=slave)
        _, err = process.communicate(timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 1
    assert (
        b"Re-open the editor to fix it? [Y/n]" in err
        and f"`cocrec edit {rid} --resume` continues it".encode() in err
    )
    assert repo.files() == before
    assert b"region: mars" in kept_text(repo, alice, f"{rid}.age")

    fixed = repo(
        "edit",
        rid,
        "--resume",
        env=script.plan({"replace": [["region: mars", "region: online"]]}).env,
    )
    assert fixed.exit_code == 0, fixed.output
    assert (
        "no changes" not in fixed.stdout
        and "the record has not changed since" in script.log[0]["text"]
    )
    assert "Alice's change" in shown(repo, rid) and "online" in shown(repo, rid)

    # kept again, then discarded: the editor opens on the record as it is
    repo("edit", rid, env=script.plan({"replace": [["region: online", "region: mars"]]}).env)
    assert (drafts_dir(repo) / f"{rid}.age").exists()
    discarded = repo(
        "edit",
        rid,
        "--discard-draft",
        env=script.plan({"replace": [["region: online", "region: europe"]]}).env,
    )
    assert discarded.exit_code == 0, discarded.output
    assert "is discarded" in discarded.stderr and "region: mars" not in script.log[0]["text"]
    assert list(drafts_dir(repo).iterdir()) == []


def test_a_new_record_that_cannot_be_written_is_kept_and_resumed(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    before = repo.files()
    refused = repo(
        "new", env=script.plan({"replace": FILLED[:3]}).env
    )  # private reporter, nobody handling it
    assert refused.exit_code == 1 and "no record was made; your text is kept" in refused.stderr
    assert repo.files() == before
    (name,) = [p.name for p in drafts_dir(repo).iterdir()]
    assert (
        name.startswith("new-") and name.endswith(".age") and len(name) == len("new-01234567.age")
    )
    assert b"region: online" in kept_text(repo, alice, name)

    asked = repo("new", env=script.plan({"replace": FILLED[3:]}).env)
    assert asked.exit_code == 2 and "`cocrec new --resume`" in asked.stderr and script.log == []
    made = repo("new", "--resume", env=script.plan({"replace": FILLED[3:]}).env)
    assert made.exit_code == 0, made.output
    assert "region: online" in script.log[0]["text"]  # what was typed before
    text = shown(repo, made.stdout.strip())
    assert "Alex Example" in text and "online" in text
    assert list(drafts_dir(repo).iterdir()) == []


def test_new_resume_and_discard_are_for_the_editor_only(repo: Cocrec, tmp_path: Path) -> None:
    source = tmp_path / "r.yaml"
    source.write_text("reported_on: 2026-06-04\n")
    result = repo("new", "--from", str(source), "--resume")
    assert result.exit_code == 2 and "not --from" in result.stderr
    both = repo("edit", "2026-aaaa", "--resume", "--discard-draft")
    assert both.exit_code == 2 and "give one of them" in both.stderr


def test_a_rekey_while_records_are_open_strands_nothing(
    repo: Cocrec, alice: Person, carol: Person
) -> None:
    rid = repo.add(record())
    other = repo.add(record(summary="Another report.\n"))
    assert repo("open", rid, other).exit_code == 0
    opened = repo.root / "workspace" / f"{rid}.yaml"
    opened.write_text(opened.read_text().replace("Jane Doe sent", "Alice's change: Jane Doe sent"))
    added = repo(
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-01-01",
        "--yes",
    )
    assert (
        added.exit_code == 0 and "re-encrypted 2 record(s)" in added.stdout
    )  # both files changed, not their text
    sealed = repo("seal")
    assert sealed.exit_code == 0, sealed.output
    assert "1 record(s) re-encrypted, 1 unchanged" in sealed.stdout
    assert "Alice's change" in repo.as_(carol)("show", rid).stdout


def test_a_record_really_changed_while_open_is_still_refused_by_seal(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    assert repo("open", rid).exit_code == 0
    opened = repo.root / "workspace" / f"{rid}.yaml"
    opened.write_text(opened.read_text().replace("Jane Doe sent", "Alice's change: Jane Doe sent"))
    assert (
        repo(
            "edit",
            rid,
            env=script.plan({"replace": [["Emailed the subject.", "Bob's change."]]}).env,
        ).exit_code
        == 0
    )
    refused = repo("seal")
    assert (
        refused.exit_code == 4 and "changed by someone else since `cocrec open`" in refused.stderr
    )
    assert "Alice's change" in opened.read_text()  # the member's text stays where it was typed


def test_an_edit_the_disk_refuses_is_kept_and_written_once_it_can_be(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    from .commands.test_write_failures import unwritable

    rid = repo.add(record())
    before = repo.files()
    with unwritable(repo.root / "records"):
        refused = repo("edit", rid, env=script.plan({"replace": ALICE_CHANGE}).env)
    assert refused.exit_code == 4 and "nothing was replaced" in refused.stderr
    assert f"`cocrec edit {rid} --resume` continues it" in refused.stderr
    assert repo.files() == before
    resumed = repo(
        "edit", rid, "--resume", env=script.plan(LOOKED).env
    )  # looked at it, saved nothing more
    assert resumed.exit_code == 0, resumed.output
    assert "Alice's change" in shown(repo, rid) and list(drafts_dir(repo).iterdir()) == []


def test_on_a_terminal_enter_resumes_the_kept_edit(
    repo: Cocrec, alice: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    kept = repo(
        "edit",
        rid,
        env=script.plan({"replace": [*ALICE_CHANGE, ["region: europe", "region: mars"]]}).env,
    )
    assert (
        kept.exit_code == 1 and "your text is kept" in kept.stderr
    )  # no terminal: the fix is declined
    master, slave = pty.openpty()
    try:
        os.write(master, b"\n")  # "Resume it?" Enter: yes
        process = cocrec_process(
            repo,
            alice.identity,
            script.plan({"replace": [["region: mars", "region: online"]]}),
            "edit",
            rid,
            stdin=slave,
        )
        out, err = process.communicate(timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 0, err.decode()
    assert b"Resume it? (no discards it) [Y/n]" in err and out.decode().strip() == f"{rid}: saved"
    assert "Alice's change" in shown(repo, rid) and not (drafts_dir(repo) / f"{rid}.age").exists()


def test_a_draft_this_identity_cannot_open_says_how_to_drop_it(
    repo: Cocrec, alice: Person, bob: Person, script: EditorScript
) -> None:
    rid = repo.add(record())
    repo(
        "edit", rid, env=script.plan({"replace": [["region: europe", "region: mars"]]}).env
    )  # kept, for alice
    as_bob = repo.as_(bob)
    refused = as_bob(
        "edit",
        rid,
        "--resume",
        env=script.plan({"replace": [["region: mars", "region: online"]]}).env,
    )
    assert (
        refused.exit_code == 3
        and f"drop it with `cocrec edit {rid} --discard-draft`" in refused.stderr
    )
    dropped = as_bob(
        "edit",
        rid,
        "--discard-draft",
        env=script.plan({"replace": [["region: europe", "region: online"]]}).env,
    )
    assert dropped.exit_code == 0, dropped.output


def test_every_message_about_a_kept_draft_names_the_command_to_run(
    repo: Cocrec, script: EditorScript
) -> None:
    rid = repo.add(record())
    repo("edit", rid, env=script.plan({"replace": [["region: europe", "region: mars"]]}).env)
    asked = repo("edit", rid, env=script.plan({"replace": []}).env)
    assert asked.exit_code == 2 and script.log == []
    assert f"`cocrec edit {rid} --discard-draft` to start from the record" in asked.stderr

    kept = repo("new", env=script.plan({"replace": FILLED[:3]}).env)
    assert kept.exit_code == 1 and "`cocrec new --resume` continues it" in kept.stderr
    (first,) = drafts_dir(repo).glob("new-*.age")
    (drafts_dir(repo) / "new-ffffffff.age").write_bytes(first.read_bytes())  # a second one
    dropped = repo("new", "--discard-draft", env=script.plan({"replace": []}).env)
    assert (
        "discarded (1 more after it): the next `cocrec new` offers the next one" in dropped.stderr
    )
    assert len(list(drafts_dir(repo).glob("new-*.age"))) == 1
