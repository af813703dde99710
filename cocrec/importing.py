"""A committee's spreadsheet (CSV) into records, for `cocrec import` (SPEC section 12).

Pure: text in, documents out.

The sheet is read as the seed keeps it: the ten columns of POLICY.md's list,
each header matched case-, space- and punctuation-insensitively to a column's
short name (`Subject email address/URL` is `Subject email`). A mapping file
renames columns, maps cell texts to values and gives defaults. Every problem is
one line naming the row (as the spreadsheet numbers it: the header is row 1)
and the column, never the cell's text: any cell may be personal data.

What each cell becomes:
- dates: ISO (a time after it is ignored), `12 Jan 2026`, `Jan 12, 2026`, and
  `1/12/2026` or `1.12.2026` in the mapping's `date_order`; without one, a date
  that reads two ways is a problem, not a guess;
- the action columns: Yes/No, y/n, true/false, x/empty (a text after a leading
  yes or no, `Yes, emailed them`, becomes the action's description);
- several subjects or identifiers in one cell: separated by `;` or new lines.
  One subject takes every identifier of the row; several are paired with the
  identifiers in order; identifiers without a name are one subject each;
- the reporter: a member's id or name means a private reporter, the member
  handling the case; anyone else is a public reporter (unless `reporter.kind`
  says otherwise); a private reporter who is named is a problem;
- the outcome: "Banned or flagged" (or a column mapped to `outcome.type`);
  a row it does not decide (an empty cell, `No`) is a problem: map what the
  committee's empty cell means with `values:`.

A row is recognised when imported again by the SHA-256 of its cells (header
and text, the mapping aside), kept in the encrypted record (`imported.row_sha256`)
and never in the index; the same row twice in one file is a problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from . import schema, validate
from .dates import iso
from .errors import UsageError
from .model import Members, Record
from .policy import Policy
from .retention import RecordSchedule, due_dates, schedule
from .vocabulary import OUTCOME_TYPES

DateOrder = Literal["dmy", "mdy"]
FieldKind = Literal[
    "date", "flag", "text", "word", "words", "reporter", "names", "identifiers", "outcome"
]
Value = str | bool
OPEN = "open"
IMPORTED_REASON = "imported"

# POLICY.md's ten columns, by short name, and the field each fills.
SEED_COLUMNS: dict[str, str] = {
    "Date of 1st report": "reported_on",
    "Reporter": "reporter",
    "Named subjects": "subjects",
    "Subject email": "identifiers",
    "Summary of report": "summary",
    "Action taken by us": "action_by_committee",
    "Action taken by local rep": "action_by_local_rep",
    "Summary of outcome": "outcome.shareable_summary",
    "Banned or flagged": "banned_or_flagged",
    "Date to expunge": "date_to_expunge",
}
# Every field a column, a value map or a default may name: the seed's, and record field paths.
FIELDS: dict[str, FieldKind] = {
    "reported_on": "date", "reporter": "reporter", "subjects": "names",
    "identifiers": "identifiers", "subjects.emails": "identifiers",
    "subjects.usernames": "identifiers", "subjects.urls": "identifiers",
    "summary": "text", "action_by_committee": "flag", "action_by_committee.description": "text",
    "action_by_local_rep": "flag", "action_by_local_rep.description": "text",
    "outcome.shareable_summary": "text", "banned_or_flagged": "outcome",
    "date_to_expunge": "date", "outcome.type": "outcome", "outcome.decided_on": "date",
    "outcome.ban.until": "date", "outcome.consequence": "word", "outcome.recommendations": "text",
    "region": "word", "channel": "word", "categories": "words", "event": "text", "notes": "text",
    "handled_by": "word", "reporter.kind": "word", "reporter.name": "text",
    "reporter.contact": "text", "acknowledged_on": "date",
}  # fmt: skip
LABELS: dict[str, str] = {fld: short for short, fld in SEED_COLUMNS.items()}
DEFAULT_REGION = "other"


def normalise(text: str) -> str:
    """A header or field name compared case-, space- and punctuation-insensitively."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def label(name: str) -> str:
    """How a field is named to the committee: the seed column's short name, else its path."""
    return LABELS.get(name, name)


_BY_NAME: dict[str, str] = {normalise(short): fld for short, fld in SEED_COLUMNS.items()}
_BY_NAME.update({normalise(fld): fld for fld in FIELDS if fld not in LABELS})


@dataclass(frozen=True)
class Problem:
    """A problem of the sheet or a row: where (row and column), what to do; never a cell's text."""

    row: int
    where: str
    message: str

    def line(self, source: str) -> str:
        return f"{source}: row {self.row}, {self.where}: {self.message}"


# -- the mapping file --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportMapping:
    columns: Mapping[str, str] = field(default_factory=dict)
    """Normalised header -> field."""
    values: Mapping[str, Mapping[str, Value]] = field(default_factory=dict)
    """Field -> {cell key (see cell_key) -> value}."""
    defaults: Mapping[str, Value] = field(default_factory=dict)
    date_order: DateOrder | None = None
    source: str = "the mapping"


def cell_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _field_named(name: str, where: str, source: str) -> str:
    found = _BY_NAME.get(normalise(name))
    if found is None:
        known = ", ".join([*SEED_COLUMNS, *(f for f in FIELDS if f not in LABELS)])
        raise UsageError(f"{source}: {where}: not a field cocrec imports: use one of {known}")
    return found


def load_mapping(doc: Any, source: str) -> ImportMapping:
    """The mapping file's document, checked: its shape (schema), then each field it names."""
    doc = {} if doc is None else doc
    errors = schema.iter_errors("mapping", doc, source)
    if errors:
        raise UsageError(str(errors[0]))
    columns = {
        normalise(str(h)): _field_named(f, f"columns.{h}", source)
        for h, f in (doc.get("columns") or {}).items()
    }
    values = {
        _field_named(str(f), f"values.{f}", source): {
            cell_key("" if k is None else str(k)): v for k, v in table.items()
        }
        for f, table in (doc.get("values") or {}).items()
    }
    defaults = {
        _field_named(str(f), f"defaults.{f}", source): v
        for f, v in (doc.get("defaults") or {}).items()
    }
    return ImportMapping(columns, values, defaults, doc.get("date_order"), source)


# -- the sheet ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    """(row number as the spreadsheet shows it, the cells), empty rows left out."""


def decode(data: bytes, source: str) -> str:
    """The file as text: UTF-8, a BOM allowed; anything else is one line saying how to export it."""
    advice = (
        "export the sheet again as CSV in UTF-8 (Google Sheets: File > Download > CSV; "
        "Excel: Save As > CSV UTF-8)"
    )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UsageError(f"{source}: saved as UTF-16, which cocrec does not read: {advice}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{source}: not UTF-8 text (an unreadable encoding): {advice}") from None
    if "\x00" in text:
        raise UsageError(f"{source}: not a text file: {advice}")
    if not text.strip():
        raise UsageError(f"{source}: the file is empty: export the sheet with its header row")
    return text


def _reader(text: str, delimiter: str) -> Any:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _delimiter(text: str, mapping: ImportMapping) -> str:
    """Comma, semicolon or tab: whichever reads the most known columns (then most columns)."""

    def score(delimiter: str) -> tuple[int, int]:
        try:
            header: list[str] = next(_reader(text, delimiter), [])
        except csv.Error:
            return (-1, 0)
        return (sum(match_header(h, mapping) is not None for h in header), len(header))

    return max((",", ";", "\t"), key=score)


def read_sheet(text: str, source: str, mapping: ImportMapping) -> Sheet:
    try:
        table = list(_reader(text, _delimiter(text, mapping)))
    except csv.Error:
        raise UsageError(
            f"{source}: not a CSV cocrec can read (a quote is not closed, or a cell is too long): "
            "export it again as CSV"
        ) from None
    headers = tuple(cell.strip() for cell in table[0]) if table else ()
    rows = tuple(
        (number, tuple(cells))
        for number, cells in enumerate(table[1:], start=2)
        if any(c.strip() for c in cells)
    )
    return Sheet(headers, rows)


def match_header(header: str, mapping: ImportMapping) -> str | None:
    """The field a header fills: the mapping's, else a field or seed column it names, else a seed
    column it starts with."""
    key = normalise(header)
    if not key:
        return None
    if key in mapping.columns:
        return mapping.columns[key]
    if key in _BY_NAME:
        return _BY_NAME[key]
    prefixes = [short for short in SEED_COLUMNS if key.startswith(normalise(short))]
    return SEED_COLUMNS[max(prefixes, key=len)] if prefixes else None


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str

    @property
    def where(self) -> str:
        return f"column '{self.header}'"


def columns_of(
    sheet: Sheet, mapping: ImportMapping
) -> tuple[list[Column], list[Problem], list[str]]:
    """The columns imported, the header's problems, and notes on what is left out."""
    columns: list[Column] = []
    problems: list[Problem] = []
    ignored: list[str] = []
    seen: dict[str, Column] = {}
    for index, header in enumerate(sheet.headers):
        name = match_header(header, mapping)
        if name is None:
            if header:
                ignored.append(header)
            continue
        column = Column(index, header, name)
        if name in seen and FIELDS[name] != "identifiers":
            problems.append(
                Problem(
                    1,
                    column.where,
                    f"reads as {label(name)} like column '{seen[name].header}': rename one, "
                    "or map them with --mapping",
                )
            )
            continue
        seen.setdefault(name, column)
        columns.append(column)
    problems += _missing_columns(set(seen), mapping)
    notes = [
        f"column '{h}' is not imported (cocrec does not know it): map it with --mapping to keep it"
        for h in ignored
    ]
    return columns, problems, notes


def _missing_columns(present: set[str], mapping: ImportMapping) -> list[Problem]:
    given = present | set(mapping.defaults)
    wanted = [("reported_on",), ("summary",), ("banned_or_flagged", "outcome.type")]
    if "reporter.kind" not in given and "handled_by" not in given:
        wanted.append(("reporter",))
    return [
        Problem(
            1,
            f"column '{label(names[0])}'",
            "no such column: add it, or map yours to it with --mapping "
            f"(columns: {{YOUR HEADER: {label(names[0])}}})",
        )
        for names in wanted
        if not given & set(names)
    ]


def row_sha256(sheet: Sheet, cells: Sequence[str]) -> str:
    """What recognises a row on a later import: its non-empty cells and headers, not the mapping."""
    parts = sorted(
        (
            normalise(sheet.headers[i]) if i < len(sheet.headers) else f"#{i}",
            unicodedata.normalize("NFC", c.replace("\r\n", "\n").strip()),
        )
        for i, c in enumerate(cells)
        if c.strip()
    )
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


# -- cells -------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not read as its field: the message says what to write instead."""


_MONTHS = {name: n for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1)
    for name in names}  # fmt: skip
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
DATE_FORMS = "YYYY-MM-DD, 12 Jan 2026, or D/M/YYYY or M/D/YYYY with date_order in a --mapping file"


def _calendar(year: int, month: int, day: int) -> dt.date:
    if not 1900 <= year <= 2199:
        raise CellError("a year outside 1900-2199: fix the date")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError("not a real calendar date: fix the day or month") from None


def _numeric(first: int, second: int, year: int, order: DateOrder | None) -> dt.date:
    if order is None and first != second and first <= 12 and second <= 12:
        raise CellError(
            "a date that reads two ways (day/month or month/day): "
            "set date_order: dmy or mdy in a --mapping file"
        )
    if order == "mdy" or (order is None and second > 12):
        return _calendar(year, first, second)
    return _calendar(year, second, first)


def parse_sheet_date(text: str, order: DateOrder | None) -> dt.date:
    """A date as spreadsheets export it; CellError if it is none, or reads two ways."""
    value = " ".join(text.split()).casefold()
    if match := _ISO.match(value):
        return _calendar(*map(int, match.groups()))
    if match := _NUMERIC.match(value):
        return _numeric(int(match[1]), int(match[2]), int(match[3]), order)
    day_month = _DAY_MONTH.match(value)
    month_day = _MONTH_DAY.match(value)
    if day_month and day_month[2] in _MONTHS:
        return _calendar(int(day_month[3]), _MONTHS[day_month[2]], int(day_month[1]))
    if month_day and month_day[1] in _MONTHS:
        return _calendar(int(month_day[3]), _MONTHS[month_day[1]], int(month_day[2]))
    raise CellError(f"not a date cocrec reads: write {DATE_FORMS}")


_YES = frozenset({"yes", "y", "true", "x", "\u2713", "\u2714", "\u2611"})  # and check marks
_NO = frozenset({"no", "n", "false", ""})
_FLAG_THEN_TEXT = re.compile(
    r"^(yes|no|y|n|true|false|x)\b[\s,;:.\-\u2013\u2014]+(\S.*)$", re.DOTALL | re.IGNORECASE
)


def parse_flag(text: str) -> tuple[bool, str | None]:
    """Whether an action was taken, and the description a cell may add after a leading yes or no."""
    value = text.strip().casefold()
    if value in _YES or value in _NO:
        return value in _YES, None
    match = _FLAG_THEN_TEXT.match(text.strip())
    if match:
        return match[1].casefold() in _YES, match[2].strip()
    raise CellError(
        "not yes or no: write Yes/No, y/n, true/false or x/empty, "
        "or map this text with values: in a --mapping file"
    )


def as_word(text: str) -> str:
    """A vocabulary word as cocrec.yaml spells it: `North America` is `north-america`."""
    return "-".join(re.split(r"[\s_]+", text.strip().casefold()))


def split_many(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n\r]+", text) if part.strip()]


@dataclass(frozen=True)
class OutcomeCell:
    type: str | None
    """An outcome type, `open`, or None when the cell does not decide it."""
    until: dt.date | None = None
    permanent: bool = False


_UNDECIDED = frozenset({"", "no", "none", "neither", "-", "n/a", "na", "false", "n"})
_BAN = re.compile(r"^(?:banned|ban)\b(.*)$")
_PERMANENT = re.compile(r"\b(?:permanent(?:ly)?|forever|for life|indefinite(?:ly)?|lifetime)\b")
_UNTIL = re.compile(r"\b(?:until|till|til|to|through|ends?)\b\s*:?\s*(.+)$")


def parse_outcome(text: str, order: DateOrder | None) -> OutcomeCell:
    """ "Banned or flagged", or an outcome type: which type, and a ban's end."""
    value = " ".join(text.split()).casefold()
    word = as_word(value)
    if word in OUTCOME_TYPES or word == OPEN:
        return OutcomeCell(word)
    if word in ("flag", "flagged"):
        return OutcomeCell("flagged")
    if value in ("permanent ban", "permanently banned", "banned permanently"):
        return OutcomeCell("banned", permanent=True)
    ban = _BAN.match(value)
    if ban:
        return _ban(ban[1], order)
    if value in _UNDECIDED:
        return OutcomeCell(None)
    raise CellError(
        "not an outcome cocrec knows: write banned, flagged, or an outcome type, "
        "or map this text with values:"
    )


def _ban(rest: str, order: DateOrder | None) -> OutcomeCell:
    if _PERMANENT.search(rest):
        return OutcomeCell("banned", permanent=True)
    until = _UNTIL.search(rest)
    if until:
        return OutcomeCell("banned", until=parse_sheet_date(until[1].strip(" ()."), order))
    return OutcomeCell("banned")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_HOST_PATH = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/\S*$|^www\.\S+$")
IdentifierKind = Literal["emails", "usernames", "urls"]


def classify(identifier: str, forced: IdentifierKind | None = None) -> tuple[IdentifierKind, str]:
    """An email, a url (a bare host/path gets https://) or a username; a space in it is an error."""
    value = identifier.strip()
    if value.casefold().startswith("mailto:"):
        value = value[len("mailto:") :]
    if not value or any(ch.isspace() for ch in value):
        raise CellError("an identifier with a space in it: separate several with ; or new lines")
    if forced is not None:
        return forced, value
    if _EMAIL.match(value):
        return "emails", value
    if _URL.match(value):
        return "urls", value
    if _HOST_PATH.match(value):
        return "urls", "https://" + value
    return "usernames", value


# -- a row ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: Value
    where: str


@dataclass
class RowReader:
    """Turns one row into a record document, noting where each field came from and each problem."""

    number: int
    cells: Mapping[str, list[tuple[Column, str]]]
    mapping: ImportMapping
    members: Members
    problems: list[Problem] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)
    """Field path (without list indices) -> where its value came from, for validation messages."""

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.number, where, message))

    def where_of(self, name: str) -> str:
        columns = self.cells.get(name)
        if columns:
            return columns[0][0].where
        return (
            f"defaults.{label(name)} in {self.mapping.source}"
            if name in self.mapping.defaults
            else f"column '{label(name)}'"
        )

    def cell(self, name: str) -> Cell | None:
        """The field's value: its cell (through values:), else the default; None if neither."""
        columns = self.cells.get(name) or []
        table = self.mapping.values.get(name, {})
        for column, text in columns[:1]:
            mapped: Value = table.get(cell_key(text), text)
            if mapped != "":
                return Cell(mapped, column.where)
        if name in self.mapping.defaults:
            return Cell(self.mapping.defaults[name], self.where_of(name))
        return None

    def text(self, name: str, path: str | None = None) -> str | None:
        found = self.cell(name)
        if found is None:
            return None
        self.origin[path or name] = found.where
        value = (
            found.value if isinstance(found.value, str) else ("true" if found.value else "false")
        )
        return value.replace("\r\n", "\n").strip() or None

    def parsed(self, name: str, parse: Callable[[Value], Any], path: str | None = None) -> Any:
        found = self.cell(name)
        if found is None:
            return None
        self.origin[path or name] = found.where
        try:
            return parse(found.value)
        except CellError as exc:
            self.problem(found.where, str(exc))
            return None

    def date(self, name: str, path: str | None = None) -> dt.date | None:
        order = self.mapping.date_order
        return cast(
            dt.date | None, self.parsed(name, lambda v: parse_sheet_date(str(v), order), path)
        )

    def word(self, name: str, path: str | None = None) -> str | None:
        return cast(str | None, self.parsed(name, lambda v: as_word(str(v)) or None, path))


def _flag_value(value: Value) -> tuple[bool, str | None]:
    return (value, None) if isinstance(value, bool) else parse_flag(value)


def _action(row: RowReader, name: str) -> dict[str, Any]:
    found = row.parsed(name, _flag_value, f"{name}.taken")
    taken, description = found if found is not None else (False, None)
    own = row.text(f"{name}.description", f"{name}.description") or description
    return {"taken": taken, **({"description": own} if own else {})}


def _member_id(members: Members, text: str | None) -> str | None:
    """The member (current or former) a Reporter cell names, by id or name."""
    if not text:
        return None
    key = cell_key(text)
    people: list[tuple[str, str]] = [(m.id, m.name) for m in members.current] + [
        (m.id, m.name) for m in members.former
    ]
    for member_id, name in people:
        if key in (member_id.casefold(), cell_key(name)):
            return member_id
    return None


PRIVATE_NAMED = (
    "names a private reporter: the record names the member handling the case instead; "
    "put their member id or name here"
)
# "Private", "Anonymous (Ada)", "private: ben": a private reporter, maybe with who handles it.
_PRIVATE_CELL = re.compile(
    r"^(?:private|anonymous|confidential|withheld)\b[\s:,;(\-\u2013\u2014]*(.*?)[\s).]*$",
    re.IGNORECASE | re.DOTALL,
)


def _handled_by(row: RowReader) -> str | None:
    found = row.cell("handled_by")
    if found is None:
        return None
    row.origin["handled_by"] = found.where
    return _member_id(row.members, str(found.value)) or as_word(str(found.value))


def _reporter(row: RowReader) -> dict[str, Any]:
    """The reporter and, for a private one, the member handling the case (SPEC section 3)."""
    kind = row.word("reporter.kind", "reporter.kind")
    named = row.text("reporter", "reporter")
    private_cell = _PRIVATE_CELL.match(named) if named else None
    if private_cell is not None:
        if kind not in (None, "private"):
            row.problem(
                row.where_of("reporter"),
                f"says the reporter is private, but reporter.kind says {kind}: make them agree",
            )
            return {}
        kind, named = "private", private_cell[1].strip() or None
    member = _member_id(row.members, named)
    handled = _handled_by(row)
    if kind == "private" or (kind is None and member is not None):
        return _private(row, named, member, handled)
    name = row.text("reporter.name", "reporter.name") or named
    if kind is None and name is None:
        row.problem(
            row.where_of("reporter"),
            "empty: name the official or public reporter, "
            "or the member handling a private reporter's case",
        )
        return {}
    contact = row.text("reporter.contact", "reporter.contact")
    reporter = {
        "kind": kind or "public",
        **({"name": name} if name else {}),
        **({"contact": contact} if contact else {}),
    }
    return {"reporter": reporter, **({"handled_by": handled} if handled else {})}


def _private(
    row: RowReader, named: str | None, member: str | None, handled: str | None
) -> dict[str, Any]:
    if named is not None and member is None:
        row.problem(row.where_of("reporter"), PRIVATE_NAMED)
    for name in ("reporter.name", "reporter.contact"):
        if row.text(name) is not None:
            row.problem(
                row.where_of(name),
                "a private reporter is never named in a record: "
                "leave it empty, or say the reporter is public",
            )
    handled_by = member or handled
    if handled_by is None and named is None:
        row.problem(
            row.where_of("reporter"),
            "empty: give the member handling the case (a private reporter is not named)",
        )
    return {"reporter": {"kind": "private"}, **({"handled_by": handled_by} if handled_by else {})}


_FORCED: dict[str, IdentifierKind | None] = {
    "identifiers": None,
    "subjects.emails": "emails",
    "subjects.usernames": "usernames",
    "subjects.urls": "urls",
}


def _identifiers(row: RowReader) -> list[tuple[Column, list[tuple[IdentifierKind, str]]]]:
    """Each identifier column's values, classified."""
    found = []
    for name, forced in _FORCED.items():
        for column, text in row.cells.get(name, []):
            values = []
            for part in split_many(text):
                try:
                    values.append(classify(part, forced))
                except CellError as exc:
                    row.problem(column.where, str(exc))
            if values:
                found.append((column, values))
                for kind, _ in values:
                    row.origin.setdefault(f"subjects.{kind}", column.where)
    return found


def _subjects(row: RowReader) -> list[dict[str, Any]]:
    names = split_many(row.text("subjects", "subjects") or "")
    row.origin.setdefault("subjects", row.where_of("subjects"))
    columns = _identifiers(row)
    if not names:
        return [_subject(None, [ident]) for _, values in columns for ident in values]
    if len(names) == 1:
        return [_subject(names[0], [ident for _, values in columns for ident in values])]
    paired: list[list[tuple[IdentifierKind, str]]] = [[] for _ in names]
    for column, values in columns:
        if len(values) != len(names):
            row.problem(
                column.where,
                f"{len(names)} subjects and {len(values)} identifiers here cannot be paired: "
                "give one per subject, in the same order, or put each subject on a row of its own",
            )
            continue
        for slot, ident in zip(paired, values):
            slot.append(ident)
    return [_subject(name, idents) for name, idents in zip(names, paired)]


def _subject(name: str | None, idents: Sequence[tuple[IdentifierKind, str]]) -> dict[str, Any]:
    subject: dict[str, Any] = {"name": name} if name else {}
    for kind in ("emails", "usernames", "urls"):
        values = list(dict.fromkeys(value for k, value in idents if k == kind))
        if values:
            subject[kind] = values
    return subject


UNDECIDED = (
    "does not say the outcome (neither banned nor flagged, and not which of no-violation, "
    "unidentified, resolved or open): add a column mapped to outcome.type, or map this text "
    "with values: (like values: {Banned or flagged: {'': resolved}})"
)


def _outcome_cell(row: RowReader) -> OutcomeCell | None:
    """The outcome an outcome.type column or "Banned or flagged" gives; a problem when neither
    decides it, or they disagree."""
    decisions: list[tuple[str, OutcomeCell]] = []
    before = len(row.problems)
    for name in ("outcome.type", "banned_or_flagged"):
        decided = row.parsed(
            name, lambda v: parse_outcome(str(v), row.mapping.date_order), "outcome"
        )
        found = row.cell(name)
        if decided is not None and decided.type is not None and found is not None:
            decisions.append((found.where, decided))
    if len(row.problems) > before:
        return None
    if not decisions:
        row.problem(row.origin.get("outcome", row.where_of("banned_or_flagged")), UNDECIDED)
        return None
    (where, first), *others = decisions
    for other_where, other in others:
        if other.type != first.type:
            row.problem(other_where, f"says another outcome than {where}: make them agree")
            return None
    row.origin["outcome"] = where
    return first


def _outcome(row: RowReader, reported_on: dt.date | None) -> tuple[dict[str, Any] | None, bool]:
    """The outcome (None while open), and whether its decision date is only the report date."""
    decided = _outcome_cell(row)
    if decided is None or decided.type == OPEN:
        return None, False
    decided_on = row.date("outcome.decided_on", "outcome.decided_on")
    assumed = decided_on is None
    day = decided_on or reported_on
    outcome: dict[str, Any] = {"type": decided.type, "decided_on": day.isoformat() if day else None}
    if decided.type == "banned":
        outcome["ban"] = _ban_of(row, decided)
    consequence = row.word("outcome.consequence", "outcome.consequence")
    if consequence is not None:
        outcome["consequence"] = consequence
    for name in ("outcome.recommendations", "outcome.shareable_summary"):
        if (text := row.text(name, name)) is not None:
            outcome[name.split(".", 1)[1]] = text
    return outcome, assumed


def _ban_of(row: RowReader, decided: OutcomeCell) -> dict[str, Any] | None:
    until = row.date("outcome.ban.until", "outcome.ban") or decided.until
    if decided.permanent:
        return {"permanent": True}
    if until is not None:
        return {"until": until.isoformat()}
    row.problem(
        row.origin.get("outcome", row.where_of("banned_or_flagged")),
        "banned, but not until when: write 'banned until DATE' or 'banned permanently', "
        "or map a column to outcome.ban.until",
    )
    return None


NEVER = dt.date.max  # "Date to expunge: never"


def _expunge_date(value: Value, order: DateOrder | None) -> dt.date:
    text = str(value).strip().casefold()
    return (
        NEVER
        if text in ("never", "permanent", "permanently", "keep")
        else parse_sheet_date(text, order)
    )


def row_document(row: RowReader, policy: Policy) -> tuple[dict[str, Any], dt.date | None]:
    """The record document of a row (without id and `imported`), and its "Date to expunge"."""
    reported = row.date("reported_on")
    if reported is None and not row.problems:
        row.problem(
            row.where_of("reported_on"), "empty: every record has the date of its first report"
        )
    region = row.word("region") or (DEFAULT_REGION if DEFAULT_REGION in policy.regions else None)
    outcome, assumed = _outcome(row, reported)
    categories = row.parsed(
        "categories", lambda v: list(dict.fromkeys(as_word(p) for p in split_many(str(v))))
    )
    doc = _drop_none({
        "schema_version": 1,
        "reported_on": iso(reported),
        "acknowledged_on": iso(row.date("acknowledged_on")),
        "event": row.text("event"),
        "region": region,
        "categories": categories or None,
        "channel": row.word("channel"),
        **_reporter(row),
        "subjects": _subjects(row),
        "summary": row.text("summary"),
        "action_by_committee": _action(row, "action_by_committee"),
        "action_by_local_rep": _action(row, "action_by_local_rep"),
        "outcome": _drop_none(outcome) if outcome else None,
        "notes": row.text("notes"),
    })  # fmt: skip
    if assumed and outcome is not None:
        doc["imported"] = {"decided_on_assumed": True}
    expunge_on = row.parsed("date_to_expunge", lambda v: _expunge_date(v, row.mapping.date_order))
    return doc, cast(dt.date | None, expunge_on)


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


# -- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """What one row becomes."""

    row: int
    id: str
    doc: dict[str, Any]
    outcome: str
    reporter_due: dt.date | None
    subjects_due: dt.date | None
    override: bool
    past_due: bool


@dataclass(frozen=True)
class Plan:
    new: tuple[Planned, ...] = ()
    already: tuple[tuple[int, str], ...] = ()
    """(row, id) of rows imported before."""
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    row: int
    id: str
    doc: dict[str, Any]
    expunge_on: dt.date | None
    where_expunge: str


@dataclass
class Context:
    """What every row is read against."""

    sheet: Sheet
    columns: Sequence[Column]
    mapping: ImportMapping
    policy: Policy
    members: Members
    as_of: dt.date
    new_id: Callable[[int], str]


def _origin_of(origin: Mapping[str, str], path: str) -> str:
    """Where a field path (`subjects[0].emails[1]`) came from: its field's origin, else the
    nearest enclosing one's."""
    shape = re.sub(r"\[\d+\]", "", path)
    while shape:
        if shape in origin:
            return origin[shape]
        shape = shape.rpartition(".")[0]
    return "the row"


def _validation_problems(row: RowReader, doc: dict[str, Any], ctx: Context) -> list[Problem]:
    return [
        Problem(
            row.number,
            where,
            error.message
            if error.path and f"'{error.path}'" in where
            else f"{error.path or 'the record'}: {error.message}",
        )
        for error in validate.record_errors(
            doc, "row", ctx.policy, ctx.members, expected_id=doc["id"]
        )
        for where in [_origin_of(row.origin, error.path)]
    ]


def _extra_cells(number: int, cells: Sequence[str], width: int) -> list[Problem]:
    return [
        Problem(
            number,
            f"column {index + 1} (no header)",
            "a cell beyond the last column of the header: remove it, or give the column a header",
        )
        for index in range(width, len(cells))
        if cells[index].strip()
    ]


def _draft(
    number: int, cells: Sequence[str], digest: str, ctx: Context
) -> tuple[Draft | None, list[Problem]]:
    by_field: dict[str, list[tuple[Column, str]]] = {}
    for column in ctx.columns:
        by_field.setdefault(column.field, []).append(
            (column, cells[column.index] if column.index < len(cells) else "")
        )
    row = RowReader(number, by_field, ctx.mapping, ctx.members)
    doc, expunge_on = row_document(row, ctx.policy)
    extra = _extra_cells(number, cells, len(ctx.sheet.headers))
    if row.problems:
        return None, row.problems + extra
    imported = {"row_sha256": digest, "date": ctx.as_of.isoformat(), **doc.pop("imported", {})}
    doc = {"id": ctx.new_id(int(doc["reported_on"][:4])), **doc, "imported": imported}
    problems = _validation_problems(row, doc, ctx) + extra
    draft = Draft(number, str(doc["id"]), doc, expunge_on, row.where_of("date_to_expunge"))
    return (None if problems else draft), problems


def draft_rows(
    ctx: Context, imported: Mapping[str, str]
) -> tuple[list[Draft], list[tuple[int, str]], list[Problem]]:
    """Every row as a record document, or its problems; rows imported before, by their id."""
    drafts: list[Draft] = []
    already: list[tuple[int, str]] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for number, cells in ctx.sheet.rows:
        digest = row_sha256(ctx.sheet, cells)
        if digest in imported:
            already.append((number, imported[digest]))
        elif digest in first_row:
            problems.append(
                Problem(
                    number,
                    "every column",
                    f"the same as row {first_row[digest]}: remove one of them",
                )
            )
        else:
            first_row[digest] = number
            draft, found = _draft(number, cells, digest, ctx)
            problems += found
            drafts += [draft] if draft is not None else []
    return drafts, already, problems


def plan_import(
    sheet: Sheet,
    mapping: ImportMapping,
    policy: Policy,
    members: Members,
    existing: Sequence[Record],
    imported: Mapping[str, str],
    as_of: dt.date,
    new_id: Callable[[int], str],
) -> Plan:
    """What importing the sheet into a repository holding `existing` would do, as of `as_of`.

    `imported` maps the row hashes of records imported before to their ids. A row's own "Date
    to expunge" that differs from the date its record computes (with every other record, as
    retention does) becomes an override of both steps, with reason "imported"."""
    columns, problems, notes = columns_of(sheet, mapping)
    if problems:
        return Plan(problems=tuple(problems), notes=tuple(notes))
    if (
        "region" not in {c.field for c in columns} | set(mapping.defaults)
        and DEFAULT_REGION in policy.regions
    ):
        notes.append(
            f"the sheet has no region: every record gets region {DEFAULT_REGION} "
            "(set defaults: {region: ...} in a --mapping file)"
        )
    drafts, already, problems = draft_rows(
        Context(sheet, columns, mapping, policy, members, as_of, new_id), imported
    )
    if not problems:
        problems = _apply_overrides(drafts, existing, policy, as_of)
    if problems or not drafts:
        return Plan((), tuple(already), tuple(problems), tuple(notes))
    final = schedule([*existing, *(Record.from_doc(d.doc) for d in drafts)], policy, as_of)
    planned = tuple(_planned(d, final[d.id]) for d in drafts)
    return Plan(planned, tuple(already), (), tuple(notes))


def _apply_overrides(
    drafts: Sequence[Draft], existing: Sequence[Record], policy: Policy, as_of: dt.date
) -> list[Problem]:
    """Keep each sheet's own date to expunge where it differs from the computed subjects date."""
    computed = due_dates([*existing, *(Record.from_doc(d.doc) for d in drafts)], policy)
    problems = []
    for draft in drafts:
        dates = computed.get(draft.id)
        wanted = draft.expunge_on
        if wanted is None or (wanted == NEVER and (dates is None or dates["subjects"] is None)):
            continue
        if dates is None:
            problems.append(
                Problem(
                    draft.row,
                    draft.where_expunge,
                    "an open case has no date to expunge: leave it empty until the case is decided",
                )
            )
        elif wanted == NEVER:
            problems.append(
                Problem(
                    draft.row,
                    draft.where_expunge,
                    "says never, but the policy gives a date: "
                    "leave it empty to keep the policy's date, or give one",
                )
            )
        elif dates["subjects"] != wanted:
            day = wanted.isoformat()
            override = {
                "subjects": day,
                "reporter": day,
                "reason": IMPORTED_REASON,
                "decided_on": as_of.isoformat(),
            }
            draft.doc["retention"] = {"override": override}
    return problems


def _planned(draft: Draft, sched: RecordSchedule) -> Planned:
    steps = sched.steps or {}
    reporter, subjects = steps.get("reporter"), steps.get("subjects")
    past = any(step.state in ("due", "overdue") for step in steps.values())
    return Planned(
        draft.row,
        draft.id,
        draft.doc,
        sched.outcome or OPEN,
        reporter.due if reporter else None,
        subjects.due if subjects else None,
        "retention" in draft.doc,
        past,
    )


def hashes_of(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Row hash -> record id, of every record imported before."""
    found = {}
    for rid, doc in docs.items():
        digest = (doc.get("imported") or {}).get("row_sha256")
        if isinstance(digest, str):
            found[digest] = rid
    return found
