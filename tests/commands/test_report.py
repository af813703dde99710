from __future__ import annotations

import re
import unicodedata

from cocrec.matcher import fold_text

from ..conftest import Cocrec, outcome, record
from .scenario import AS_OF, PII, add_all


def report(repo: Cocrec, year: str, fmt: str = "md", *extra: str) -> str:
    result = repo("report", "--year", year, "--format", fmt, "--as-of", AS_OF, *extra)
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
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in text.splitlines()
        if re.match(r"\| 20\d\d ", line)
    }
    assert list(rows) == ["2024", "2025", "2026"]
    # 2026: 6 reports, 6 people named, 4 actions by the committee; everything else below 3
    assert rows["2026"] == ["6", "6", "4", "<3", "<3", "<3", "<3", "<3", "<3", "<3"]
    assert rows["2024"] == ["<3"] * 10
    assert "| Year | Reports | People named |" in text


def test_min_cell_comes_from_the_policy(repo: Cocrec) -> None:
    add_all(repo)
    policy = repo.root / "cocrec.yaml"
    policy.write_text(policy.read_text().replace("min_cell: 3", "min_cell: 2"))
    assert (
        repo("adopt", "--yes").exit_code == 0
    )  # a policy edited by hand counts once a member signs it
    text = report(repo, "2026")
    row = next(line for line in text.splitlines() if line.startswith("| 2026 "))
    assert [c.strip() for c in row.split("|")[2:-1]] == [
        "6",
        "6",
        "4",
        "<2",
        "<2",
        "<2",
        "<2",
        "<2",
        "<2",
        "2",
    ]
    assert "<3" not in text and 'shown as "<2"' in text


def test_no_pii_in_markdown_or_html(repo: Cocrec) -> None:
    add_all(repo)
    for year in ("2024", "2025", "2026"):
        for fmt in ("md", "html"):
            assert_no_pii(report(repo, year, fmt))
            assert_no_pii(report(repo, year, fmt, "--with-summaries"))


def test_by_default_the_report_holds_no_free_text(repo: Cocrec) -> None:
    """Summaries ("... was banned") would give the suppressed counts back."""
    add_all(repo)
    for fmt in ("md", "html"):
        text = report(repo, "2026", fmt)
        assert "Outcomes in 2026" not in text and "banned;" not in text and "apologised" not in text
        assert "[redacted]" not in text
    assert "## Outcomes in 2026" in report(repo, "2026", "md", "--with-summaries")
    assert "<h2>Outcomes in 2026</h2>" in report(repo, "2026", "html", "--with-summaries")


def test_outcomes_are_listed_only_from_anonymised_shareable_summaries(repo: Cocrec) -> None:
    add_all(repo)
    text = report(repo, "2026", "md", "--with-summaries")
    outcomes = text.split("## Outcomes in 2026", 1)[1]
    assert "- [redacted] apologised; see [redacted]." in outcomes  # a name and a url, both gone
    assert (
        "- [redacted] and [redacted] ([redacted]) were banned; reported by [redacted]." in outcomes
    )
    assert "shouted" not in text and "harassed" not in text  # confidential summaries never appear
    assert "2026-" not in outcomes  # no record ids or dates


def test_a_year_with_few_summaries_lists_none(repo: Cocrec) -> None:
    add_all(repo)
    text = report(repo, "2025", "md", "--with-summaries")  # two outcomes: fewer than min_cell
    assert "Fewer than 3 outcomes have a summary to share" in text
    assert "banned for discriminatory" not in text


def test_html_is_self_contained_with_a_chart_and_print_styles(repo: Cocrec) -> None:
    add_all(repo)
    page = report(repo, "2026", "html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "@media print" in page
    assert "<svg" in page and "<rect" in page and "<table>" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert (
        "http://" not in page
        and "https://" not in page
        and "<script" not in page
        and "<link" not in page
    )
    assert "&lt;3" in page  # suppressed cells, escaped


def test_a_year_without_records_is_a_usage_error(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("resolved")))
    result = repo("report", "--year", "2019")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "cocrec: --year 2019: no records were received in 2019, so there is nothing to report; `cocrec stats` lists the years"
    )
    assert result.stdout == ""


MUELLER = {"name": "José Müller", "emails": ["jose.mueller@example.org"]}
WANG = {"name": "王小明", "emails": ["wang@example.org"]}
LI = {"name": "Li Wei", "emails": ["li.wei@example.org"]}
FORMS = (
    "jose",
    "muller",
    "mueller",
    "王小明",
    "li wei",
    "li",
    "wei",
    "jose.mueller",
    "example.org",
)


def assert_no_form(text: str) -> None:
    """No folded form of a name, its words or an email, as a word (inflected too) or anywhere for Han."""
    folded = fold_text(
        re.sub(r"<style>.*?</style>|<[^>]*>", " ", text, flags=re.S)
    )  # HTML aside ("<li>")
    for form in FORMS:
        if form.isascii():
            assert not re.search(rf"(?<![^\W\d_]){re.escape(form)}(?:e?s)?(?![^\W\d_])", folded), (
                form
            )
        else:
            assert form not in folded, form


def test_no_accent_stripped_nfd_inflected_tagged_or_unspaced_form_is_published(
    repo: Cocrec,
) -> None:
    summaries = [
        "Jose Muller's talk was moved; mail jose.mueller+coc@example.org.",
        unicodedata.normalize("NFD", "José Müller") + " was warned. The Müllers left.",
        "王小明已道歉, and Mueller too.",
        "Li apologised; LI WEI was flagged, as the Muellers know.",
    ]
    for n, summary in enumerate(summaries):
        repo.add(
            record(
                reported_on=f"2026-0{n + 1}-10",
                subjects=[[MUELLER, WANG, LI, MUELLER][n]],
                outcome=outcome("resolved", f"2026-0{n + 1}-20", shareable_summary=summary + "\n"),
            )
        )
    for fmt in ("md", "html"):
        text = report(repo, "2026", fmt, "--with-summaries")
        assert "[redacted]" in text and "apologised" in text
        assert_no_form(text)
