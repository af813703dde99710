"""Code names (SPEC section 11): two words of a shipped list, unique, signed in the index, accepted
wherever an id is, shown by list, due and status, and free to use in commit messages."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cocrec import codenames, index, message_check
from cocrec.commands.list import index_only_rows
from cocrec.store import Store

from .conftest import AS_OF, Cocrec, Person, add_many, outcome, record
from .test_editor import EditorScript

CHECK_AS_OF = "2026-06-10"  # the open cases these tests write are not stale yet
SHAPE = re.compile(r"[a-z]+ [a-z]+")
# Words that must never be part of a code name used in a harassment case (a sample of each kind).
NEVER = {
    "angry",
    "victim",
    "guilty",
    "liar",
    "abuse",
    "assault",
    "attack",
    "blood",
    "body",
    "breast",
    "crime",
    "drunk",
    "gun",
    "knife",
    "kill",
    "man",
    "woman",
    "girl",
    "boy",
    "god",
    "church",
    "jewish",
    "muslim",
    "french",
    "black",
    "white",
    "sex",
    "hot",
    "wolf",
    "snake",
    "rat",
    "pig",
    "predator",
    "creep",
    "beer",
    "wine",
    "banned",
    "flagged",
}


def index_entries(repo: Cocrec) -> dict[str, index.Entry]:
    return dict(
        index.Index.parse(
            (repo.root / "records/index.yaml").read_bytes(), "records/index.yaml"
        ).entries
    )


def code_name(repo: Cocrec, rid: str) -> str:
    name = index_entries(repo)[rid].code_name
    assert name is not None
    return name


# -- the word list and the pure core ------------------------------------------------------


def test_the_shipped_list_is_a_few_hundred_plain_neutral_words() -> None:
    words = codenames.words()
    assert 300 <= len(words) <= 1000
    assert len(set(words)) == len(words)
    assert all(re.fullmatch(codenames.WORD, word) for word in words)
    assert not NEVER & set(words)
    assert not {"yes", "no", "on", "off", "null", "true", "false"} & set(
        words
    )  # nothing YAML reads as other than text


def test_a_code_name_is_two_different_words_of_the_list() -> None:
    for _ in range(200):
        name = codenames.choose(())
        first, second = name.split(" ")
        assert first != second and {first, second} <= set(codenames.words())
        assert codenames.is_code_name(name) and codenames.of_shipped_words(name)
    assert not codenames.is_code_name("home home") and not codenames.is_code_name("Home shelf")
    assert not codenames.is_code_name("home  shelf") and not codenames.is_code_name("2026-k7qd")


def test_what_a_member_types_is_read_leniently() -> None:
    for typed in (
        "home shelf",
        "Home Shelf",
        " home-shelf ",
        "HOME_SHELF",
        "home \t shelf",
    ):
        assert codenames.normalise(typed) == "home shelf", typed
    for typed in (
        "2026-k7qd",
        "home",
        "home shelf door",
        "home home",
        "jane@example.org",
        "",
    ):
        assert codenames.normalise(typed) is None, typed


def test_names_are_unique_across_many_records_and_never_reuse_a_taken_one() -> None:
    taken = {codenames.choose(()) for _ in range(50)}
    given = codenames.assign([f"2026-{n:04d}" for n in range(5000)], taken)
    assert len(set(given.values())) == 5000 and not taken & set(given.values())
    small = (
        "alpha",
        "beta",
        "gamma",
    )  # 6 names in all: the last free ones are found, then none is left
    names = codenames.assign(["a", "b", "c", "d", "e", "f"], (), small)
    assert len(set(names.values())) == 6
    with pytest.raises(ValueError):
        codenames.choose(set(names.values()), small)


# -- assigned, signed, kept -------------------------------------------------------------------


def test_new_gives_each_record_a_unique_code_name_in_its_signed_index_entry(
    repo: Cocrec,
) -> None:
    rid = repo.add(record())
    ids = add_many(repo, 40)
    entries = index_entries(repo)
    names = [entries[r].code_name for r in [rid, *ids]]
    assert all(name is not None and SHAPE.fullmatch(name) for name in names)
    assert len(set(names)) == len(names)
    text = (repo.root / "records/index.yaml").read_text()
    assert f"  {rid}:\n    code_name: {entries[rid].code_name}\n    sha256: " in text
    assert (
        entries[rid].code_name is not None
        and json.loads(entries[rid].message("root"))["code_name"] == entries[rid].code_name
    )


def test_import_gives_each_record_it_makes_a_code_name(repo: Cocrec, tmp_path: Path) -> None:
    from .commands.test_import import SEED_HEADERS, seed_rows, write_csv

    sheet = write_csv(tmp_path / "export.csv", SEED_HEADERS, seed_rows(12))
    result = repo("import", str(sheet), "--as-of", AS_OF, "--yes")
    assert result.exit_code == 0, result.output
    names = [entry.code_name for entry in index_entries(repo).values()]
    assert len(names) == 12 and all(name and SHAPE.fullmatch(name) for name in names)
    assert len(set(names)) == 12
    told = [line for line in result.stderr.splitlines() if "code name is" in line]
    assert sorted(told) == sorted(  # one line a record, as `new` prints it
        f'cocrec: {rid}\'s code name is "{entry.code_name}" (for meetings and commit messages; commands take either)'
        for rid, entry in index_entries(repo).items()
    )


def test_seal_names_each_record_it_makes(repo: Cocrec) -> None:
    from cocrec import yaml_io

    kept = repo.add(record())
    assert repo("open").exit_code == 0
    for n in (1, 2):
        (repo.root / f"workspace/new-{n}.yaml").write_text(
            yaml_io.dumps(record(summary=f"Incident {n}.\n"))
        )
    sealed = repo("seal", "--as-of", AS_OF)
    assert sealed.exit_code == 0, sealed.output
    made = [line.split(":")[0] for line in sealed.stdout.splitlines() if "new record" in line]
    assert len(made) == 2
    told = [line for line in sealed.stderr.splitlines() if "code name is" in line]
    assert told == [
        f'cocrec: {rid}\'s code name is "{code_name(repo, rid)}" (for meetings and commit messages; commands take either)'
        for rid in made
    ]
    assert kept not in sealed.stderr  # only the records it made


def test_a_code_name_survives_edits_rekeys_and_regenerating_the_index(
    repo: Cocrec, carol: Person, tmp_path: Path
) -> None:
    rid = repo.add(record())
    name = code_name(repo, rid)
    editor = EditorScript(tmp_path / "editor").plan(
        {"replace": [["Emailed the subject.", "Emailed the subject twice."]]}
    )
    assert repo("edit", rid, "--as-of", AS_OF, env=editor.env).exit_code == 0
    assert code_name(repo, rid) == name
    assert (
        repo("members", "add", carol.id, "--name", carol.name, "--key", carol.public).exit_code == 0
    )  # re-encrypts
    assert code_name(repo, rid) == name
    subprocess.run(["git", "-C", str(repo.root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(repo.root), "commit", "-q", "--no-verify", "-m", "records"],
        check=True,
    )
    (repo.root / "records/index.yaml").unlink()
    assert repo("index").exit_code == 0  # rebuilt from the one last committed, its signatures kept
    assert code_name(repo, rid) == name
    checked = repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF)
    assert checked.exit_code == 0, checked.output


def test_a_removed_records_code_name_is_kept_in_its_tombstone(repo: Cocrec) -> None:
    rid = repo.add(record())
    name = code_name(repo, rid)
    (repo.root / "records" / f"{rid}.yaml.age").unlink()
    assert repo("adopt", "--yes").exit_code == 0
    tombstone = index_entries(repo)[rid]
    assert tombstone.removed and tombstone.code_name == name
    result = repo("show", name)
    assert result.exit_code == 2 and "removed" in result.stderr


def test_index_tampering_with_a_code_name_fails_check_without_a_key(
    repo: Cocrec,
) -> None:
    rid = repo.add(record())
    other = repo.add(record(reported_on="2026-06-05", subjects=[{"name": "Other Person"}]))
    path = repo.root / "records/index.yaml"
    text = path.read_text()
    mine, theirs = code_name(repo, rid), code_name(repo, other)
    path.write_text(
        text.replace(mine, "placeholder").replace(theirs, mine).replace("placeholder", theirs)
    )  # exchanged
    result = repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF)
    assert result.exit_code == 1
    assert (
        f"records/{rid}.yaml.age" in result.output and "signature fails to verify" in result.output
    )
    path.write_text(text.replace(mine, "Not A Name", 1))
    result = repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF)
    assert result.exit_code != 0 and f"records.{rid}.code_name" in result.output
    assert "Traceback" not in result.output


def test_cocrec_index_names_old_records_without_making_them_stale(
    repo: Cocrec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records written before code names existed: their entries have none, and their old signatures hold."""
    with monkeypatch.context() as old_cocrec:
        old_cocrec.setattr(
            Store,
            "with_code_names",
            lambda self, entries, name_all=False: dict(entries),
        )
        old = [
            repo.add(record()),
            repo.add(record(reported_on="2026-06-05", subjects=[{"name": "Other Person"}])),
        ]
    assert all(index_entries(repo)[rid].code_name is None for rid in old)
    assert (
        repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF).exit_code == 0
    )  # the old entries still verify
    assert repo("check", "--as-of", CHECK_AS_OF).exit_code == 0
    files = {p: b for p, b in repo.files().items() if p.endswith(".age")}
    newer = repo.add(record(reported_on="2026-06-06", subjects=[{"name": "Third Person"}]))
    assert index_entries(repo)[newer].code_name is not None
    assert all(
        index_entries(repo)[rid].code_name is None for rid in old
    )  # only what is written is renamed
    result = repo("index")
    assert result.exit_code == 0 and "regenerated" in result.stdout
    entries = index_entries(repo)
    assert all(entries[rid].code_name is not None for rid in old)
    assert len({entries[rid].code_name for rid in [*old, newer]}) == 3
    assert {
        p: b for p, b in repo.files().items() if p.endswith(".age") and p in files
    } == files  # nothing re-encrypted
    assert repo("rekey", "--check").exit_code == 0
    assert repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF).exit_code == 0
    assert repo("index").stdout.strip() == "records/index.yaml is up to date"


# -- every id argument takes a code name -----------------------------------------------------


@pytest.fixture
def named(repo: Cocrec) -> tuple[str, str]:
    """One closed record past its expunge date, with its code name."""
    rid = repo.add(record(reported_on="2025-01-10", outcome=outcome("resolved", "2025-01-20")))
    return rid, code_name(repo, rid)


def test_show_and_due_take_a_code_name(repo: Cocrec, named: tuple[str, str]) -> None:
    rid, name = named
    shown = repo("show", name, "--as-of", AS_OF)
    assert (
        shown.exit_code == 0
        and f"id: {rid}" in shown.stdout
        and f"# code name: {name}" in shown.stdout
    )
    assert repo("show", name.upper().replace(" ", "-"), "--as-of", AS_OF).stdout == shown.stdout
    data = json.loads(repo("show", name, "--format", "json", "--as-of", AS_OF).stdout)
    assert data["record"]["id"] == rid and data["code_name"] == name
    due = json.loads(repo("due", name, "--as-of", AS_OF, "--format", "json").stdout)
    assert [row["id"] for row in due] == [rid] and due[0]["code_name"] == name


def test_edit_takes_a_code_name(repo: Cocrec, named: tuple[str, str], tmp_path: Path) -> None:
    rid, name = named
    editor = EditorScript(tmp_path / "editor").plan(
        {"replace": [["Emailed the subject.", "Emailed the subject twice."]]}
    )
    result = repo("edit", name, "--as-of", AS_OF, env=editor.env)
    assert result.exit_code == 0 and f"{rid}: saved" in result.stdout
    assert code_name(repo, rid) == name
    (seen,) = editor.log
    assert seen["text"].splitlines()[1] == f"# code name: {name}"  # the header, as `show` prints it


def test_open_and_expunge_take_code_names(repo: Cocrec, named: tuple[str, str]) -> None:
    rid, name = named
    other = repo.add(
        record(
            reported_on="2025-01-11",
            subjects=[{"name": "Other Person"}],
            outcome=outcome("resolved", "2025-01-20"),
        )
    )
    opened = repo("open", name, "--as-of", AS_OF)
    assert opened.exit_code == 0 and (repo.root / "workspace" / f"{rid}.yaml").exists()
    assert not (repo.root / "workspace" / f"{other}.yaml").exists()
    assert repo("seal", "--as-of", AS_OF).exit_code == 0
    dry = json.loads(
        repo("expunge", name, "--dry-run", "--as-of", AS_OF, "--format", "json").stdout
    )
    assert {step["id"] for step in dry["steps"]} == {rid}
    done = repo("expunge", name, "--yes", "--as-of", AS_OF, "--format", "json")
    assert done.exit_code == 0 and {step["id"] for step in json.loads(done.stdout)["steps"]} == {
        rid
    }
    assert (
        json.loads(repo("due", other, "--as-of", AS_OF, "--format", "json").stdout)[0]["steps"][
            "reporter"
        ]["state"]
        == "overdue"
    )


def test_a_quoted_code_name_works_in_a_shell(
    repo: Cocrec, named: tuple[str, str], alice: Person
) -> None:
    rid, name = named
    line = f'{shlex.quote(sys.executable)} -m cocrec -C {shlex.quote(str(repo.root))} -i {shlex.quote(str(alice.identity))} show "{name}" --as-of {AS_OF}'
    result = subprocess.run(["sh", "-c", line], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"id: {rid}" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["show", "{name}"],
        ["edit", "{name}"],
        ["open", "{rid}", "{name}"],
        ["expunge", "{name}", "--yes"],
        ["expunge", "{name}", "--dry-run"],
        ["due", "{name}"],
    ],
)
def test_an_unknown_code_name_is_one_line_exit_2_and_changes_nothing(
    repo: Cocrec, named: tuple[str, str], command: list[str]
) -> None:
    rid, name = named
    unknown = next(n for n in (codenames.choose(()) for _ in range(100)) if n != name)
    files = repo.files()
    for typed in (unknown, "jane doe", "not a code name at all"):
        result = repo(*(part.format(rid=rid, name=typed) for part in command), "--as-of", AS_OF)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("cocrec: ID: ") and "cocrec list" in line
        assert (
            typed not in line and "jane" not in line
        )  # what was typed may be a name typed in the wrong place
        assert repo.files() == files


def test_two_branches_that_chose_the_same_name_are_told_apart_by_id(
    repo: Cocrec, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo.root), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    assert repo("setup").exit_code == 0
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "start")
    monkeypatch.setattr(codenames, "choose", lambda taken, vocabulary=(): "home shelf")
    start = git("rev-parse", "--abbrev-ref", "HEAD").strip()
    git("checkout", "-q", "-b", "other")
    theirs = repo.add(record(reported_on="2026-06-05", subjects=[{"name": "Other Person"}]))
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "other")
    git("checkout", "-q", start)
    ours = repo.add(record())
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "ours")
    git("merge", "-q", "--no-edit", "--no-verify", "other")
    assert repo("check", "--no-decrypt", "--as-of", CHECK_AS_OF).exit_code == 0
    result = repo("show", "home shelf", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "held by records" in result.stderr and ours in result.stderr and theirs in result.stderr
    assert repo("show", ours, "--as-of", AS_OF).exit_code == 0


# -- list, due and status show it ---------------------------------------------------------------


def test_list_due_and_status_show_code_names(repo: Cocrec, named: tuple[str, str]) -> None:
    rid, name = named
    opened = repo.add(record(reported_on="2027-01-10", subjects=[{"name": "Other Person"}]))
    rows = json.loads(repo("list", "--as-of", AS_OF, "--format", "json").stdout)
    assert {row["id"]: row["code_name"] for row in rows} == {
        rid: name,
        opened: code_name(repo, opened),
    }
    assert all(list(row)[:2] == ["id", "code_name"] for row in rows)
    table = repo("list", "--as-of", AS_OF).stdout
    assert "CODE_NAME" in table and name in table
    due = repo("due", "--as-of", AS_OF).stdout
    assert "CODE NAME" in due and name in due
    status = json.loads(repo("status", "--as-of", AS_OF, "--format", "json").stdout)
    assert {(item["id"], item["code_name"]) for item in status["overdue"]} == {(rid, name)}
    assert status["open_cases"][0]["code_name"] == code_name(repo, opened)
    board = repo("status", "--as-of", AS_OF).stdout
    assert name in board and code_name(repo, opened) in board


def test_list_shows_records_a_member_cannot_open_from_the_index_alone() -> None:
    entries = {
        "2026-aaaa": index.Entry(
            "2026-aaaa",
            "x",
            "r",
            "open",
            reported_on="2026-03-01",
            code_name="home shelf",
        ),
        "2025-bbbb": index.Entry(
            "2025-bbbb", "y", "r", "closed", due="2027-01-01", code_name="maple tower"
        ),
        "2026-cccc": index.Entry("2026-cccc", "none", "none", "removed", code_name="quiet harbor"),
    }
    files = {rid: object() for rid in ("2026-aaaa", "2025-bbbb")}
    rows = index_only_rows(entries, {}, files, None, None, False)
    assert rows == [
        (
            "2025-bbbb",
            "maple tower",
            None,
            "closed",
            None,
            None,
            None,
            None,
        ),  # a closed case shows no date
        ("2026-aaaa", "home shelf", "2026-03-01", "open", None, None, None, None),
    ]
    assert [r[0] for r in index_only_rows(entries, {}, files, "open", None, False)] == ["2026-aaaa"]
    assert [r[0] for r in index_only_rows(entries, {}, files, None, 2025, False)] == ["2025-bbbb"]
    assert (
        index_only_rows(entries, {}, files, None, None, True) == []
    )  # --outcome/--subject: unknown without the record


# -- commit messages ---------------------------------------------------------------------------


def test_a_code_name_in_a_message_names_nobody_unless_it_is_also_a_persons_name() -> None:
    """A code name passes; one that is also a reporter's or subject's name in the records (drawn by
    chance, or written into the index by hand) is checked as the name it is: use the record id."""
    doc: dict[str, Any] = {"subjects": [{"name": "Maple Tower", "emails": ["mt@example.org"]}]}
    names = {"maple tower": "2026-k7qd", "brick tortoise": "2026-m3xp"}
    assert message_check.check("Maple Tower: decided", {"2026-k7qd": [doc]}) == {
        "2026-k7qd": ["a subject's name"]
    }
    assert message_check.check("maple tower: decided", {"2026-k7qd": [doc]}, names) == {
        "2026-k7qd": ["a subject's name"]
    }
    assert message_check.check("Brick Tortoise: decided", {"2026-k7qd": [doc]}, names) == {}
    assert message_check.check(
        "Brick-Tortoise decided; wrote to mt@example.org", {"2026-k7qd": [doc]}, names
    ) == {"2026-k7qd": ["a subject's email"]}
    own = message_check.expunge_message(
        {"2026-k7qd": ["reporter"]}, dt.date(2027, 1, 1), {"2026-k7qd": "maple tower"}
    )
    assert "2026-k7qd (maple tower): reporter" in own
    assert message_check.is_own(own, names) and not message_check.is_own(
        own.replace("maple tower", "jane doe"), names
    )


def test_the_commit_msg_hook_lets_a_code_name_through(repo: Cocrec, alice: Person) -> None:
    rid = repo.add(record())
    name = code_name(repo, rid)
    first, second = name.split(" ")
    assert repo("setup").exit_code == 0

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "COCREC_IDENTITY": str(alice.identity),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        subprocess.run(["git", "-C", str(repo.root), "add", "-A"], check=True, env=env)
        return subprocess.run(
            [
                "git",
                "-C",
                str(repo.root),
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                message,
            ],
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )

    assert commit(f"{name.title()}: outcome decided").returncode == 0, "a code name passes"
    refused = commit("Jane Doe: outcome decided")
    assert refused.returncode != 0 and f"from record {rid}" in refused.stderr
    about = repo.add(
        record(reported_on="2026-06-05", subjects=[{"name": f"{first.title()} {second.title()}"}])
    )
    named = commit(f"{name.title()}: outcome decided")  # now also a subject's name
    assert named.returncode != 0 and f"from record {about}" in named.stderr, named.stderr
