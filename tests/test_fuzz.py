"""Every file cocrec reads, mutated: one line and a documented exit code, never an internal error, and
nothing on disk changed unless the command succeeded.

Each target starts from a valid file of its kind and mutates it the ways people and tools break
files: bytes inserted, deleted or replaced, lines duplicated, dropped or swapped, a file cut short,
YAML's traps typed in (a tab, `: ` in text, ` #`, anchors, merge keys, tags, deep nesting, dates
like 9999-12-31, a line break in an identifier), and values of the wrong shape or size put where
a field was. The repository is built once; each example starts from it, and a command that
succeeds (a mutated record that is still valid is added) is undone before the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocrec import yaml_io
from cocrec.cli import cli

from .conftest import Cocrec, make_person, outcome, record

AS_OF = "2026-12-01"
EXAMPLES = int(
    os.environ.get("COCREC_FUZZ_EXAMPLES", "45")
)  # per target: 270 in all, a few seconds; set it higher to hunt
DOCUMENTED_EXITS = {0, 1, 2, 3, 4}
FLORA = {
    "name": "Flora Fennimore",
    "emails": ["flora@example.org"],
    "usernames": ["github:florafen"],
}
BRUNO = {"name": "Bruno Bannister", "emails": ["bruno@example.org"]}

# What people and tools type into YAML by mistake, or on purpose.
TRAPS = [
    "\t",
    ": ",
    " #42",
    " # note",
    "&a ",
    "*a",
    "<<: {x: 1}\n",
    "!!binary aGk=",
    "!!python/object:os.system ",
    "!!set ",
    "[" * 40,
    "{a: " * 40,
    "- " * 40,
    "9999-12-31",
    "0001-01-01",
    "2026-13-01",
    "01/12/2026",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "'",
    '"',
    "~",
    "null",
    "{}",
    "[]",
    "-",
    "?",
    ":",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\\",
    "yes",
    "on",
    "1e400",
    "9" * 5000,
    "=",
    "|",
    ">",
    "@x",
    "`x`",
    "github:janedoe\n",
    " jane@example.org",
]
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "2026-02-30",
            "2026-06-04\n",
            "github:jane\n",
            "alice\n",
            "europe",
            "banned",
            "x" * 2000,
            "never",
            "-1",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "on", "until", "type", "<<"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@dataclass
class Fuzzed:
    """A repository built once: its files as they are (the baseline) and one valid input of each kind."""

    repo: Cocrec
    inputs: Path
    baseline: dict[str, bytes]
    ids: dict[str, str]

    def files(self) -> dict[str, bytes]:
        root = self.repo.root
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts
        }

    def restore(self) -> None:
        """The baseline, byte for byte: whatever a command wrote or a mutation changed is put back."""
        root = self.repo.root
        now = self.files()
        for name in now.keys() - self.baseline.keys():
            (root / name).unlink()
        for name, data in self.baseline.items():
            path = root / name
            if now.get(name) != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        for directory in sorted(
            (p for p in root.rglob("*") if p.is_dir() and ".git" not in p.parts), reverse=True
        ):
            if not any(directory.iterdir()) and directory.name != "records":
                directory.rmdir()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """Built with its own HOME and clock: module-scoped, it is set up before the per-test fixtures."""
    home = tmp_path_factory.mktemp("fuzz-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for kind in ("AUTHOR", "COMMITTER"):
            patch.setenv(f"GIT_{kind}_NAME", "Test Committee")
            patch.setenv(f"GIT_{kind}_EMAIL", "committee@example.org")
        keys = tmp_path_factory.mktemp("fuzz-keys")
        alice, bob = (
            make_person(keys, "alice", "Alice Member"),
            make_person(keys, "bob", "Bob Member"),
        )
        root = tmp_path_factory.mktemp("fuzz") / "records-repo"
        assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
        repo = Cocrec(root, alice.identity)
        for person in (alice, bob):
            assert (
                repo(
                    "members",
                    "add",
                    person.id,
                    "--name",
                    person.name,
                    "--key",
                    person.public,
                    "--since",
                    "2024-01-01",
                ).exit_code
                == 0
            )
        ids = {
            "open": repo.add(record()),
            "flagged": repo.add(
                record(
                    reported_on="2026-02-01",
                    subjects=[FLORA],
                    outcome=outcome("flagged", "2026-03-01"),
                )
            ),
            "banned": repo.add(
                record(
                    reported_on="2026-03-01",
                    subjects=[BRUNO],
                    outcome=outcome("banned", "2026-04-01", ban={"until": "2027-04-01"}),
                )
            ),
        }
        assert repo("open", ids["flagged"]).exit_code == 0
        inputs = tmp_path_factory.mktemp("fuzz-inputs")
        yield Fuzzed(repo, inputs, {}, ids)


@pytest.fixture
def ready(fuzzed: Fuzzed) -> Fuzzed:
    if not fuzzed.baseline:
        fuzzed.baseline = fuzzed.files()
    fuzzed.restore()
    return fuzzed


# -- mutations -------------------------------------------------------------------------------------


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """One to three edits of the bytes: what a slip of the keyboard, a bad merge or a cut-off copy does."""
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        lines = data.splitlines(keepends=True)
        kind = draw(
            st.sampled_from(
                ["trap", "bytes", "delete", "truncate", "dup-line", "drop-line", "swap-lines"]
            )
        )
        if kind == "trap":
            data = (
                data[:at]
                + draw(st.sampled_from(TRAPS)).encode("utf-8", "surrogatepass")
                + data[at:]
            )
        elif kind == "bytes":
            data = (
                data[:at]
                + draw(st.binary(min_size=1, max_size=6))
                + data[at + draw(st.integers(0, 4)) :]
            )
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif kind == "truncate":
            data = data[:at]
        elif lines:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "dup-line":
                lines.insert(i, lines[i])
            elif kind == "drop-line":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"".join(lines)
    return data


def places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, (*path, index))


@st.composite
def value_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """A valid document with one value replaced, deleted or added: the wrong shape, type or size where a field was."""
    doc = yaml_io.loads(data, "x")
    path = draw(st.sampled_from(list(places(doc))))
    if not path:
        return yaml_io.dumps(draw(VALUES)).encode("utf-8")
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
    else:
        parent[path[-1]] = draw(VALUES)
    return yaml_io.dumps(doc).encode("utf-8")


def mutations(data: bytes, yaml_file: bool = True) -> st.SearchStrategy[bytes]:
    return (
        st.one_of(byte_mutations(data), value_mutations(data))
        if yaml_file
        else byte_mutations(data)
    )


# -- the check -------------------------------------------------------------------------------------


def run(fuzzed: Fuzzed, *args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["-C", str(fuzzed.repo.root), "-i", str(fuzzed.repo.identity), *args],
        input=stdin,
        catch_exceptions=True,
    )
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exit_code in DOCUMENTED_EXITS, (result.exit_code, output)
    if result.exit_code != 0:
        assert output.strip(), "a failure always says why"
    return result.exit_code, output


def unchanged_unless_it_succeeded(fuzzed: Fuzzed, before: dict[str, bytes], code: int) -> None:
    if code != 0:
        assert fuzzed.files() == before, "a failed command changed the repository"


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def record_text(fuzzed: Fuzzed) -> bytes:
    return yaml_io.dumps(
        record(
            subjects=[FLORA], outcome=outcome("banned", "2026-07-01", ban={"until": "2027-07-01"})
        )
    ).encode()


@FUZZ
@given(data=st.data())
def test_a_record_given_to_new(ready: Fuzzed, data: st.DataObject) -> None:
    mutated = data.draw(mutations(record_text(ready)))
    path = ready.inputs / "report.yaml"
    path.write_bytes(mutated)
    before = ready.files()
    code, _ = run(ready, "new", "--from", str(path), "--yes", "--as-of", AS_OF)
    unchanged_unless_it_succeeded(ready, before, code)
    ready.restore()


@FUZZ
@given(data=st.data())
def test_a_workspace_file_given_to_seal(ready: Fuzzed, data: st.DataObject) -> None:
    name = data.draw(
        st.sampled_from([f"workspace/{ready.ids['flagged']}.yaml", "workspace/new-report.yaml"])
    )
    valid = (
        ready.baseline[f"workspace/{ready.ids['flagged']}.yaml"]
        if name != "workspace/new-report.yaml"
        else record_text(ready)
    )
    (ready.repo.root / name).write_bytes(data.draw(mutations(valid)))
    before = ready.files()
    code, _ = run(ready, "seal", "--as-of", AS_OF)
    unchanged_unless_it_succeeded(ready, before, code)
    ready.restore()


READERS = [
    ["status", "--as-of", AS_OF],
    ["check", "--no-decrypt", "--as-of", AS_OF],
    ["due", "--as-of", AS_OF],
]


@FUZZ
@given(data=st.data())
def test_members_yaml_and_cocrec_yaml(ready: Fuzzed, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["members.yaml", "cocrec.yaml"]))
    (ready.repo.root / name).write_bytes(data.draw(mutations(ready.baseline[name])))
    before = ready.files()
    run(ready, *data.draw(st.sampled_from(READERS)))
    assert ready.files() == before, "a command that only reads changed the repository"
    code, _ = run(ready, "new", "--from", "-", "--yes", "--as-of", AS_OF, stdin=record_text(ready))
    unchanged_unless_it_succeeded(ready, before, code)
    ready.restore()


@FUZZ
@given(data=st.data())
def test_the_index(ready: Fuzzed, data: st.DataObject) -> None:
    (ready.repo.root / "records/index.yaml").write_bytes(
        data.draw(mutations(ready.baseline["records/index.yaml"]))
    )
    before = ready.files()
    run(
        ready,
        *data.draw(st.sampled_from([*READERS, ["rekey", "--check"], ["check", "--as-of", AS_OF]])),
    )
    assert ready.files() == before, "a command that only reads changed the repository"
    ready.restore()


@FUZZ
@given(data=st.data())
def test_an_age_file(ready: Fuzzed, data: st.DataObject) -> None:
    rid = ready.ids[data.draw(st.sampled_from(sorted(ready.ids)))]
    name = f"records/{rid}.yaml.age"
    (ready.repo.root / name).write_bytes(data.draw(byte_mutations(ready.baseline[name])))
    before = ready.files()
    args = data.draw(
        st.sampled_from(
            [
                ["show", rid, "--as-of", AS_OF],
                ["status", "--as-of", AS_OF],
                ["check", "--as-of", AS_OF],
                ["check", "--no-decrypt", "--as-of", AS_OF],
            ]
        )
    )
    run(ready, *args)
    assert ready.files() == before, "a command that only reads changed the repository"
    ready.restore()


CSV = b"name,Email,Mastodon,ticket\nFlora F,FLORA@example.org,,A1\nBruno B,,@brunob,A2\nAnn Attendee,ann@example.org,,A3\n"


@FUZZ
@given(data=st.data())
def test_a_csv_given_to_screen(ready: Fuzzed, data: st.DataObject) -> None:
    path = ready.inputs / "attendees.csv"
    path.write_bytes(data.draw(byte_mutations(CSV)))
    before = ready.files()
    args = data.draw(
        st.sampled_from([[], ["--column", "Email"], ["--column", "2"], ["--format", "json"]])
    )
    run(ready, "screen", str(path), *args, "--as-of", AS_OF)
    assert ready.files() == before, "screen without --disclose changed the repository"
