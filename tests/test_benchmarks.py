"""The benchmark script runs end to end (timings are not tested: benchmarks are not tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_the_benchmark_runs_on_a_tiny_committee() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--records", "20", "--members", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line]
    assert lines[0] == "## 20 records, ssh-ed25519 keys"
    assert lines[1].startswith("20 records, 3 members (+1 joining)")
    assert any(line.startswith("`check`'s peak memory (its largest process): ") for line in lines)
    operations = [
        line.split(" | ")[0].lstrip("| ")
        for line in lines
        if line.startswith("| ") and not line.startswith("| operation")
    ]
    assert operations == [
        "rekey after a member joins (`members add`)",
        "",
        "check (everything, decrypted)",
        "due",
        "stats",
        "rekey --check (no key needed)",
        "screen (3,000 attendees, varied names)",
        "screen (3,000 attendees, every name like a reported one)",
        "`cocrec --help`",
        "`cocrec status` (the demo)",
    ]
    assert all(
        " s |" in line for line in lines if line.startswith("| ") and "operation" not in line
    )
    assert any(line.startswith("- signing every entry: ") for line in lines)
