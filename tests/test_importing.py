"""Reading a spreadsheet's cells and headers (cocrec.importing), pure."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import importing
from cocrec.errors import UsageError
from cocrec.importing import CellError, ImportMapping

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("2026-01-12", None, "2026-01-12"),
        ("2026-1-2", None, "2026-01-02"),
        ("2026-01-12 14:03:00", None, "2026-01-12"),
        ("12 Jan 2026", None, "2026-01-12"),
        ("12 January 2026", None, "2026-01-12"),
        ("3rd Sept. 2025", None, "2025-09-03"),
        ("Jan 12, 2026", None, "2026-01-12"),
        ("1/12/2026", "dmy", "2026-12-01"),
        ("1/12/2026", "mdy", "2026-01-12"),
        ("13/1/2026", None, "2026-01-13"),  # only one reading
        ("1/13/2026", None, "2026-01-13"),
        ("5/5/2026", None, "2026-05-05"),  # the same both ways
        ("01.12.2026", "dmy", "2026-12-01"),
    ],
)
def test_dates_as_spreadsheets_export_them(
    text: str, order: importing.DateOrder | None, expected: str
) -> None:
    assert importing.parse_sheet_date(text, order) == D(expected)


@pytest.mark.parametrize(
    "text, order, message",
    [
        ("1/12/2026", None, "reads two ways"),
        ("13/1/2026", "mdy", "not a real calendar date"),
        ("2026-02-30", None, "not a real calendar date"),
        ("31 Feb 2026", None, "not a real calendar date"),
        ("12 Smarch 2026", None, "not a date cocrec reads"),
        ("1/12/26", "dmy", "not a date cocrec reads"),
        ("1850-01-01", None, "1900-2199"),
        ("yesterday", None, "not a date cocrec reads"),
    ],
)
def test_a_date_that_is_none_or_reads_two_ways_is_refused(
    text: str, order: importing.DateOrder | None, message: str
) -> None:
    with pytest.raises(CellError, match=message):
        importing.parse_sheet_date(text, order)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Yes", (True, None)),
        ("y", (True, None)),
        ("TRUE", (True, None)),
        ("x", (True, None)),
        ("No", (False, None)),
        ("n", (False, None)),
        ("false", (False, None)),
        ("", (False, None)),
        ("  ", (False, None)),
        ("Yes, emailed them", (True, "emailed them")),
        ("No - the organisers did", (False, "the organisers did")),
    ],
)
def test_action_cells(text: str, expected: tuple[bool, str | None]) -> None:
    assert importing.parse_flag(text) == expected


def test_an_action_cell_that_says_neither_is_refused() -> None:
    with pytest.raises(CellError, match="not yes or no"):
        importing.parse_flag("Maybe")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Flagged", importing.OutcomeCell("flagged")),
        ("flag", importing.OutcomeCell("flagged")),
        ("Banned permanently", importing.OutcomeCell("banned", permanent=True)),
        ("Permanent ban", importing.OutcomeCell("banned", permanent=True)),
        ("Banned until 30 Jun 2027", importing.OutcomeCell("banned", until=D("2027-06-30"))),
        ("banned (until 2027-06-30)", importing.OutcomeCell("banned", until=D("2027-06-30"))),
        ("Banned", importing.OutcomeCell("banned")),
        ("No violation", importing.OutcomeCell("no-violation")),
        ("Resolved", importing.OutcomeCell("resolved")),
        ("open", importing.OutcomeCell("open")),
        ("", importing.OutcomeCell(None)),
        ("No", importing.OutcomeCell(None)),
        ("neither", importing.OutcomeCell(None)),
    ],
)
def test_banned_or_flagged(text: str, expected: importing.OutcomeCell) -> None:
    assert importing.parse_outcome(text, None) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jane@example.org", ("emails", "jane@example.org")),
        ("mailto:jane@example.org", ("emails", "jane@example.org")),
        ("https://example.org/~jane", ("urls", "https://example.org/~jane")),
        ("example.org/~jane", ("urls", "https://example.org/~jane")),
        ("www.example.org", ("urls", "https://www.example.org")),
        ("github:janedoe", ("usernames", "github:janedoe")),
        ("@jane@example.social", ("usernames", "@jane@example.social")),
        ("janedoe", ("usernames", "janedoe")),
    ],
)
def test_identifiers_are_classified(text: str, expected: tuple[str, str]) -> None:
    assert importing.classify(text) == expected


def test_an_identifier_with_a_space_is_refused() -> None:
    with pytest.raises(CellError):
        importing.classify("jane doe@example.org")


@pytest.mark.parametrize(
    "header, field",
    [
        ("Date of 1st report", "reported_on"),
        ("date of 1st report:", "reported_on"),
        ("DATE_OF_1ST_REPORT", "reported_on"),
        ("Reporter, if official/public, CoC person if private", "reporter"),
        ("Subject email address/URL", "identifiers"),
        ("Action taken by us?", "action_by_committee"),
        ("Action taken by local rep?", "action_by_local_rep"),
        ("Summary of report (for internal purposes)", "summary"),
        ("Summary of outcome to share if suitable", "outcome.shareable_summary"),
        ("Banned or flagged", "banned_or_flagged"),
        ("Date to expunge this record", "date_to_expunge"),
        ("Reporter kind", "reporter.kind"),
        ("Region", "region"),
        ("Favourite colour", None),
        ("", None),
    ],
)
def test_headers_match_case_space_and_punctuation_insensitively(
    header: str, field: str | None
) -> None:
    assert importing.match_header(header, ImportMapping()) == field


def test_a_mapping_renames_before_the_seed_columns_are_tried() -> None:
    mapping = importing.load_mapping(
        {"columns": {"Reporter": "reporter.name", "When": "Date of 1st report"}}, "m.yaml"
    )
    assert importing.match_header("reporter", mapping) == "reporter.name"
    assert importing.match_header("When?", mapping) == "reported_on"


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"columns": {"X": "favourite colour"}}, "m.yaml: columns.X: not a field cocrec imports"),
        ({"values": {"favourite colour": {}}}, "m.yaml: values.favourite colour: not a field"),
        ({"defaults": {"colour": "blue"}}, "m.yaml: defaults.colour: not a field"),
        ({"date_order": "ymd"}, "m.yaml: date_order"),
        ([1, 2], "m.yaml"),
    ],
)
def test_a_bad_mapping_is_a_usage_error(doc: object, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        importing.load_mapping(doc, "m.yaml")


def sheet(headers: list[str], *rows: list[str]) -> importing.Sheet:
    return importing.Sheet(
        tuple(headers), tuple((n, tuple(r)) for n, r in enumerate(rows, start=2))
    )


def test_a_row_is_recognised_by_its_cells_whatever_the_column_order_or_mapping() -> None:
    one = sheet(["Date of 1st report", "Reporter", "Extra"], ["2026-01-01", "Rena Reporter", ""])
    other = sheet(
        ["Reporter", "date of 1st report", "Extra", "Empty"],
        ["Rena Reporter", "2026-01-01", "", ""],
    )
    changed = sheet(["Date of 1st report", "Reporter"], ["2026-01-02", "Rena Reporter"])
    digest = importing.row_sha256(one, one.rows[0][1])
    assert digest == importing.row_sha256(other, other.rows[0][1])
    assert digest != importing.row_sha256(changed, changed.rows[0][1])
    assert len(digest) == 64 and "Rena" not in digest


def test_empty_rows_are_skipped_but_counted_as_the_spreadsheet_numbers_them() -> None:
    text = 'Date of 1st report,Reporter\n2026-01-01,Rena\n,\n\n2026-01-02,"Multi\nline"\n2026-01-03,Tess\n'
    read = importing.read_sheet(text, "s.csv", ImportMapping())
    assert [number for number, _ in read.rows] == [2, 5, 6]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_the_one_the_header_reads_with(delimiter: str) -> None:
    text = (
        delimiter.join(["Date of 1st report", "Reporter", "Banned or flagged"])
        + "\n"
        + delimiter.join(["12 Jan 2026", "Rena, Reporter", ""])
        + "\n"
    )
    read = importing.read_sheet(text, "s.csv", ImportMapping())
    assert read.headers == ("Date of 1st report", "Reporter", "Banned or flagged")


def test_a_utf8_bom_is_fine_and_other_encodings_are_one_line() -> None:
    assert (
        importing.decode("\ufeffDate of 1st report\n".encode("utf-8"), "s.csv")
        == "Date of 1st report\n"
    )
    for data in ("Ren\u00e9e".encode("cp1252"), "x".encode("utf-16"), b"a\x00b"):
        with pytest.raises(UsageError):
            importing.decode(data, "s.csv")


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)), st.sampled_from(["dmy", "mdy"]))
def test_every_date_written_in_the_mapping_s_order_reads_back(
    day: dt.date, order: importing.DateOrder
) -> None:
    first, second = (day.day, day.month) if order == "dmy" else (day.month, day.day)
    assert importing.parse_sheet_date(f"{first}/{second}/{day.year}", order) == day
    assert importing.parse_sheet_date(day.isoformat(), None) == day
    assert importing.parse_sheet_date(day.strftime("%d %b %Y"), None) == day
