from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from cocrec.cli import cli


def test_init_scaffolds_a_records_repository(tmp_path: Path) -> None:
    root = tmp_path / "committee"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    for name in ("cocrec.yaml", "members.yaml", "records/index.yaml", ".gitattributes", ".gitignore", ".github/workflows/records.yml"):
        assert (root / name).is_file(), name
    assert not (root / "hooks").exists()  # no hook is taken from the tree: a commit could change it
    assert (root / ".git").is_dir()
    for hook in ("pre-commit", "commit-msg", "pre-merge-commit"):
        path = root / ".git/hooks" / hook
        assert path.stat().st_mode & 0o111 and "exec cocrec hook" in path.read_text()
    hooks_path = subprocess.run(["git", "-C", str(root), "config", "core.hooksPath"], capture_output=True, text=True)
    assert hooks_path.stdout.strip() == ""
    assert "records/*.yaml" in (root / ".gitignore").read_text()


def test_init_twice_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "committee"
    CliRunner().invoke(cli, ["init", str(root)])
    before = (root / "cocrec.yaml").read_bytes()
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 4
    assert "already a cocrec records repository" in result.stderr
    assert (root / "cocrec.yaml").read_bytes() == before


def test_commands_outside_a_records_repository_exit_4(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "due"])
    assert result.exit_code == 4
    assert "not a cocrec records repository" in result.stderr
    assert "Traceback" not in result.output
