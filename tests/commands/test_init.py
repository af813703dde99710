from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from cocrec.cli import cli


def test_init_scaffolds_a_records_repository(tmp_path: Path) -> None:
    root = tmp_path / "committee"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    for name in (
        "cocrec.yaml",
        "members.yaml",
        "records/index.yaml",
        ".gitattributes",
        ".gitignore",
        ".github/workflows/records.yml",
    ):
        assert (root / name).is_file(), name
    assert not (root / "hooks").exists()  # no hook is taken from the tree: a commit could change it
    assert (root / ".git").is_dir()
    for hook in ("pre-commit", "commit-msg", "pre-merge-commit"):
        path = root / ".git/hooks" / hook
        assert path.stat().st_mode & 0o111 and "exec cocrec hook" in path.read_text()
    hooks_path = subprocess.run(
        ["git", "-C", str(root), "config", "core.hooksPath"], capture_output=True, text=True
    )
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


# -- presets: from init to report ------------------------------------------------------------------

import json  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from cocrec import yaml_io  # noqa: E402

from ..conftest import Cocrec, Person, outcome, record  # noqa: E402

# Per preset: the consequence of each record written (with its outcome), and the report header it gives.
PRESET_CASES: dict[str, tuple[list[tuple[str | None, dict[str, Any]]], str]] = {
    "dsf-2018": (
        [
            (None, outcome("resolved", "2026-03-01")),
            (None, outcome("flagged", "2026-03-01")),
            (None, outcome("no-violation", "2026-03-01")),
        ],
        "| Year | Reports | People named | Action by the committee | Action by local organisers | Open | No violation | Unidentified | Resolved | Flagged | Banned |",
    ),
    "django-2026": (
        [
            ("warning", outcome("resolved", "2026-03-01")),
            ("warning", outcome("flagged", "2026-03-01")),
            ("warning", outcome("resolved", "2026-03-02")),
            ("first-suspension", outcome("banned", "2026-03-01", ban={"until": "2026-06-01"})),
            ("second-suspension", outcome("banned", "2026-03-01", ban={"until": "2026-09-01"})),
            ("ban", outcome("banned", "2026-03-01", ban={"permanent": True})),
            ("out-of-scope", outcome("no-violation", "2026-03-01")),
        ],
        "| Year | Reports | People Named | Actions (DSF) | Actions (Local) | Not a violation | Out of scope | Warned | Suspended | Banned | Other | No Action |",
    ),
    "contributor-covenant-2.1": (
        [
            ("correction", outcome("resolved", "2026-03-01")),
            ("warning", outcome("flagged", "2026-03-01")),
            ("temporary-ban", outcome("banned", "2026-03-01", ban={"until": "2026-06-01"})),
            ("permanent-ban", outcome("banned", "2026-03-01", ban={"permanent": True})),
        ],
        "| Year | Reports | People named | Action by the committee | Action by local organisers | Open | No violation | Correction | Warning | Temporary ban | Permanent ban |",
    ),
}


def preset_repo(tmp_path: Path, preset: str, alice: Person) -> Cocrec:
    root = tmp_path / preset
    result = CliRunner().invoke(cli, ["init", str(root), "--policy", preset])
    assert result.exit_code == 0, result.output
    runner = Cocrec(root, alice.identity)
    assert (
        runner(
            "members",
            "add",
            "alice",
            "--name",
            alice.name,
            "--key",
            alice.public,
            "--since",
            "2024-01-01",
        ).exit_code
        == 0
    )
    return runner


@pytest.mark.parametrize("preset", list(PRESET_CASES))
def test_each_preset_from_init_to_report(tmp_path: Path, alice: Person, preset: str) -> None:
    repo = preset_repo(tmp_path, preset, alice)
    text = (repo.root / "cocrec.yaml").read_text()
    assert (
        text.startswith(f"# cocrec policy, preset {preset}") and "Source:" in text.splitlines()[1]
    )
    assert "deadlines:" in text and "acknowledge: 1" in text
    cases, header = PRESET_CASES[preset]
    for n, (consequence, decided) in enumerate(cases):
        if consequence is not None:
            decided = {**decided, "consequence": consequence}
        subject = [{"name": f"Person {n}", "emails": [f"person{n}@example.org"]}]
        repo.add(record(reported_on="2026-02-01", subjects=subject, outcome=decided))
    checked = repo(
        "check", "--as-of", "2026-03-01"
    )  # decided that day: every deadline met, nothing overdue yet
    assert checked.exit_code == 0, checked.stdout
    report = repo("report", "--year", "2026", "--as-of", "2026-12-01")
    assert report.exit_code == 0, report.output
    assert header in report.stdout
    rows = {
        row["consequence"]: row["reports"]
        for row in json.loads(repo("stats", "--by", "consequence", "--format", "json").stdout)[
            "rows"
        ]
    }
    expected: dict[str, int] = {}
    for consequence, _ in cases:
        expected[consequence or "unspecified"] = expected.get(consequence or "unspecified", 0) + 1
    assert rows == expected


def test_the_django_report_adds_up_suspensions_and_suppresses_small_counts(
    tmp_path: Path, alice: Person
) -> None:
    repo = preset_repo(tmp_path, "django-2026", alice)
    cases, _ = PRESET_CASES["django-2026"]
    for n, (consequence, decided) in enumerate(cases):
        repo.add(
            record(
                reported_on="2026-02-01",
                subjects=[{"name": f"P {n}", "emails": [f"p{n}@example.org"]}],
                outcome={**decided, "consequence": consequence},
            )
        )
    line = next(
        line
        for line in repo("report", "--year", "2026").stdout.splitlines()
        if line.startswith("| 2026 |")
    )
    # reports 7, people 7, actions by us 7 and local 0, not-a-violation 0, out-of-scope 1, warned 3, suspended 2, banned 1, other 0,
    # no action 0
    assert line == "| 2026 | 7 | 7 | 7 | <3 | <3 | <3 | 3 | <3 | <3 | <3 | <3 |"


def test_a_consequence_must_be_the_policy_s_and_fit_the_outcome(
    tmp_path: Path, alice: Person
) -> None:
    repo = preset_repo(tmp_path, "contributor-covenant-2.1", alice)
    before = repo.files()
    for consequence, decided, message in [
        (
            "suspension",
            outcome("banned", "2026-03-01", ban={"until": "2026-06-01"}),
            "not one of the consequences in cocrec.yaml: use one of correction, warning",
        ),
        (
            "correction",
            outcome("flagged", "2026-03-01"),
            "does not go with this outcome: it goes with resolved; use one of warning",
        ),
        (
            "permanent-ban",
            outcome("banned", "2026-03-01", ban={"until": "2026-06-01"}),
            "it goes with banned (a permanent ban); use one of temporary-ban",
        ),
    ]:
        doc = record(reported_on="2026-02-01", outcome={**decided, "consequence": consequence})
        result = repo("new", "--from", "-", input=yaml_io.dumps(doc))
        assert result.exit_code == 1, result.output
        assert "outcome.consequence" in result.stderr and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert repo.files() == before


def test_an_unknown_preset_is_a_usage_error_and_creates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "committee"
    result = CliRunner().invoke(cli, ["init", str(root), "--policy", "llvm-2024"])
    assert result.exit_code == 2
    assert "dsf-2018" in result.output and "Traceback" not in result.output
    assert not root.exists()


def test_dsf_2018_stays_the_default(tmp_path: Path) -> None:
    default, named = tmp_path / "a", tmp_path / "b"
    assert CliRunner().invoke(cli, ["init", str(default)]).exit_code == 0
    assert CliRunner().invoke(cli, ["init", str(named), "--policy", "dsf-2018"]).exit_code == 0
    assert (default / "cocrec.yaml").read_bytes() == (named / "cocrec.yaml").read_bytes()
