"""Every writing command, SIGKILLed at each rename it makes, then run again: nothing lost, nothing twice, nothing left.

For each command a small repository is made once. A first run, unkilled, counts the renames its
process makes (an audit hook on `os.rename`, which `os.replace` raises: record files, the index,
members.yaml, trust.yaml, and what cocrec keeps in .git/cocrec) and gives the state to expect.
Then, for every N, a copy of the repository gets a run killed with SIGKILL just before its Nth
rename, and the same command is run again, unkilled. After each re-run the records hold exactly
what the unkilled run left (no record lost, none made twice), members.yaml and trust.yaml are
the same (no change of members signed twice), no temp file is left (records/, beside
members.yaml, .git/cocrec, the killed run's private directory in /dev/shm or the temp
directory), `rekey --check` passes and `check` finds nothing but what it finds after the
unkilled run (the test records' own deadlines, long past).

The runs are real `cocrec` processes (a `-c` wrapper installs the hook, and fixes "today" so
that no test depends on the date it runs); two run at a time.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cocrec import crypto, yaml_io
from cocrec.fsutil import TMP_MARKER

from .commands.scenario import add_all
from .commands.test_import import SEED_HEADERS, seed_rows, write_csv
from .commands.test_rekey import hand_edit_members
from .conftest import TODAY, Cocrec, Person, add_many, record

AS_OF = "2027-01-15"

# "Today" is fixed (writing commands refuse an --as-of after it); then the hook: count this process's
# renames (never a worker's), log each target, and kill this process just before the Nth.
PRELUDE = f"""
import datetime, os, signal, sys
import cocrec.dates
cocrec.dates.today = lambda: datetime.date({TODAY.year}, {TODAY.month}, {TODAY.day})
_parent, _count, _at, _log = os.getpid(), [0], int(os.environ.get("KILL_AT", "0")), os.environ["RENAME_LOG"]
def _hook(event, args):
    if event == "os.rename" and os.getpid() == _parent:
        _count[0] += 1
        if _count[0] == _at:
            os.kill(_parent, signal.SIGKILL)
        with open(_log, "a") as log:
            log.write(str(args[1]) + "\\n")
sys.addaudithook(_hook)
from cocrec.cli import entry
entry()
"""

# An editor that makes one change, whatever the file holds; a file that already has it is left as it is
# after a second (cocrec takes an editor that returns at once with nothing changed for one that did not wait).
EDITOR = r"""
import sys, time
from pathlib import Path
path, old, new, whole = Path(sys.argv[-1]), sys.argv[1], sys.argv[2], sys.argv[3] == "whole"
text = path.read_text()
if old in text:
    path.write_text(new if whole else text.replace(old, new))
else:
    time.sleep(1.05)
"""

NEW_RECORD = yaml_io.dumps(record(summary="Jane Doe sent unwanted messages at the sprint.\n"))


@dataclass
class Case:
    """A command to kill: its arguments and the environment it needs."""

    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Ran:
    pid: int
    returncode: int
    stderr: str


def run(repo: Path, case: Case, identity: Path, log: Path, kill_at: int = 0) -> Ran:
    env = {**os.environ, **case.env, "RENAME_LOG": str(log), "KILL_AT": str(kill_at)}
    argv = [sys.executable, "-c", PRELUDE, "-C", str(repo), "-i", str(identity), *case.args]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    )
    _, err = proc.communicate(timeout=120)
    return Ran(proc.pid, proc.returncode, err.decode())


def contents(repo: Path, reader: Person) -> list[str]:
    """Every record's text without its id (ids of new records are drawn anew each run), sorted."""
    identities = crypto.load_identities([reader.identity], lambda _: "")
    texts = []
    for path in sorted((repo / "records").glob("*.yaml.age")):
        text = crypto.decrypt(path.read_bytes(), identities, path.name).decode()
        texts.append(
            "".join(line for line in text.splitlines(keepends=True) if not line.startswith("id: "))
        )
    return sorted(texts)


def temp_files(repo: Path) -> list[str]:
    places = [repo, repo / "records", repo / ".git" / "cocrec", repo / "workspace"]
    return sorted(str(p) for d in places if d.is_dir() for p in d.iterdir() if TMP_MARKER in p.name)


def private_dirs_of(pid: int) -> list[Path]:
    places = {Path("/dev/shm"), Path(tempfile.gettempdir())}
    return sorted(p for d in places if d.is_dir() for p in d.glob(f"cocrec-{pid}-*"))


@dataclass(frozen=True)
class Expected:
    """What an uninterrupted run left: the records' texts, members.yaml, and what `check` says."""

    contents: list[str]
    members: bytes
    trust: bytes
    checked: tuple[str, ...]


@dataclass
class Outcome:
    at: int
    killed: Ran
    rerun: Ran
    left: list[Path]  # the killed run's private directories, as it left them


def sweep(
    tmp_path: Path, base: Cocrec, reader: Person, case: Case, identity: Path | None = None
) -> int:
    """Kill `case` at each of its renames in a copy of `base`, run it again, check each copy; returns how many."""
    who = identity or base.identity
    assert who is not None
    expected_repo = tmp_path / "expected"
    shutil.copytree(base.root, expected_repo, symlinks=True)
    log = tmp_path / "expected.log"
    first = run(expected_repo, case, who, log)
    assert first.returncode == 0, first.stderr
    renames = log.read_text().splitlines()
    assert renames, "the command renamed nothing"
    expected = Expected(
        contents(expected_repo, reader),
        (expected_repo / "members.yaml").read_bytes(),
        (expected_repo / "trust.yaml").read_bytes(),
        checked(expected_repo, who),
    )

    def one(at: int) -> Outcome:
        copy = tmp_path / f"at-{at}"
        shutil.copytree(base.root, copy, symlinks=True)
        killed = run(copy, case, who, tmp_path / f"killed-{at}.log", kill_at=at)
        left = private_dirs_of(killed.pid)
        rerun = run(copy, case, who, tmp_path / f"rerun-{at}.log")
        return Outcome(at, killed, rerun, left)

    failures = []
    with ThreadPoolExecutor(
        max_workers=2
    ) as pool:  # each copy is checked here while the next ones run
        for done in as_completed([pool.submit(one, at) for at in range(1, len(renames) + 1)]):
            item = done.result()
            why = problem(tmp_path / f"at-{item.at}", item, expected, reader, who)
            if why is not None:
                failures.append(
                    f"{' '.join(case.args[:2])} killed before rename {item.at} ({renames[item.at - 1]}): {why}"
                )
    assert sorted(failures) == [], "\n".join(sorted(failures))
    return len(renames)


# What `check` says of the test records themselves (their deadlines are long past): the same after any run.
THE_RECORDS_OWN = ("a deadline passed", "is stale (over", "expunge step is overdue")


def checked(repo: Path, who: Path) -> tuple[str, ...]:
    """What `check` finds beyond the records' own deadlines, and its last line (the counts)."""
    runner = Cocrec(repo, who)
    said: list[str] = []
    lines = runner("check", "--as-of", AS_OF).stdout.strip().splitlines()
    said += [line for line in lines[:-1] if not any(phrase in line for phrase in THE_RECORDS_OWN)]
    return (*said, lines[-1])


def renames_of(repo: Cocrec, case: Case, identity: Path, tmp_path: Path) -> list[str]:
    """The targets of every rename `case` makes, run to the end in a copy of `repo`."""
    probe = shutil.copytree(repo.root, tmp_path / "probe", symlinks=True)
    done = run(probe, case, identity, tmp_path / "probe.log")
    assert done.returncode == 0, done.stderr
    return (tmp_path / "probe.log").read_text().splitlines()


def problem(copy: Path, item: Outcome, expected: Expected, reader: Person, who: Path) -> str | None:
    """What is wrong with a copy after its killed run and the re-run (None: nothing)."""
    if item.killed.returncode != -signal.SIGKILL:
        return f"it was not killed: {item.killed.stderr}"
    if item.rerun.returncode != 0 or "internal error" in item.rerun.stderr:
        return f"the re-run failed: {item.rerun.stderr}"
    if contents(copy, reader) != expected.contents:
        return "the records differ from an uninterrupted run's"
    if (copy / "members.yaml").read_bytes() != expected.members:
        return "members.yaml differs from an uninterrupted run's"
    if (copy / "trust.yaml").read_bytes() != expected.trust:
        return "trust.yaml differs from an uninterrupted run's (a change signed twice?)"
    if temp_files(copy):
        return f"temp files are left: {temp_files(copy)}"
    if [d for d in item.left if d.exists()]:
        return "the killed run's private directory is left"
    rekeyed = Cocrec(copy, who)("rekey", "--check")
    if rekeyed.exit_code != 0:
        return f"`rekey --check` fails: {rekeyed.output}"
    if checked(copy, who) != expected.checked:
        return f"`check` says {checked(copy, who)}, not {expected.checked} as after an uninterrupted run"
    return None


def editor_env(tmp_path: Path, old: str, new: str, whole: bool = False) -> dict[str, str]:
    """$EDITOR that replaces `old` with `new` (`whole`: writes `new` as the file when it holds `old`)."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    parts = (sys.executable, str(script), old, new, "whole" if whole else "part")
    return {"EDITOR": " ".join(shlex.quote(part) for part in parts)}


@pytest.fixture
def base(repo: Cocrec) -> Cocrec:
    add_many(repo, 2)
    return repo


def first_id(repo: Cocrec) -> str:
    return min(repo.root.joinpath("records").glob("*.yaml.age")).name.split(".")[0]


# -- the commands -------------------------------------------------------------------------


def test_new_from_a_file(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    source = tmp_path / "incident.yaml"
    source.write_text(NEW_RECORD)
    sweep(tmp_path, base, alice, Case(("new", "--from", str(source), "--as-of", AS_OF)))


def test_new_in_the_editor(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    env = editor_env(tmp_path, "# cocrec new", NEW_RECORD, whole=True)
    sweep(tmp_path, base, alice, Case(("new", "--as-of", AS_OF), env))


def test_edit(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    env = editor_env(tmp_path, "Emailed the subject.", "Emailed and called the subject.")
    sweep(tmp_path, base, alice, Case(("edit", first_id(base), "--as-of", AS_OF), env))


def test_seal(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    rid = first_id(base)
    assert base("open", rid).exit_code == 0
    opened = base.root / "workspace" / f"{rid}.yaml"
    opened.write_text(
        opened.read_text().replace("Emailed the subject.", "Emailed and called the subject.")
    )
    (base.root / "workspace" / "new-sprint.yaml").write_text(NEW_RECORD)
    sweep(tmp_path, base, alice, Case(("seal", "--as-of", AS_OF)))


def test_expunge(tmp_path: Path, repo: Cocrec, alice: Person) -> None:
    add_all(repo)
    sweep(tmp_path, repo, alice, Case(("expunge", "--yes", "--as-of", AS_OF)))


def test_screen_disclose(tmp_path: Path, repo: Cocrec, alice: Person) -> None:
    from .commands.test_screen import ATTENDEES

    add_all(repo)
    sheet = tmp_path / "attendees.csv"
    sheet.write_text(ATTENDEES)
    sweep(
        tmp_path,
        repo,
        alice,
        Case(
            ("screen", str(sheet), "--disclose", "Example Conf 2027 organisers", "--as-of", AS_OF)
        ),
    )


def test_import(tmp_path: Path, repo: Cocrec, alice: Person) -> None:
    sheet = write_csv(tmp_path / "export.csv", SEED_HEADERS, seed_rows(4))
    sweep(tmp_path, repo, alice, Case(("import", str(sheet), "--yes", "--as-of", "2026-12-01")))


def test_members_add(tmp_path: Path, base: Cocrec, alice: Person, carol: Person) -> None:
    args = (
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-01-01",
        "--yes",
    )
    sweep(tmp_path, base, alice, Case(args))


def test_members_remove(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    sweep(tmp_path, base, alice, Case(("members", "remove", "bob", "--on", "2026-09-30")))


def test_members_clear(tmp_path: Path, repo: Cocrec, alice: Person, carol: Person) -> None:
    """`access.onboarding: declare`: carol, pending for two earlier records, cleared with a conflict
    with one of them (a recusal, then the change of members and the rekey)."""
    from .test_access import declare

    declare(repo)
    earlier = add_many(repo, 2)
    added = repo(
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-06-01",
        "--yes",
    )
    assert added.exit_code == 0, added.output
    sweep(tmp_path, repo, alice, Case(("members", "clear", "carol", "--conflicts", earlier[0])))


def test_recuse(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    args = ("recuse", first_id(base), "bob", "--reason", "Bob works with the subject.")
    sweep(tmp_path, base, alice, Case((*args, "--as-of", AS_OF)))


def test_rekey(tmp_path: Path, base: Cocrec, alice: Person, carol: Person) -> None:
    hand_edit_members(base, add=carol)
    assert base("adopt", "--yes").exit_code == 0
    sweep(tmp_path, base, alice, Case(("rekey", "--yes")))


def test_index(tmp_path: Path, base: Cocrec, alice: Person) -> None:
    """The index deleted after a commit: regenerated, it keeps every record's signature and recipients."""
    subprocess.run(["git", "add", "-A"], cwd=base.root, check=True)
    subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "commit", "-qm", "Records"],
        cwd=base.root,
        check=True,
    )
    (base.root / "records" / "index.yaml").unlink()
    sweep(tmp_path, base, alice, Case(("index",)))


def test_the_journal_notes_whom_each_written_file_opens_for(
    tmp_path: Path, base: Cocrec, alice: Person, carol: Person
) -> None:
    """A rekey killed before its index: the journal holds each new file's hash and recipients, and the next
    writer indexes them as encrypted to exactly those keys (no second rekey needed)."""
    from cocrec.clone import Clone

    hand_edit_members(base, add=carol)
    assert base("adopt", "--yes").exit_code == 0
    case = Case(("rekey", "--yes"))
    before_index = 1 + next(
        n
        for n, target in enumerate(renames_of(base, case, alice.identity, tmp_path))
        if target.endswith("index.yaml")
    )
    killed = run(base.root, case, alice.identity, tmp_path / "killed.log", kill_at=before_index)
    assert killed.returncode == -signal.SIGKILL
    wanted = crypto.fingerprint([alice.public, base_key(base, "bob"), carol.public])
    noted = Clone.of(base.root / ".git").journal_recipients()
    assert len(noted) == len(list((base.root / "records").glob("*.yaml.age"))) and set(
        noted.values()
    ) == {wanted}
    assert base("index").exit_code == 0
    index_text = (base.root / "records" / "index.yaml").read_text()
    assert index_text.count(f"recipients: {wanted}") >= len(noted)
    assert base("rekey", "--check").exit_code == 0


def base_key(repo: Cocrec, member: str) -> str:
    doc = yaml_io.loads((repo.root / "members.yaml").read_bytes(), "members.yaml")
    return next(str(m["keys"][0]) for m in doc["members"] if m["id"] == member)


def test_adopt_finishes_an_interrupted_change_of_members(
    tmp_path: Path, base: Cocrec, alice: Person, carol: Person
) -> None:
    """`members add` killed between trust.yaml and members.yaml: `adopt` (which signs what is not signed)
    writes members.yaml as trust.yaml's signed entry says, instead of asking to sign it again."""
    case = Case(
        (
            "members",
            "add",
            "carol",
            "--name",
            carol.name,
            "--key",
            carol.public,
            "--since",
            "2026-01-01",
            "--yes",
        )
    )
    at = 1 + [
        Path(target).name for target in renames_of(base, case, alice.identity, tmp_path)
    ].index("members.yaml")
    trust_before = (base.root / "trust.yaml").read_bytes()
    assert (
        run(base.root, case, alice.identity, tmp_path / "killed.log", kill_at=at).returncode
        == -signal.SIGKILL
    )
    assert (base.root / "trust.yaml").read_bytes() != trust_before and b"carol" not in (
        base.root / "members.yaml"
    ).read_bytes()
    adopted = base("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output
    assert (
        "Finished an interrupted change of members" in adopted.stdout
        and "run `cocrec rekey`" in adopted.stdout
    )
    assert b"carol" in (base.root / "members.yaml").read_bytes()
    assert (base.root / "trust.yaml").read_bytes() == (
        tmp_path / "probe" / "trust.yaml"
    ).read_bytes()  # signed once
    assert temp_files(base.root) == []
    assert base("rekey", "--yes").exit_code == 0
    assert base("rekey", "--check").exit_code == 0


def test_a_re_run_new_says_it_indexed_the_record_the_killed_run_wrote(
    tmp_path: Path, base: Cocrec
) -> None:
    assert base.identity is not None
    source = tmp_path / "incident.yaml"
    source.write_text(NEW_RECORD)
    case = Case(("new", "--from", str(source), "--as-of", AS_OF))
    at = 1 + [
        Path(target).name for target in renames_of(base, case, base.identity, tmp_path)
    ].index("index.yaml")
    before = set(base.root.joinpath("records").glob("*.yaml.age"))
    assert (
        run(base.root, case, base.identity, tmp_path / "killed.log", kill_at=at).returncode
        == -signal.SIGKILL
    )
    (written,) = set(base.root.joinpath("records").glob("*.yaml.age")) - before
    again = base("new", "--from", str(source), "--as-of", AS_OF)
    assert again.exit_code == 0, again.output
    rid = again.stdout.strip()
    assert written.name == f"{rid}.yaml.age"
    assert (
        f"record {rid} holds it already: an earlier run wrote it and was stopped before the index; indexed now"
        in again.stderr
    )
    assert set(base.root.joinpath("records").glob("*.yaml.age")) == before | {written}


def test_a_writer_sees_what_another_wrote_before_it_took_the_lock(
    base: Cocrec, alice: Person, carol: Person
) -> None:
    """A command reads members.yaml early (to check its arguments); by the time it holds the lock another
    member's command may have changed it: the writer works on what is there then, never on what it read."""
    from cocrec.repo import Repo
    from cocrec.store import Store

    store = Store(Repo(base.root), lambda: crypto.load_identities([alice.identity], lambda _: ""))
    assert [m.id for m in store.members.current] == ["alice", "bob"]
    added = base(
        "members",
        "add",
        "carol",
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-01-01",
        "--yes",
    )
    assert added.exit_code == 0, added.output
    with store.writer():
        assert [m.id for m in store.members.current] == ["alice", "bob", "carol"]
        assert store.trust_file.log[-1].keys.keys() == {"alice", "bob", "carol"}
