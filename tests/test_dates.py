"""Dates are read one way only, and within the years cocrec can compute with."""

from __future__ import annotations

import datetime as dt

import pytest

from cocrec import dates


@pytest.mark.parametrize("text", ["2026-06-04"])
def test_an_iso_date_is_read(text: str) -> None:
    assert dates.parse_date(text) == dt.date(2026, 6, 4)


@pytest.mark.parametrize(
    "text",
    ["20260604", "2026-W23-4", "2026-156", "2026-06-04\n", " 2026-06-04", "04/06/2026", "2026-6-4"],
)
def test_only_yyyy_mm_dd_is_a_date(text: str) -> None:
    with pytest.raises(ValueError, match="written YYYY-MM-DD"):
        dates.parse_date(text)


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("1900-01-01", True),
        ("2199-12-31", True),
        ("1899-12-31", False),
        ("2200-01-01", False),
        ("9999-12-31", False),
    ],
)
def test_dates_run_from_1900_to_2199(text: str, inside: bool) -> None:
    assert dates.in_range(dates.parse_date(text)) is inside
    if inside:
        assert dates.parse_bounded(text) == dates.parse_date(text)
    else:
        with pytest.raises(ValueError, match="from 1900 to 2199"):
            dates.parse_bounded(text)


def test_the_latest_date_plus_the_longest_term_stays_on_the_calendar() -> None:
    """1,200 months is the longest term cocrec.yaml allows: added to the latest date, still a date."""
    assert dates.add_months(dates.LATEST, 1200) == dt.date(2299, 12, 31)
