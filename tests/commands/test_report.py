from __future__ import annotations

import re

from ..conftest import Cocrec, outcome, record
from .scenario import AS_OF, PII, add_all


def report(repo: Cocrec, year: str, fmt: str = "md") -> str:
    result = repo("report", "--year", year, "--format", fmt, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_no_pii(text: str) -> None:
    folded = text.casefold()
    for value in PII:
        if " " in value or "@" in value or ":" in value or "/" in value:
            assert value.casefold() not in folded, value
        else:
            assert not re.search(rf"\b{re.escape(value)}\b", text, re.IGNORECASE), value
    assert "example.org" not in folded  # no email or url of anyone


def test_markdown_has_the_trend_table_with_small_counts_suppressed(repo: Cocrec) -> None:
    add_all(repo)
    text = report(repo, "2026")
    assert text.startswith("# Code of Conduct transparency report 2026")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in text.splitlines() if re.match(r"\| 20\d\d ", line)}
    assert list(rows) == ["2024", "2025", "2026"]
    # 2026: 6 reports, 6 people named, 4 actions by the committee; everything else below 3
    assert rows["2026"] == ["6", "6", "4", "<3", "<3", "<3", "<3", "<3", "<3", "<3"]
    assert rows["2024"] == ["<3"] * 10
    assert "| Year | Reports | People named |" in text


def test_min_cell_comes_from_the_policy(repo: Cocrec) -> None:
    add_all(repo)
    policy = repo.root / "cocrec.yaml"
    policy.write_text(policy.read_text().replace("min_cell: 3", "min_cell: 2"))
    assert repo("adopt", "--yes").exit_code == 0  # a policy edited by hand counts once a member signs it
    text = report(repo, "2026")
    row = next(line for line in text.splitlines() if line.startswith("| 2026 "))
    assert [c.strip() for c in row.split("|")[2:-1]] == ["6", "6", "4", "<2", "<2", "<2", "<2", "<2", "<2", "2"]
    assert "<3" not in text and 'shown as "<2"' in text


def test_no_pii_in_markdown_or_html(repo: Cocrec) -> None:
    add_all(repo)
    for year in ("2024", "2025", "2026"):
        for fmt in ("md", "html"):
            assert_no_pii(report(repo, year, fmt))


def test_outcomes_are_listed_only_from_anonymised_shareable_summaries(repo: Cocrec) -> None:
    add_all(repo)
    text = report(repo, "2026")
    outcomes = text.split("## Outcomes in 2026", 1)[1]
    assert "- [redacted] apologised; see [redacted]." in outcomes  # a name and a url, both gone
    assert "- [redacted] and [redacted] ([redacted]) were banned; reported by [redacted]." in outcomes
    assert "shouted" not in text and "harassed" not in text  # confidential summaries never appear
    assert "2026-" not in outcomes  # no record ids or dates


def test_a_year_with_few_summaries_lists_none(repo: Cocrec) -> None:
    add_all(repo)
    text = report(repo, "2025")  # two outcomes: fewer than min_cell
    assert "Fewer than 3 outcomes have a summary to share" in text
    assert "banned for discriminatory" not in text


def test_html_is_self_contained_with_a_chart_and_print_styles(repo: Cocrec) -> None:
    add_all(repo)
    page = report(repo, "2026", "html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "@media print" in page
    assert "<svg" in page and "<rect" in page and "<table>" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    assert "&lt;3" in page  # suppressed cells, escaped


def test_a_year_without_records_is_a_usage_error(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("resolved")))
    result = repo("report", "--year", "2019")
    assert result.exit_code == 2
    assert result.stderr.strip() == "cocrec: --year 2019: no records were received in 2019, so there is nothing to report; `cocrec stats` lists the years"
    assert result.stdout == ""
