"""The CI workflow `cocrec init` installs: its triggers, and its check step run for real with bash.

The `pip install` step is replaced by the cocrec under test (a `cocrec` and a
`python` on PATH that run this interpreter); the check step's script is run
as GitHub runs a `shell: bash` step, in a records repository made by
`cocrec init`, with no key anywhere. Record dates are far in the past or
never due, so the result does not depend on the day the test runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocrec import yaml_io

from .conftest import Cocrec, outcome, record

WORKFLOW = ".github/workflows/records.yml"
CHECK_STEP = "cocrec check --no-decrypt"
PERSONAL = (
    "Jane",
    "Doe",
    "jane@example.org",
    "janedoe",
    "example.org/~jane",
    "Sam Reporter",
    "sam@example.org",
)


def workflow(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml_io.loads((root / WORKFLOW).read_bytes(), WORKFLOW)
    return doc


def step(root: Path, name: str) -> dict[str, Any]:
    steps = workflow(root)["jobs"]["check"]["steps"]
    found: list[dict[str, Any]] = [s for s in steps if s.get("name") == name]
    assert len(found) == 1, steps
    return found[0]


def shim_bin(tmp_path: Path) -> Path:
    """`cocrec` and `python` running the interpreter under test, instead of the workflow's pip install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (
        ("cocrec", f'exec "{sys.executable}" -m cocrec "$@"'),
        ("python", f'exec "{sys.executable}" "$@"'),
    ):
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{command}\n")
        path.chmod(0o755)
    return bin_dir


@dataclass
class Job:
    code: int
    log: str
    summary: str


def run_step(
    root: Path, tmp_path: Path, name: str, bin_dir: Path, extra: dict[str, str] | None = None
) -> Job:
    """Run one step's `run:` as GitHub does for `shell: bash` (bash --noprofile --norc -eo pipefail)."""
    spec = step(root, name)
    assert spec.get("shell") == "bash"
    script = tmp_path / "step.sh"
    script.write_text(spec["run"])
    home = tmp_path / "ci-home"
    home.mkdir(exist_ok=True)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = tmp_path / "summary.md"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),  # no identity file, no COCREC_IDENTITY: CI holds no key
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
        # an unset repository variable expands to an empty string on GitHub
        **{
            k: "" if str(v).startswith("${{ vars.") else str(v)
            for k, v in (spec.get("env") or {}).items()
        },
        **(extra or {}),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Job(
        done.returncode, done.stdout + done.stderr, summary.read_text() if summary.exists() else ""
    )


def assert_no_personal_data(*texts: str) -> None:
    for text in texts:
        leaked = [value for value in PERSONAL if value.lower() in text.lower()]
        assert not leaked, (leaked, text)


def test_the_workflow_runs_on_push_pull_requests_and_daily(repo: Cocrec) -> None:
    doc = workflow(repo.root)
    triggers = doc["on"]
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert (
        triggers["push"] is None and triggers["pull_request"] is None
    )  # every branch, every pull request
    [cron] = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (
        (day, month, weekday) == ("*", "*", "*") and minute.isdigit() and hour.isdigit()
    )  # once a day
    assert doc["permissions"] == {"contents": "read"}
    assert "cocrec check --no-decrypt" in step(repo.root, CHECK_STEP)["run"]
    text = (repo.root / WORKFLOW).read_text()
    assert "secrets." not in text and "IDENTITY" not in text  # CI never holds a member's key


def test_the_install_step_takes_its_spec_from_a_repository_variable(
    repo: Cocrec, tmp_path: Path
) -> None:
    spec = step(repo.root, "Install cocrec")
    assert spec["env"] == {"COCREC_PIP_SPEC": "${{ vars.COCREC_PIP_SPEC }}"}
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/pip-args"\n')
    (bin_dir / "python").chmod(0o755)
    # GitHub expands an unset variable to an empty string: the default applies
    assert (
        run_step(repo.root, tmp_path, "Install cocrec", bin_dir, {"COCREC_PIP_SPEC": ""}).code == 0
    )
    assert (tmp_path / "pip-args").read_text().strip() == "-m pip install cocrec"
    custom = "git+https://example.org/committee/cocrec@v0.1.0"
    assert (
        run_step(repo.root, tmp_path, "Install cocrec", bin_dir, {"COCREC_PIP_SPEC": custom}).code
        == 0
    )
    assert (tmp_path / "pip-args").read_text().strip() == f"-m pip install {custom}"


def test_an_overdue_record_fails_the_job_and_the_summary_lists_its_id(
    repo: Cocrec, tmp_path: Path, keys_dir: Path
) -> None:
    overdue = repo.add(
        record(reported_on="2020-01-05", outcome=outcome("no-violation", "2020-01-10"))
    )
    kept = repo.add(
        record(
            reported_on="2020-02-01",
            outcome=outcome("banned", "2020-02-10", ban={"permanent": True}),
        )
    )
    shutil.rmtree(keys_dir)
    job = run_step(repo.root, tmp_path, CHECK_STEP, shim_bin(tmp_path))
    assert job.code == 1, job.log
    assert "## cocrec check --no-decrypt: FAILED" in job.summary
    assert f"| {overdue} | 2020-01-10 |" in job.summary
    assert kept not in job.summary
    assert (
        f"error: records/{overdue}.yaml.age: an expunge step is overdue since 2020-01-10" in job.log
    )
    assert_no_personal_data(job.summary, job.log)
    assert not list(repo.root.glob("*.json"))  # nothing written into the checkout


def test_a_stale_open_case_is_listed_too(repo: Cocrec, tmp_path: Path, keys_dir: Path) -> None:
    stale = repo.add(record(reported_on="2020-03-01"))
    shutil.rmtree(keys_dir)
    job = run_step(repo.root, tmp_path, CHECK_STEP, shim_bin(tmp_path))
    assert job.code == 1
    assert f"| {stale} | 2020-03-01 |" in job.summary and "Stale open cases" in job.summary
    assert_no_personal_data(job.summary, job.log)


def test_a_clean_repository_passes(repo: Cocrec, tmp_path: Path, keys_dir: Path) -> None:
    repo.add(
        record(
            reported_on="2020-02-01",
            outcome=outcome("banned", "2020-02-10", ban={"permanent": True}),
        )
    )
    shutil.rmtree(keys_dir)
    job = run_step(repo.root, tmp_path, CHECK_STEP, shim_bin(tmp_path))
    assert job.code == 0, job.log
    assert "## cocrec check --no-decrypt: passed" in job.summary
    assert "1 record(s) checked" in job.summary and "0 error(s)" in job.summary
    assert "Overdue" not in job.summary


def test_when_check_cannot_run_the_job_fails_and_the_summary_names_nothing(
    repo: Cocrec, tmp_path: Path
) -> None:
    (repo.root / "records/Jane-Doe.yaml.age").write_text("not a record\n")
    job = run_step(repo.root, tmp_path, CHECK_STEP, shim_bin(tmp_path))
    assert job.code == 1
    assert "could not run (exit 1)" in job.summary
    assert_no_personal_data(job.summary)
    assert (
        "records/Jane-Doe.yaml.age" in job.log
    )  # the one-line error, in the log, names the file to fix
