"""Only the repository's layout is committed, and no plaintext anywhere (SPEC section 8): the pre-commit
hook refuses, and `check --no-decrypt` reports, a file outside the layout and `extra_files`, a file that
reads as a record, and (with a key) a file that holds someone's identifier."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cocrec import yaml_io

from .conftest import AS_OF, Cocrec, Person, record


def git(repo: Cocrec, *args: str, identity: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COCREC_IDENTITY": str(identity) if identity else "",
        "COCREC_ALLOW_UNCHECKED_COMMIT": "1",
    }
    if identity is None:
        env.pop("COCREC_IDENTITY")
    return subprocess.run(
        ["git", "-C", str(repo.root), *args], capture_output=True, text=True, env=env
    )


def commit(repo: Cocrec, identity: Path | None, *paths: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-f", *paths)
    return git(repo, "commit", "-m", "Add notes", identity=identity)


def keyless_errors(repo: Cocrec) -> list[str]:
    result = Cocrec(repo.root, None)("check", "--no-decrypt", "--as-of", AS_OF)
    return [line for line in result.stdout.splitlines() if line.startswith("error: ")]


def test_a_draft_record_in_the_root_is_refused_and_reported(repo: Cocrec, alice: Person) -> None:
    repo.add(record())
    git(repo, "add", "-A")
    assert git(repo, "commit", "-qm", "Start", "--no-verify").returncode == 0
    (repo.root / "draft.yaml").write_text(yaml_io.dumps(record()))  # `cp draft.yaml .`
    for identity in (alice.identity, None):
        refused = commit(repo, identity, "draft.yaml")
        assert refused.returncode != 0
        assert (
            "cocrec pre-commit: draft.yaml: holds what reads as a plaintext record"
            in refused.stderr
        )
        assert "cocrec pre-commit: draft.yaml: not part of a records repository" in refused.stderr
        assert "Jane" not in refused.stderr
    git(repo, "commit", "-qm", "Sneak it in", "--no-verify")
    errors = keyless_errors(repo)
    assert any(
        e.startswith("error: draft.yaml: holds what reads as a plaintext record") for e in errors
    )


def test_show_output_saved_as_notes_is_refused(repo: Cocrec, alice: Person) -> None:
    rid = repo.add(record())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Start", "--no-verify")
    (repo.root / "case-notes.yaml").write_text(repo("show", rid).stdout)
    refused = commit(repo, alice.identity, "case-notes.yaml")
    assert (
        refused.returncode != 0
        and "case-notes.yaml: holds what reads as a plaintext record" in refused.stderr
    )


def test_an_identifier_in_an_allowed_file_is_refused_with_a_key(
    repo: Cocrec, alice: Person
) -> None:
    rid = repo.add(record())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Start", "--no-verify")
    (repo.root / "README.md").write_text("Committee notes: write to jane@example.org about it.\n")
    refused = commit(repo, alice.identity, "README.md")
    assert refused.returncode != 0
    assert (
        f"cocrec pre-commit: README.md: holds a subject's email of record {rid}" in refused.stderr
    )
    assert "jane@" not in refused.stderr
    (repo.root / "README.md").write_text("Committee notes: nothing personal here.\n")
    assert (
        commit(repo, alice.identity, "README.md").returncode == 0
    )  # README.md is in init's extra_files


def test_check_with_a_key_finds_an_identifier_committed_in_an_allowed_file(
    repo: Cocrec, alice: Person
) -> None:
    """What slipped past the hook (committed with --no-verify): `check` finds it too, naming the
    record and the kind of identifier, never the value; a file naming nobody passes."""
    rid = repo.add(record())
    other = repo.add(record(subjects=[{"name": "Kim Roe", "emails": ["kim.roe+coc@example.org"]}]))
    (repo.root / "README.md").write_text("Committee notes: write to Jane@Example.org about it.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Start", "--no-verify")
    checked = repo("check", "--as-of", "2026-12-01")
    assert checked.exit_code == 1
    assert f"README.md: holds a subject's email of record {rid}" in checked.stdout
    assert f"holds a subject's email of record {other}" not in checked.stdout
    assert "jane@" not in checked.stdout.casefold()
    (repo.root / "README.md").write_text("Committee notes: nothing personal here.\n")
    git(repo, "commit", "-qam", "Reword", "--no-verify")
    assert "README.md" not in repo("check", "--as-of", "2026-12-01").stdout


def test_extra_files_let_the_committees_own_files_in(repo: Cocrec, alice: Person) -> None:
    repo.add(record())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Start", "--no-verify")
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "process.md").write_text("How we handle reports.\n")
    refused = commit(repo, alice.identity, "docs/process.md")
    assert (
        refused.returncode != 0
        and "docs/process.md: not part of a records repository" in refused.stderr
    )
    policy = repo.root / "cocrec.yaml"
    policy.write_text(
        policy.read_text().replace(
            "extra_files:\n  - README.md\n", "extra_files:\n  - README.md\n  - docs/**\n"
        )
    )
    assert repo("adopt", "--yes").exit_code == 0
    assert (
        commit(repo, alice.identity, "cocrec.yaml", "trust.yaml", "docs/process.md").returncode == 0
    )
    assert not any("docs/" in e for e in keyless_errors(repo))


def test_anything_tracked_under_workspace_is_reported(repo: Cocrec) -> None:
    repo.add(record())
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace" / "note.txt").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "add", "-f", "workspace/note.txt")
    git(repo, "commit", "-qm", "Start", "--no-verify")
    assert any(
        e.startswith(
            "error: workspace/note.txt: plaintext from `cocrec open` must never be committed"
        )
        for e in keyless_errors(repo)
    )
