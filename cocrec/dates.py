"""Calendar arithmetic: dates decide everything here."""

from __future__ import annotations

import datetime as dt
import re

# Every date cocrec reads lies in these years: people write `until: 9999-12-31` for "forever" (a
# permanent ban is `permanent: true`), and retention adds months to a date (up to 100 years), which
# must stay on Python's calendar.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
RANGE = "from 1900 to 2199"


def in_range(day: dt.date) -> bool:
    return EARLIEST <= day <= LATEST


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_FORM = "a date, written YYYY-MM-DD like 2026-06-04"


def parse_date(text: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD, nothing else: not 20260604, not 2026-W01-1); raise ValueError otherwise."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise ValueError(f"expected {DATE_FORM}")
    return dt.date.fromisoformat(text)


def parse_bounded(text: str) -> dt.date:
    """`parse_date`, and within RANGE: a date given on the command line."""
    day = parse_date(text)
    if not in_range(day):
        raise ValueError(f"dates run {RANGE}")
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """Add calendar months, clamping the day to the month's end (2025-08-31 + 6 = 2026-02-28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if day.day <= 28:  # every month has it: no calendar lookup (called for each step of a record)
        return dt.date(year, month + 1, day.day)
    import calendar  # a few ms at start-up, for an overflowing month only

    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def iso(day: dt.date | None) -> str | None:
    """A date as YYYY-MM-DD, as JSON output and the index write it (None stays None)."""
    return day.isoformat() if day is not None else None


def today() -> dt.date:
    """The default for --as-of; the only place that reads the clock."""
    return dt.date.today()
