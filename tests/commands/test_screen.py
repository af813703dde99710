from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Cocrec
from .scenario import AS_OF, add_all

ATTENDEES = """name,Email,Mastodon,ticket
Flora F,FLORA@example.org,,A1
Rosa Quartermain,rosa@example.org,,A2
Ann Attendee,ann@example.org,,A3
Bruno B,,@brunob,A4
Paula Pemberton,p.pemberton@example.org,,A5
Olga Oberlander,olga@example.org,,A6
"""


@pytest.fixture
def ids(repo: Cocrec) -> dict[str, str]:
    return add_all(repo)


def write(tmp_path: Path, text: str, name: str = "attendees.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def screen(repo: Cocrec, *args: str) -> list[dict[str, Any]]:
    result = repo("screen", *args, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def disclosures(repo: Cocrec, rid: str) -> list[dict[str, str]]:
    result = repo("show", rid, "--format", "json", "--as-of", AS_OF)
    return json.loads(result.stdout)["record"].get("disclosures", [])  # type: ignore[no-any-return]


def test_only_flagged_and_banned_attendees_are_listed(
    repo: Cocrec, ids: dict[str, str], tmp_path: Path
) -> None:
    hits = screen(repo, write(tmp_path, ATTENDEES))
    found = [(h["line"], h["column"], h["id"], h["strong"]) for h in hits]
    assert found == [
        (2, "Email", ids["A"], True),  # email in another case
        (5, "Mastodon", ids["B"], True),  # @brunob under a Mastodon header is mastodon:brunob
        (6, "name", ids["E"], False),  # name only: weaker
    ]
    # Rosa (resolved), Ann (nobody), Olga (past retention) are not listed; nothing about the reporter
    text = repo("screen", write(tmp_path, ATTENDEES), "--as-of", AS_OF).stdout
    assert (
        "line 2 (Email: FLORA@example.org)" in text
        and "Rosa" not in text
        and "ann@" not in text
        and "Olga" not in text
    )
    assert "Rita" not in text and "[redacted] reported it." in text
    assert "matched by name, weaker" in text


def test_disclose_records_what_was_shared_with_whom_once(
    repo: Cocrec, ids: dict[str, str], tmp_path: Path
) -> None:
    csv_file = write(tmp_path, ATTENDEES)
    result = repo(
        "screen", csv_file, "--disclose", "Example Conf 2027 organisers", "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.output
    entry = {"on": AS_OF, "to": "Example Conf 2027 organisers", "what": "shareable_summary"}
    assert disclosures(repo, ids["A"]) == [entry]
    assert disclosures(repo, ids["B"]) == [entry]
    assert disclosures(repo, ids["E"]) == []  # a name-only match is not recorded as disclosed
    assert "not recorded for name-only matches" in result.stderr
    before = repo.files()
    again = repo("screen", csv_file, "--disclose", "Example Conf 2027 organisers", "--as-of", AS_OF)
    assert again.exit_code == 0 and repo.files() == before
    assert "recorded the disclosure in 0 record(s)" in again.stderr
    assert (
        repo("index").exit_code == 0 and repo.files() == before
    )  # the index was rewritten with the records


def test_column_can_be_chosen_and_headerless_lists_work(
    repo: Cocrec, ids: dict[str, str], tmp_path: Path
) -> None:
    assert [h["id"] for h in screen(repo, write(tmp_path, ATTENDEES), "--column", "email")] == [
        ids["A"]
    ]
    headerless = write(tmp_path, "paula@example.org;Paula\nann@example.org;Ann\n", "plain.csv")
    assert [(h["line"], h["id"]) for h in screen(repo, headerless)] == [(1, ids["E"])]
    assert [(h["line"], h["id"]) for h in screen(repo, headerless, "--column", "1")] == [
        (1, ids["E"])
    ]


def test_nobody_matching_says_so(repo: Cocrec, ids: dict[str, str], tmp_path: Path) -> None:
    result = repo("screen", write(tmp_path, "email\nann@example.org\n"), "--as-of", AS_OF)
    assert (
        result.exit_code == 0
        and result.stdout.strip() == f"Nobody on this list is flagged or banned as of {AS_OF}."
    )


@pytest.mark.parametrize(
    "content, args, message",
    [
        (ATTENDEES, ["--column", "phone"], "no column named 'phone'"),
        ("", [], "the file is empty"),
        (",,\n , ,\n", [], "the file is empty"),
        (
            "ticket,seat\nA1,12\n",
            [],
            "no column looks like emails, usernames, urls or names; pass --column NAME",
        ),
        (None, [], "cannot read it (No such file or directory)"),
        (b"\xff\xfe\x00bad", [], "not UTF-8 text"),
    ],
    ids=[
        "missing-column",
        "empty",
        "blank-cells",
        "no-detectable-column",
        "missing-file",
        "not-utf8",
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    repo: Cocrec, tmp_path: Path, content: Any, args: list[str], message: str
) -> None:
    path = tmp_path / "list.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    before = repo.files()
    result = repo("screen", str(path), *args, "--disclose", "Someone", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert (
        result.stderr.count("\n") == 1 and message in result.stderr and str(path) in result.stderr
    )
    assert repo.files() == before
