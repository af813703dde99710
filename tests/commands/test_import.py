"""cocrec import: the committee's spreadsheet into records, once; problems named by row and column, nothing written.

Every person here is invented (example.org). The sheets are written by the tests, in the
seed's ten columns (POLICY.md's list, its headers as the committee wrote them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cocrec.commands import import_
from cocrec.context import Context

from ..conftest import Cocrec

AS_OF = "2026-12-01"
SEED_HEADERS = [
    "Date of 1st report",
    "Reporter, if official/public, CoC person if private",
    "Named subjects",
    "Subject email address/URL",
    "Summary of report (for internal purposes)",
    "Action taken by us?",
    "Action taken by local rep?",
    "Summary of outcome to share if suitable",
    "Banned or flagged",
    "Date to expunge this record",
]
FIRST = ["Anouk", "Bram", "Cleo", "Dario", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas"]
LAST = ["Quillfeather", "Rowanmere", "Sternwick"]
OUTCOMES = [
    "Resolved",
    "Flagged",
    "No violation",
    "Banned until 30 Jun 2027",
    "Resolved",
    "Banned permanently",
    "Unidentified",
]
DATES = ["2025-01-{day:02d}", "{day} Mar 2025", "{day} September 2025", "2026-02-{day:02d}"]


def person(n: int) -> tuple[str, str]:
    first, last = FIRST[n % len(FIRST)], LAST[n // len(FIRST) % len(LAST)]
    return f"{first} {last}", f"{first.lower()}.{last.lower()}@example.org"


def seed_rows(count: int = 30) -> list[list[str]]:
    """`count` rows: dates in three spellings, every outcome, private reporters (a member's name), several subjects."""
    rows = []
    for n in range(count):
        name, email = person(n)
        kind = OUTCOMES[n % len(OUTCOMES)]
        reporter = (
            "Bob Member" if n % 5 == 0 else f"Reporter {FIRST[(n + 3) % len(FIRST)]} Vantablack"
        )
        subjects, ids = (name, email) if kind != "Unidentified" else ("", "")
        if n % 9 == 4:
            other_name, other_email = person(n + 11)
            subjects, ids = f"{name}; {other_name}", f"{email}\n{other_email}"
        summary = (
            f"{name} was reported for unwelcome remarks at a meetup."
            if subjects
            else "Anonymous accounts posted insults."
        )
        rows.append(
            [
                DATES[n % len(DATES)].format(day=1 + n % 27),
                reporter,
                subjects,
                ids,
                summary,
                "Yes" if n % 2 else "No",
                "x" if n % 3 == 0 else "",
                "The person was spoken to." if n % 4 else "",
                kind,
                "",
            ]
        )
    return rows


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        [list(headers), *map(list, rows)]
    )
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def values_in(rows: Sequence[Sequence[str]]) -> set[str]:
    """Every personal value of the sheet, and each word of each name, to look for in output."""
    found = set()
    for row in rows:
        for cell in (row[1], row[2], row[3], row[4]):
            found |= {part.strip() for part in cell.replace("\n", ";").split(";") if part.strip()}
        found |= {
            word for cell in (row[2],) for word in cell.replace(";", " ").split() if len(word) > 3
        }
    return found - {"Bob Member"}


def records(repo: Cocrec) -> dict[str, dict[str, Any]]:
    result = repo("list", "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def shown(repo: Cocrec, rid: str) -> dict[str, Any]:
    result = repo("show", rid, "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["record"]  # type: ignore[no-any-return]


def record_files(repo: Cocrec) -> dict[str, bytes]:
    return {name: data for name, data in repo.files().items() if name.startswith("records/")}


def do_import(repo: Cocrec, path: Path, *args: str) -> Any:
    return repo("import", str(path), "--as-of", AS_OF, *args)


# -- the seed's sheet, once and again ---------------------------------------------------------------


def test_a_thirty_row_sheet_in_the_seed_columns_imports_once(repo: Cocrec, tmp_path: Path) -> None:
    rows = seed_rows()
    sheet = write_csv(tmp_path / "export.csv", SEED_HEADERS, rows)
    result = do_import(repo, sheet, "--yes")
    assert result.exit_code == 0, result.output
    assert "Imported 30 record(s)" in result.stdout
    assert "delete" in result.stdout and "Downloads" in result.stdout and "browser" in result.stdout
    leaked = [value for value in values_in(rows) if value in result.output]
    assert not leaked, leaked
    listed = records(repo)
    assert len(listed) == 30
    assert repo("check", "--as-of", AS_OF).exit_code in (
        0,
        1,
    )  # overdue steps are the committee's to expunge
    assert "invalid" not in repo("check", "--as-of", AS_OF).stdout

    before = record_files(repo)
    again = do_import(repo, sheet, "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing to import" in again.stdout and "delete" in again.stdout
    assert record_files(repo) == before
    assert len(records(repo)) == 30


def test_each_row_becomes_the_record_a_member_would_have_typed(
    repo: Cocrec, tmp_path: Path
) -> None:
    rows = seed_rows(10)
    result = do_import(repo, write_csv(tmp_path / "export.csv", SEED_HEADERS, rows), "--yes")
    assert result.exit_code == 0, result.output
    docs = [shown(repo, rid) for rid in records(repo)]
    by_summary = {doc.get("summary"): doc for doc in docs}
    first = by_summary[rows[1][4]]  # 2 Mar 2025, flagged, a public reporter, action by us
    assert first["reported_on"] == "2025-03-02" and first["region"] == "other"
    assert first["reporter"] == {"kind": "public", "name": rows[1][1]}
    assert first["subjects"] == [{"name": rows[1][2], "emails": [rows[1][3]]}]
    assert first["outcome"]["type"] == "flagged" and first["outcome"]["decided_on"] == "2025-03-02"
    assert first["action_by_committee"] == {"taken": True} and first["action_by_local_rep"] == {
        "taken": False
    }
    assert (
        len(first["imported"]["row_sha256"]) == 64
        and first["imported"]["decided_on_assumed"] is True
    )
    private = by_summary[
        rows[0][4]
    ]  # the CoC person's name: a private reporter, handled by that member
    assert private["reporter"] == {"kind": "private"} and private["handled_by"] == "bob"
    banned = by_summary[rows[3][4]]
    assert banned["outcome"]["ban"] == {"until": "2027-06-30"}
    assert by_summary[rows[5][4]]["outcome"]["ban"] == {"permanent": True}
    two = by_summary[rows[4][4]]  # two subjects, paired with their emails in order
    assert [s["emails"] for s in two["subjects"]] == [
        [rows[4][3].split("\n")[0]],
        [rows[4][3].split("\n")[1]],
    ]
    unidentified = by_summary["Anonymous accounts posted insults."]
    assert (
        unidentified["outcome"]["type"] == "unidentified" and unidentified.get("subjects", []) == []
    )


def test_a_row_re_imported_after_its_data_was_expunged_is_still_recognised(
    repo: Cocrec, tmp_path: Path
) -> None:
    rows = [
        [
            "2024-01-10",
            "Rena Reporter",
            "Omar Ostwind",
            "omar@example.org",
            "Omar Ostwind shouted at a volunteer.",
            "Yes",
            "No",
            "",
            "No violation",
            "",
        ]
    ]
    sheet = write_csv(tmp_path / "export.csv", SEED_HEADERS, rows)
    result = do_import(repo, sheet, "--yes")
    assert result.exit_code == 0 and "Already past their date to expunge: row 2" in result.stdout
    assert repo("expunge", "--as-of", AS_OF, "--yes").exit_code == 0
    again = do_import(repo, sheet, "--yes")
    assert again.exit_code == 0 and "Nothing to import" in again.stdout
    assert len(records(repo)) == 1


def test_dry_run_shows_row_id_outcome_and_dates_and_writes_nothing(
    repo: Cocrec, tmp_path: Path
) -> None:
    rows = seed_rows(7)
    before = repo.files()
    result = do_import(repo, write_csv(tmp_path / "export.csv", SEED_HEADERS, rows), "--dry-run")
    assert result.exit_code == 0, result.output
    assert repo.files() == before
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["ROW", "NEW", "ID", "OUTCOME"]
    assert (
        lines[1].startswith("row 2  2025-") and "resolved" in lines[1] and "2026-03-01" in lines[1]
    )
    assert "never" in result.stdout  # the permanent ban and the unidentified subjects
    assert "nothing was written" in result.stdout
    assert not [value for value in values_in(rows) if value in result.output]


def test_writing_needs_yes_or_a_yes_on_a_terminal(repo: Cocrec, tmp_path: Path, alice: Any) -> None:
    sheet = write_csv(tmp_path / "export.csv", SEED_HEADERS, seed_rows(3))
    before = repo.files()
    result = do_import(repo, sheet)
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert repo.files() == before

    def context() -> Context:
        return Context(
            repo_flag=str(repo.root),
            identity_flags=(str(alice.identity),),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    asked: list[str] = []
    no = context()
    assert (
        import_.run(
            no,
            str(sheet),
            None,
            False,
            False,
            _date(AS_OF),
            confirm=lambda q: asked.append(q) or False,
        )
        == 1
    )
    assert repo.files() == before and "Import 3 record(s)" in asked[0]
    yes = context()
    assert (
        import_.run(yes, str(sheet), None, False, False, _date(AS_OF), confirm=lambda q: True) == 0
    )
    assert len(records(repo)) == 3


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_a_date_to_expunge_unlike_the_computed_one_becomes_an_override(
    repo: Cocrec, tmp_path: Path
) -> None:
    rows = [
        # resolved on 2025-06-01: the policy says 2026-08-01; the sheet kept it longer
        [
            "2025-06-01",
            "Rena Reporter",
            "Pia Pendleton",
            "pia@example.org",
            "Pia Pendleton mocked a speaker.",
            "Yes",
            "No",
            "",
            "Resolved",
            "2027-02-01",
        ],
        # the same date as computed: no override
        [
            "2025-07-01",
            "Rena Reporter",
            "Quin Quarry",
            "quin@example.org",
            "Quin Quarry mocked a speaker.",
            "Yes",
            "No",
            "",
            "Resolved",
            "1 Sep 2026",
        ],
    ]
    result = do_import(repo, write_csv(tmp_path / "export.csv", SEED_HEADERS, rows), "--yes")
    assert result.exit_code == 0, result.output
    docs = {doc["summary"]: doc for doc in (shown(repo, rid) for rid in records(repo))}
    override = docs[rows[0][4]]["retention"]["override"]
    assert override == {
        "subjects": "2027-02-01",
        "reporter": "2027-02-01",
        "reason": "imported",
        "decided_on": AS_OF,
    }
    assert "retention" not in docs[rows[1][4]]
    assert (
        "Already past their date to expunge" in result.stdout
        and "row 3" in result.stdout.split("Already past")[1]
    )


# -- problems --------------------------------------------------------------------------------------


def test_every_problem_names_its_row_and_column_never_the_value_and_nothing_is_written(
    repo: Cocrec, tmp_path: Path
) -> None:
    headers = [*SEED_HEADERS, "Reporter kind", "outcome.consequence"]
    good = [
        "2026-01-05",
        "Rena Reporter",
        "Sol Sandoval",
        "sol@example.org",
        "Sol Sandoval was rude.",
        "Yes",
        "No",
        "",
        "Resolved",
        "",
        "",
        "",
    ]
    rows = [
        good,
        ["2026-13-05", *good[1:]],  # row 3: no such month
        ["3/4/2026", *good[1:4], "Sol again.", *good[5:]],  # row 4: reads two ways
        [*good[:4], "Tad Tollivar was rude.", *good[5:8], "", *good[9:]],  # row 5: no outcome
        [*good[:4], "Uma was rude.", "Maybe", *good[6:]],  # row 6: not yes or no
        [
            good[0],
            "Vera Vanterpool",
            *good[2:4],
            "Vera's case.",
            *good[5:10],
            "private",
            "",
        ],  # row 7: a private reporter named
        good,  # row 8: the same as row 2
        [
            *good[:2],
            "Wim Wexford",
            "wim wexford@example.org",
            "Wim was rude.",
            *good[5:],
        ],  # row 9: a space in an identifier
        [
            *good[:4],
            "Xia was rude.",
            *good[5:8],
            "Banned",
            *good[9:],
        ],  # row 10: banned, until when?
        [*good[:4], "Yan was rude.", *good[5:11], "stern-word"],  # row 11: no such consequence
        [good[0], good[1], "", "", "Zed was rude.", *good[5:]],  # row 12: resolved with no subject
    ]
    before = repo.files()
    result = do_import(repo, write_csv(tmp_path / "export.csv", headers, rows), "--yes")
    assert result.exit_code == 2, result.output
    assert repo.files() == before
    lines = [line for line in result.stderr.splitlines() if ": row " in line]
    expected = {
        3: "column 'Date of 1st report'",
        4: "column 'Date of 1st report'",
        5: "column 'Banned or flagged'",
        6: "column 'Action taken by us?'",
        7: "column 'Reporter, if official/public, CoC person if private'",
        8: "every column",
        9: "column 'Subject email address/URL'",
        10: "column 'Banned or flagged'",
        11: "column 'outcome.consequence'",
        12: "column 'Named subjects'",
    }
    for row, where in expected.items():
        assert any(f"row {row}, {where}:" in line for line in lines), (row, where, lines)
    assert not any("row 2," in line for line in lines)
    assert (
        "reads two ways" in result.stderr
        and "names a private reporter" in result.stderr
        and "the same as row 2" in result.stderr
    )
    assert len(lines) == len(expected)
    assert "nothing was imported" in result.stderr
    for value in (
        "Vera",
        "Vanterpool",
        "wim wexford",
        "Maybe",
        "stern-word",
        "2026-13-05",
        "3/4/2026",
        "Sol Sandoval",
    ):
        assert value not in result.output, value
    assert "Traceback" not in result.output


def test_a_missing_required_column_is_one_line(repo: Cocrec, tmp_path: Path) -> None:
    headers = [h for h in SEED_HEADERS if not h.startswith("Date of 1st")]
    result = do_import(
        repo,
        write_csv(tmp_path / "export.csv", headers, [row[1:] for row in seed_rows(2)]),
        "--yes",
    )
    assert result.exit_code == 2
    assert "row 1, column 'Date of 1st report': no such column" in result.stderr
    assert records(repo) == {}


@pytest.mark.parametrize(
    "data, message",
    [
        ("Date of 1st report,Reporter\n2026-01-01,Rena Reporter\n".encode("utf-16"), "UTF-16"),
        (
            "Date of 1st report,Reporter\n2026-01-01,Ren\u00e9e R\u00e9porter\n".encode("latin-1"),
            "not UTF-8",
        ),
        (b"", "empty"),
        (b'Date of 1st report,Reporter\n2026-01-01,"Rena\n', "not a CSV"),
    ],
    ids=["utf-16", "latin-1", "empty", "open-quote"],
)
def test_an_unreadable_file_is_one_line_exit_2(
    repo: Cocrec, tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    result = do_import(repo, path, "--yes")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Ren" not in result.stderr


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolons_tabs_and_a_byte_order_mark(
    repo: Cocrec, tmp_path: Path, delimiter: str
) -> None:
    sheet = write_csv(
        tmp_path / "export.csv",
        SEED_HEADERS,
        seed_rows(4),
        delimiter=delimiter,
        encoding="utf-8-sig",
    )
    result = do_import(repo, sheet, "--yes")
    assert result.exit_code == 0, result.output
    assert len(records(repo)) == 4


# -- the mapping file ------------------------------------------------------------------------------


def test_a_mapping_renames_columns_maps_values_and_fills_defaults(
    repo: Cocrec, tmp_path: Path
) -> None:
    headers = [
        "Received",
        "Who reported",
        "Person",
        "Contact",
        "What happened",
        "We acted",
        "Locals acted",
        "Status",
        "Ban ends",
        "Where",
    ]
    rows = [
        [
            "1/12/2026",
            "Rena Reporter",
            "Abe Ashcombe",
            "abe@example.org",
            "Abe Ashcombe heckled.",
            "Y",
            "N",
            "Blacklisted",
            "12/31/2027",
            "EU",
        ],
        [
            "2/3/2026",
            "Rena Reporter",
            "Bea Bellweather",
            "github:beab",
            "Bea Bellweather heckled.",
            "Y",
            "",
            "Watch",
            "",
            "US",
        ],
        [
            "2/13/2026",
            "Rena Reporter",
            "Cal Calloway",
            "https://example.org/~cal",
            "Cal Calloway heckled.",
            "",
            "",
            "",
            "",
            "EU",
        ],
    ]
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  Received: Date of 1st report\n  Who reported: Reporter\n  Person: Named subjects\n  Contact: Subject email\n"
        "  What happened: Summary of report\n  We acted: Action taken by us\n  Locals acted: Action taken by local rep\n"
        "  Status: Banned or flagged\n  Ban ends: outcome.ban.until\n  Where: region\n"
        "values:\n  Banned or flagged: {Blacklisted: banned, Watch: flagged, '': resolved}\n  region: {EU: europe, US: north-america}\n"
        "defaults:\n  reporter.kind: official\ndate_order: mdy\n"
    )
    sheet = write_csv(tmp_path / "export.csv", headers, rows)
    result = do_import(repo, sheet, "--mapping", str(mapping), "--yes")
    assert result.exit_code == 0, result.output
    docs = {doc["summary"]: doc for doc in (shown(repo, rid) for rid in records(repo))}
    abe, bea, cal = (docs[row[4]] for row in rows)
    assert (
        abe["reported_on"] == "2026-01-12"
        and abe["region"] == "europe"
        and abe["reporter"]["kind"] == "official"
    )
    assert abe["outcome"]["type"] == "banned" and abe["outcome"]["ban"] == {"until": "2027-12-31"}
    assert (
        bea["reported_on"] == "2026-02-03"
        and bea["region"] == "north-america"
        and bea["outcome"]["type"] == "flagged"
    )
    assert bea["subjects"] == [{"name": "Bea Bellweather", "usernames": ["github:beab"]}]
    assert cal["outcome"]["type"] == "resolved" and cal["subjects"][0]["urls"] == [
        "https://example.org/~cal"
    ]
    # without the mapping, the same sheet names none of the columns
    plain = do_import(repo, sheet, "--yes")
    assert plain.exit_code == 2 and "no such column" in plain.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ("columns: {Received: nonsense}\n", "columns.Received: not a field cocrec imports"),
        ("date_order: ymd\n", "date_order"),
        ("colums: {}\n", "unknown field 'colums'"),
        ("columns: [a, b]\n", "columns"),
        ("values: {region: {EU: [europe]}}\n", "values.region.EU"),
    ],
)
def test_a_bad_mapping_file_is_one_line_exit_2(
    repo: Cocrec, tmp_path: Path, text: str, message: str
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text)
    result = do_import(
        repo,
        write_csv(tmp_path / "export.csv", SEED_HEADERS, seed_rows(2)),
        "--mapping",
        str(mapping),
        "--yes",
    )
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert records(repo) == {}


def test_as_of_after_today_is_refused_for_a_write(repo: Cocrec, tmp_path: Path) -> None:
    result = repo(
        "import",
        str(write_csv(tmp_path / "export.csv", SEED_HEADERS, seed_rows(1))),
        "--as-of",
        "2199-01-01",
        "--yes",
    )
    assert result.exit_code == 2 and "after today" in result.stderr


@pytest.mark.parametrize(
    "cell, handled_by, problem",
    [
        ("Bob Member", "bob", None),
        ("bob", "bob", None),
        ("Private (Bob Member)", "bob", None),
        ("anonymous: alice", "alice", None),
        ("Private", None, "give the member handling the case"),
        ("Private: Rena Reporter", None, "names a private reporter"),
    ],
)
def test_a_private_reporter_is_never_named_the_member_handling_it_is(
    repo: Cocrec, tmp_path: Path, cell: str, handled_by: str | None, problem: str | None
) -> None:
    row = [
        "2026-01-05",
        cell,
        "Sol Sandoval",
        "sol@example.org",
        "Sol Sandoval was rude.",
        "Yes",
        "No",
        "",
        "Resolved",
        "",
    ]
    result = do_import(repo, write_csv(tmp_path / "export.csv", SEED_HEADERS, [row]), "--yes")
    if problem is not None:
        assert (
            result.exit_code == 2
            and problem in result.stderr
            and "row 2, column 'Reporter, if official" in result.stderr
        )
        assert "Rena" not in result.output and records(repo) == {}
        return
    assert result.exit_code == 0, result.output
    (doc,) = [shown(repo, rid) for rid in records(repo)]
    assert doc["reporter"] == {"kind": "private"} and doc["handled_by"] == handled_by
