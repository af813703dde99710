"""cocrec open / cocrec seal: plaintext in the git-ignored workspace/, sealed back only when everything validates."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from cocrec import yaml_io
from cocrec.store import Store

from ..conftest import Cocrec, Person, record
from ..test_editor import EditorScript


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def records_only(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.startswith("workspace/")}


def test_open_decrypts_into_a_private_ignored_workspace(repo: Cocrec) -> None:
    one, two = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    result = repo("open")
    assert result.exit_code == 0, result.output
    assert "opened 2 record(s) in workspace/" in result.stdout and "cocrec seal" in result.stdout
    workspace = repo.root / "workspace"
    assert mode(workspace) == 0o700
    for rid in (one, two):
        assert mode(workspace / f"{rid}.yaml") == 0o600
        assert f"id: {rid}" in (workspace / f"{rid}.yaml").read_text()
    manifest = (workspace / ".cocrec-open.yaml").read_text()
    assert mode(workspace / ".cocrec-open.yaml") == 0o600
    assert one in manifest and "Jane" not in manifest and "example.org" not in manifest
    status = subprocess.run(
        ["git", "-C", str(repo.root), "status", "--porcelain", "--ignored"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "!! workspace/" in status.stdout


def test_check_warns_while_plaintext_sits_in_the_workspace(repo: Cocrec) -> None:
    repo.add(record())
    repo("open")
    result = repo("check", "--as-of", "2026-07-01")
    assert result.exit_code == 0
    assert (
        "warning: workspace: 1 plaintext file(s) opened and not sealed: run `cocrec seal`"
        in result.stdout
    )


def test_seal_with_nothing_changed_writes_nothing_and_removes_the_plaintext(repo: Cocrec) -> None:
    repo.add(record())
    before = repo.files()
    repo("open")
    result = repo("seal")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip() == "sealed: 0 record(s) re-encrypted, 1 unchanged; workspace/ removed"
    )
    assert repo.files() == before
    assert not (repo.root / "workspace").exists()


def test_seal_reencrypts_only_what_changed(repo: Cocrec) -> None:
    one, two = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    before = repo.files()
    repo("open")
    path = repo.root / "workspace" / f"{one}.yaml"
    path.write_text(path.read_text().replace("Emailed the subject.", "Emailed the subject twice."))
    result = repo("seal")
    assert result.exit_code == 0, result.output
    assert "sealed: 1 record(s) re-encrypted, 1 unchanged" in result.stdout
    after = repo.files()
    assert after[f"records/{one}.yaml.age"] != before[f"records/{one}.yaml.age"]
    assert after[f"records/{two}.yaml.age"] == before[f"records/{two}.yaml.age"]
    assert "Emailed the subject twice." in repo("show", one).stdout
    assert repo("check", "--as-of", "2026-07-01").exit_code == 0


def test_seal_refuses_everything_when_anything_is_invalid_and_keeps_the_plaintext(
    repo: Cocrec,
) -> None:
    one, two = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    repo("open")
    workspace = repo.root / "workspace"
    good, bad = workspace / f"{one}.yaml", workspace / f"{two}.yaml"
    good.write_text(good.read_text().replace("europe", "online"))
    bad.write_text(bad.read_text().replace("region: europe", "region: mars"))
    (workspace / "new-broken.yaml").write_text("reported_on: [2026\n")
    before = repo.files()
    result = repo("seal")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        f"error: workspace/{two}.yaml: region: not one of the regions in cocrec.yaml"
        in result.stderr
    )
    assert (
        "error: workspace/new-broken.yaml: line 1: malformed YAML; a [ or { that is not closed"
        in result.stderr
    )
    assert (
        lines[-1]
        == "cocrec: nothing was sealed: fix the 2 problem(s) above in workspace/, then run `cocrec seal` again"
    )
    assert "Jane" not in result.output and "mars" not in result.output
    assert repo.files() == before  # plaintext kept, nothing re-encrypted


def test_a_new_file_becomes_a_new_record_and_other_names_are_refused(repo: Cocrec) -> None:
    repo.add(record())
    repo("open")
    workspace = repo.root / "workspace"
    (workspace / "new-from-the-conference.yaml").write_text(
        yaml_io.dumps(record(reported_on="2026-09-09"))
    )
    (workspace / "notes.yaml").write_text("a: 1\n")
    (workspace / "2026-zzzz.yaml").write_text("a: 1\n")
    refused = repo("seal")
    assert refused.exit_code == 1
    assert (
        "error: workspace/notes.yaml: not a record id: name a new record new-<anything>.yaml"
        in refused.stderr
    )
    assert (
        "error: workspace/2026-zzzz.yaml: not opened with `cocrec open`: to add it as a new record, rename it new-2026-zzzz.yaml"
        in refused.stderr
    )
    (workspace / "notes.yaml").unlink()
    (workspace / "2026-zzzz.yaml").unlink()
    sealed = repo("seal")
    assert sealed.exit_code == 0, sealed.output
    first = sealed.stdout.splitlines()[0]
    assert first.endswith(": new record (from workspace/new-from-the-conference.yaml)")
    rid = first.split(":")[0]
    assert "reported_on: 2026-09-09" in repo("show", rid).stdout
    assert "sealed: 1 record(s) re-encrypted, 1 unchanged" in sealed.stdout


def test_editor_leftovers_go_with_the_workspace(repo: Cocrec) -> None:
    rid = repo.add(record())
    repo("open")
    workspace = repo.root / "workspace"
    (workspace / f".{rid}.yaml.swp").write_bytes(b"swap")
    (workspace / f"{rid}.yaml~").write_bytes(b"backup")
    assert repo("seal").exit_code == 0
    assert not workspace.exists()


def test_a_record_changed_since_it_was_opened_is_not_sealed(
    repo: Cocrec, bob: Person, tmp_path: Path
) -> None:
    rid = repo.add(record())
    repo("open")
    mine = repo.root / "workspace" / f"{rid}.yaml"
    mine.write_text(mine.read_text().replace("Emailed the subject.", "Alice's change."))
    theirs = EditorScript(tmp_path / "bob-editor").plan(
        {"replace": [["Emailed the subject.", "Bob's change."]]}
    )
    assert repo.as_(bob)("edit", rid, env=theirs.env).exit_code == 0
    before = repo.files()
    result = repo("seal")
    assert result.exit_code == 4
    assert f"{rid}: changed by someone else since `cocrec open`" in result.stderr
    assert "Alice's change" not in result.output
    assert repo.files() == before and "Alice's change." in mine.read_text()


def test_opening_again_keeps_unsealed_edits(repo: Cocrec) -> None:
    one = repo.add(record())
    repo("open", one)
    path = repo.root / "workspace" / f"{one}.yaml"
    path.write_text(path.read_text().replace("europe", "online"))
    two = repo.add(record(reported_on="2026-06-05"))
    result = repo("open")
    assert (
        "opened 1 record(s)" in result.stdout
        and f"already open, left as they are: {one}" in result.stdout
    )
    assert "region: online" in path.read_text()
    assert (repo.root / "workspace" / f"{two}.yaml").exists()
    assert repo("seal").exit_code == 0
    assert "region: online" in repo("show", one).stdout


def test_open_refuses_when_git_would_not_ignore_the_workspace(repo: Cocrec) -> None:
    repo.add(record())
    gitignore = repo.root / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("workspace/\n", ""))
    result = repo("open")
    assert result.exit_code == 4
    assert "workspace/ is not ignored by git" in result.stderr
    assert not (repo.root / "workspace").exists()


def test_open_unknown_id_and_seal_without_workspace(repo: Cocrec) -> None:
    assert repo("open", "2026-zzzz").exit_code == 2
    assert not (repo.root / "workspace").exists()
    result = repo("seal")
    assert result.exit_code == 0 and "nothing to seal" in result.stdout


def test_open_without_a_key_writes_nothing(repo: Cocrec, tmp_path: Path) -> None:
    repo.add(record())
    result = Cocrec(repo.root, tmp_path / "missing.txt")("open")
    assert result.exit_code == 3
    assert not (repo.root / "workspace").exists()
    assert records_only(repo.files()) == repo.files()


def test_a_file_left_as_opened_keeps_the_record_someone_else_changed(
    repo: Cocrec, bob: Person, tmp_path: Path
) -> None:
    one, two = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    repo("open")
    mine = repo.root / "workspace" / f"{one}.yaml"
    mine.write_text(mine.read_text().replace("europe", "online"))
    theirs = EditorScript(tmp_path / "bob-editor").plan(
        {"replace": [["Emailed the subject.", "Bob's change."]]}
    )
    assert repo.as_(bob)("edit", two, env=theirs.env).exit_code == 0
    result = repo("seal")
    assert result.exit_code == 0, result.output
    assert "sealed: 1 record(s) re-encrypted, 1 unchanged" in result.stdout
    assert (
        "Bob's change." in repo("show", two).stdout and "region: online" in repo("show", one).stdout
    )


@pytest.mark.parametrize("where", ["before encrypting", "after writing"])
def test_a_seal_interrupted_anywhere_is_finished_by_running_it_again(
    repo: Cocrec, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    one = repo.add(record())
    repo("open")
    mine = repo.root / "workspace" / f"{one}.yaml"
    mine.write_text(mine.read_text().replace("europe", "online"))
    (repo.root / "workspace" / "new-report.yaml").write_text(
        yaml_io.dumps(record(reported_on="2026-06-10"))
    )

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        if where == "before encrypting":
            patched.setattr(Store, "save", interrupt)
        else:
            patched.setattr("cocrec.commands.seal.shutil.rmtree", interrupt)
        assert repo("seal").exit_code == 130
    assert not list((repo.root / "workspace").glob("new-*.yaml"))  # claimed: renamed <id>.yaml
    again = repo("seal")
    assert again.exit_code == 0, again.output
    ids = sorted(repo.root.joinpath("records").glob("*.yaml.age"))
    assert len(ids) == 2  # one new record, not two
    assert "region: online" in repo("show", one).stdout
    assert not (repo.root / "workspace").exists()
    checked = repo("check", "--as-of", "2026-07-01")
    assert checked.exit_code == 0, checked.output


# -- nothing in workspace/ is followed through a link ---------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def plaintext_outside_workspace(repo: Cocrec) -> list[str]:
    """Files outside workspace/ (and .git) that hold a subject's name: plaintext that escaped."""
    found = []
    for path in repo.root.rglob("*"):
        parts = path.relative_to(repo.root).parts
        if parts[0] in (".git", "workspace") or path.is_symlink() or not path.is_file():
            continue
        if b"Jane Doe" in path.read_bytes():
            found.append(str(path.relative_to(repo.root)))
    return found


def test_a_committed_workspace_symlink_never_receives_plaintext(repo: Cocrec) -> None:
    """The attack: someone commits workspace/<id>.yaml as a link to ../docs/<id>.yaml."""
    rid = repo.add(record())
    (repo.root / "docs").mkdir()
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace" / f"{rid}.yaml").symlink_to(f"../docs/{rid}.yaml")
    git(repo.root, "add", "-A")
    git(repo.root, "add", "--force", f"workspace/{rid}.yaml")
    git(repo.root, "commit", "-q", "--no-verify", "-m", "Add a link")
    result = repo("open")
    assert result.exit_code == 4
    assert (
        f"workspace/{rid}.yaml: tracked by git" in result.stderr
        and "git rm -r --cached workspace" in result.stderr
    )
    assert (
        not (repo.root / "docs" / f"{rid}.yaml").exists()
        and plaintext_outside_workspace(repo) == []
    )
    git(
        repo.root, "rm", "-q", "--cached", f"workspace/{rid}.yaml"
    )  # no longer tracked, still there
    again = repo("open")
    assert again.exit_code == 4 and f"workspace/{rid}.yaml: a symbolic link" in again.stderr
    assert (
        "Jane" not in again.output and "docs" not in again.output
    )  # it never says where a link points
    assert (
        not (repo.root / "docs" / f"{rid}.yaml").exists()
        and plaintext_outside_workspace(repo) == []
    )


def test_a_link_to_an_existing_file_is_refused_and_the_file_left_as_it_is(repo: Cocrec) -> None:
    rid = repo.add(record())
    target = repo.root / "notes.txt"
    target.write_text("meeting notes\n")
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace" / f"{rid}.yaml").symlink_to("../notes.txt")
    assert repo("open").exit_code == 4
    assert target.read_text() == "meeting notes\n"
    sealed = repo("seal")
    assert (
        sealed.exit_code == 4
        and "a symbolic link" in sealed.stderr
        and "nothing was sealed" in sealed.stderr
    )
    assert (
        target.read_text() == "meeting notes\n"
        and (repo.root / "workspace" / f"{rid}.yaml").is_symlink()
    )


def test_a_workspace_that_is_itself_a_link_is_refused_by_open_and_seal(repo: Cocrec) -> None:
    rid = repo.add(record())
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "keep.md").write_text("kept\n")
    (repo.root / "workspace").symlink_to("docs")
    opened = repo("open")
    assert opened.exit_code == 4 and "workspace: a symbolic link" in opened.stderr
    assert sorted(p.name for p in (repo.root / "docs").iterdir()) == ["keep.md"]
    sealed = repo("seal")
    assert sealed.exit_code == 4 and "workspace: a symbolic link" in sealed.stderr
    assert (repo.root / "docs" / "keep.md").read_text() == "kept\n" and (
        repo.root / "workspace"
    ).is_symlink()
    assert repo("show", rid).exit_code == 0


def test_a_link_swapped_in_after_open_is_not_sealed_through(repo: Cocrec) -> None:
    rid = repo.add(record())
    before = repo.files()
    assert repo("open").exit_code == 0
    mine = repo.root / "workspace" / f"{rid}.yaml"
    outside = repo.root / "elsewhere.yaml"
    outside.write_text(mine.read_text().replace("europe", "online"))
    mine.unlink()
    mine.symlink_to("../elsewhere.yaml")
    result = repo("seal")
    assert result.exit_code == 4
    assert (
        f"error: workspace/{rid}.yaml: a symbolic link" in result.stderr
        and "remove any record text there" in result.stderr
    )
    assert records_only(repo.files()) == records_only(before) | {
        "elsewhere.yaml": outside.read_bytes()
    }
    assert (
        mine.is_symlink() and outside.exists()
    )  # nothing removed through the link, nothing sealed


@pytest.mark.parametrize("kind", ["fifo", "directory", "hard link", "nested link"])
def test_anything_but_a_plain_file_is_refused_before_plaintext_is_written(
    repo: Cocrec, kind: str
) -> None:
    rid, other = repo.add(record()), repo.add(record(reported_on="2026-06-05"))
    workspace = repo.root / "workspace"
    workspace.mkdir(mode=0o700)
    entry = workspace / f"{rid}.yaml"
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "directory":
        entry.mkdir()
    elif kind == "hard link":
        (repo.root / "copy.yaml").write_text("x: 1\n")
        os.link(repo.root / "copy.yaml", entry)
    else:
        (workspace / "sub").mkdir()
        (workspace / "sub" / "x.yaml").symlink_to("../../copy.yaml")
    opened = repo("open", other)  # even a record other than the one in the way
    assert opened.exit_code == 4 and "nothing was opened" in opened.stderr
    assert not (workspace / f"{other}.yaml").exists() and plaintext_outside_workspace(repo) == []
    sealed = repo("seal")  # returns at once: a fifo is never opened to read
    assert sealed.exit_code == 4 and "nothing was sealed" in sealed.stderr
    assert os.path.lexists(entry) or kind == "nested link"


def test_files_are_created_new_and_never_through_a_link(tmp_path: Path) -> None:
    from cocrec import fsutil

    (tmp_path / "dangling").symlink_to("target.yaml")
    directory = fsutil.open_dir_nofollow(tmp_path)
    try:
        with pytest.raises(FileExistsError):
            fsutil.create_exclusive(directory, "dangling", b"plaintext")
        fsutil.create_exclusive(directory, "new.yaml", b"plaintext")
    finally:
        os.close(directory)
    assert not (tmp_path / "target.yaml").exists() and mode(tmp_path / "new.yaml") == 0o600
    (tmp_path / "linked").symlink_to(tmp_path)
    with pytest.raises(fsutil.NotAFile):
        fsutil.open_dir_nofollow(tmp_path / "linked")
    with pytest.raises(fsutil.NotAFile, match="symbolic link"):
        fsutil.read_regular(tmp_path / "dangling")


def test_a_workspace_file_without_its_id_line_is_one_line(repo: Cocrec) -> None:
    rid = repo.add(record())
    repo("open", rid)
    opened = repo.root / "workspace" / f"{rid}.yaml"
    opened.write_text(
        "".join(
            line
            for line in opened.read_text().splitlines(keepends=True)
            if not line.startswith("id:")
        )
    )
    before = repo.files()
    result = repo("seal")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"cocrec: workspace/{rid}.yaml: id: required (a record id")
    assert line.endswith("; nothing was sealed: fix it in workspace/, then run `cocrec seal` again")
    assert repo.files() == before


def test_seal_refuses_a_report_dated_after_its_as_of_date(repo: Cocrec) -> None:
    repo("open")
    (repo.root / "workspace" / "new-later.yaml").write_text(
        yaml_io.dumps(record(reported_on="2026-08-01"))
    )
    before = repo.files()
    result = repo("seal", "--as-of", "2026-07-01")
    assert result.exit_code == 1
    assert (
        "cocrec: workspace/new-later.yaml: reported_on: is after 2026-07-01 (today, or --as-of)"
        in result.stderr
    )
    assert repo.files() == before
    assert repo("seal", "--as-of", "2026-08-01").exit_code == 0
