"""The demo committee shipped in this repository works as the README promises, whatever today is."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cocrec.cli import cli

ROOT = Path(__file__).resolve().parent.parent
IDENTITIES = ROOT / "examples" / "demo-identities"
DEMO_DATE = "2026-12-01"


def cocrec(*args: str, identity: str = "ada") -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["-C", str(ROOT), "-i", str(IDENTITIES / f"{identity}.txt"), *args]
    )
    return result.exit_code, result.stdout


def test_quick_start_dashboard_runs_on_the_demo() -> None:
    code, out = cocrec("status", "--as-of", DEMO_DATE)
    assert code == 0
    assert "2026-j5vb" in out  # the open case
    assert "2024-t6gq" in out  # held by its retention.hold


def test_demo_checks_clean_with_and_without_keys() -> None:
    assert cocrec("check", "--as-of", DEMO_DATE)[0] == 0
    result = CliRunner().invoke(
        cli, ["-C", str(ROOT), "check", "--no-decrypt", "--as-of", DEMO_DATE]
    )
    assert result.exit_code == 0, result.stdout


def test_demo_covers_every_outcome_a_chain_an_open_case_and_a_hold() -> None:
    rows = json.loads(cocrec("due", "--all", "--as-of", DEMO_DATE, "--format", "json")[1])
    outcomes = {row["outcome"] for row in rows}
    assert {"no-violation", "unidentified", "resolved", "flagged", "banned"} <= outcomes
    assert any(row["extended_by"] for row in rows)
    assert any(row["status"] == "open" for row in rows)
    assert any(
        step["state"] == "held" for row in rows if row["steps"] for step in row["steps"].values()
    )
    assert any(
        step["state"] == "done" for row in rows if row["steps"] for step in row["steps"].values()
    )


@pytest.mark.parametrize("member", ["ada", "ben", "chidi"])
def test_every_demo_member_opens_every_record_with_plain_age(member: str) -> None:
    for path in sorted((ROOT / "records").glob("*.yaml.age")):
        out = subprocess.run(
            ["age", "-d", "-i", str(IDENTITIES / f"{member}.txt"), str(path)],
            capture_output=True,
            check=True,
        )
        assert out.stdout.startswith(b"id: " + path.name.split(".")[0].encode())


def test_expunged_demo_record_holds_no_removed_name() -> None:
    code, out = cocrec("show", "2024-q3m1", "--as-of", DEMO_DATE)
    assert code == 0
    assert "Tom" not in out and "Brandt" not in out and "Rita" not in out
    assert "expunged: true" in out


def test_demo_identities_are_marked_demo_only() -> None:
    """ssh key files hold nothing but the key (age and ssh refuse anything else), so the notice sits beside them."""
    assert (IDENTITIES / "README.md").read_text().startswith("# Demo identities: DEMO ONLY")
    for path in IDENTITIES.glob("*.txt"):
        assert path.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_the_demo_sheet_imports_into_a_scratch_copy_as_the_readme_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(
        line
        for line in readme.splitlines()
        if line.startswith("python3 examples/make_demo.py --into")
    )
    scratch = tmp_path / "demo"
    built = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_demo.py"), "--into", str(scratch)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    args = shlex.split(command.split("&&", 1)[1])[1:]  # after `cocrec`
    assert args[:2] == ["-C", "/tmp/cocrec-demo"] and args[-1] == "--dry-run"

    def cocrec_in(*extra: str) -> Any:
        argv = ["-C", str(scratch), *args[2:-1], *extra]
        return CliRunner().invoke(
            cli, [str(ROOT / a) if a.startswith("examples/") else a for a in argv]
        )

    preview = cocrec_in("--dry-run")
    assert preview.exit_code == 0, preview.output
    assert "8 record(s) would be imported" in preview.stdout and "override" in preview.stdout
    sheet = (ROOT / "examples" / "spreadsheet.csv").read_text()
    assert "Owen Hartley" in sheet and "Owen" not in preview.output
    done = cocrec_in("--yes")
    assert done.exit_code == 0, done.output
    assert (
        "Imported 8 record(s)" in done.stdout
        and "Already past their date to expunge: row 5" in done.stdout
    )
    rows = {
        row["id"]: row
        for row in json.loads(
            CliRunner()
            .invoke(
                cli,
                [
                    "-C",
                    str(scratch),
                    "-i",
                    str(IDENTITIES / "ada.txt"),
                    "due",
                    "--all",
                    "--as-of",
                    DEMO_DATE,
                    "--format",
                    "json",
                ],
            )
            .stdout
        )
    }
    assert len(rows) == 21
    morgan = rows[
        "2025-b7nc"
    ]  # the demo's flagged record about Morgan Vale, extended by the sheet's later report
    assert morgan["extended_by"] and morgan["steps"]["subjects"]["due"] == "2028-05-03"
    again = cocrec_in("--yes")
    assert again.exit_code == 0 and "Nothing to import" in again.stdout


def test_every_demo_record_has_a_code_name_that_works_as_its_id() -> None:
    rows = json.loads(cocrec("list", "--as-of", DEMO_DATE, "--format", "json")[1])
    names = [row["code_name"] for row in rows]
    assert all(name and len(name.split(" ")) == 2 for name in names) and len(set(names)) == len(
        names
    )
    code, out = cocrec("show", names[0], "--as-of", DEMO_DATE)
    assert code == 0 and f"id: {rows[0]['id']}" in out
