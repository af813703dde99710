"""The README documents every command, and every command explains itself (--help)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cocrec.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def all_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += all_commands(command, f"{full} ")
        else:
            found.append((full, command))
    return found


@pytest.mark.parametrize(
    "name, command", all_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and len(command.help) > 15, name
    assert f"cocrec {name}" in README, f"README.md does not mention `cocrec {name}`"
    result = CliRunner().invoke(cli, name.split() + ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 1 for b in blocks)
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_readme_says_what_a_former_member_keeps() -> None:
    assert "stays readable" in README
