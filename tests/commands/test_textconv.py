"""cocrec textconv: `git diff`, `git log -p` and `git show` show plaintext to a member, a placeholder to anyone else."""

from __future__ import annotations

from pathlib import Path

from ..conftest import Cocrec, Person, record
from ..test_editor import EditorScript
from .test_hooks import git


def committed_and_edited(repo: Cocrec, alice: Person, tmp_path: Path) -> str:
    rid = repo.add(record())
    git(repo, "add", "-A", identity=alice.identity)
    git(repo, "commit", "-m", f"Add {rid}", identity=alice.identity)
    script = EditorScript(tmp_path / "editor").plan(
        {"replace": [["Emailed the subject.", "Emailed the subject twice."]]}
    )
    assert repo("edit", rid, env=script.env).exit_code == 0
    return rid


def test_git_diff_and_log_show_a_member_the_plaintext(
    repo: Cocrec, alice: Person, tmp_path: Path
) -> None:
    rid = committed_and_edited(repo, alice, tmp_path)
    diff = git(repo, "diff", identity=alice.identity).stdout
    assert f"diff --git a/records/{rid}.yaml.age" in diff
    assert (
        "-  description: Emailed the subject.\n+  description: Emailed the subject twice.\n" in diff
    )
    log = git(repo, "log", "-p", identity=alice.identity).stdout
    assert "+  - jane@example.org" in log and "BEGIN AGE ENCRYPTED FILE" not in log
    show = git(
        repo, "show", f"HEAD:records/{rid}.yaml.age", "--textconv", identity=alice.identity
    ).stdout
    assert "name: Sam Reporter" in show


def test_someone_without_a_key_sees_a_placeholder_naming_the_version(
    repo: Cocrec, alice: Person, carol: Person, tmp_path: Path
) -> None:
    rid = committed_and_edited(repo, alice, tmp_path)
    for identity, why in (
        (carol.identity, "not encrypted to your key"),
        (None, "no key available"),
    ):
        diff = git(repo, "diff", identity=identity)
        assert diff.returncode == 0
        lines = [line for line in diff.stdout.splitlines() if line.startswith(("-#", "+#"))]
        assert len(lines) == 2 and all(
            f"# cocrec: encrypted record ({why}), sha256 " in line for line in lines
        )
        assert lines[0][-16:] != lines[1][-16:]  # the two versions differ, visibly
        assert "Jane" not in diff.stdout and "Traceback" not in diff.stderr
    assert rid in git(repo, "log", "-p", "--stat", identity=None).stdout


def test_textconv_never_fails(repo: Cocrec, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.age"
    garbage.write_bytes(b"-----BEGIN AGE ENCRYPTED FILE-----\nnot base64!\n")
    result = repo("textconv", str(garbage))
    assert result.exit_code == 0 and result.stdout.startswith(
        "# cocrec: encrypted record (not a valid age file), sha256 "
    )
    missing = repo("textconv", str(tmp_path / "missing.age"))
    assert missing.exit_code == 0 and missing.stdout.strip() == "# cocrec: unreadable file"


def test_setup_is_idempotent_and_never_lets_git_cache_plaintext(repo: Cocrec) -> None:
    result = repo("setup")
    assert result.exit_code == 0 and result.stdout.strip() == "git already set up for cocrec"
    config = git(repo, "config", "--local", "--list", identity=None).stdout
    assert "diff.cocrec.textconv=cocrec textconv" in config
    assert "diff.cocrec.cachetextconv=false" in config
    assert "merge.cocrec-index.driver=cocrec hook merge-index %O %A %B" in config
    git(repo, "config", "--local", "diff.cocrec.cachetextconv", "true", identity=None)
    assert repo("setup").stdout.strip() == "set diff.cocrec.cachetextconv"
