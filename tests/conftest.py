"""Shared fixtures: a private HOME, fresh age keys, real git repositories, the CLI through CliRunner.

Every person in these tests is invented (example.org); no test reads today's date.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cocrec import crypto, yaml_io
from cocrec.cli import cli

AS_OF = "2027-01-15"
# "Today" for every command run in-process: writing commands refuse an --as-of after today, and no test may
# depend on the day it runs. Later than every date the tests write; `cocrec` run as a subprocess keeps the clock.
TODAY = dt.date(2029, 12, 31)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    from cocrec import dates

    monkeypatch.setattr(dates, "today", lambda: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's HOME, identity or git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("COCREC_IDENTITY", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for kind in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{kind}_NAME", "Test Committee")
        monkeypatch.setenv(f"GIT_{kind}_EMAIL", "committee@example.org")
    return home


@dataclass(frozen=True)
class Person:
    """A committee member with a freshly generated identity file."""

    id: str
    name: str
    identity: Path
    public: str


def make_person(directory: Path, member_id: str, name: str, kind: str = "ssh-ed25519") -> Person:
    """A member with a new identity: ssh-ed25519 by default (it decrypts and signs), or "x25519" (reads only)."""
    secret, public = crypto.generate_identity(kind)
    path = directory / f"{member_id}.txt"
    path.write_text(secret)
    path.chmod(0o600)
    return Person(member_id, name, path, public)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    path.mkdir()
    return path


@pytest.fixture
def alice(keys_dir: Path) -> Person:
    return make_person(keys_dir, "alice", "Alice Member")


@pytest.fixture
def bob(keys_dir: Path) -> Person:
    return make_person(keys_dir, "bob", "Bob Member")


@pytest.fixture
def carol(keys_dir: Path) -> Person:
    return make_person(keys_dir, "carol", "Carol Member")


class Cocrec:
    """Runs the real command line against one records repository, as one member."""

    def __init__(self, root: Path, identity: Path | None) -> None:
        self.root = root
        self.identity = identity

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        identity: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        who = identity or self.identity
        argv = ["-C", str(self.root)] + (["-i", str(who)] if who else []) + list(args)
        return CliRunner().invoke(cli, argv, input=input, env=env, catch_exceptions=False)

    def as_(self, person: Person) -> Cocrec:
        return Cocrec(self.root, person.identity)

    def add(self, doc: dict[str, Any]) -> str:
        result = self("new", "--from", "-", input=yaml_io.dumps(doc))
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    def files(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and ".git" not in p.parts
        }


@pytest.fixture
def repo(tmp_path: Path, alice: Person, bob: Person) -> Cocrec:
    """A records repository with two members, alice and bob, acting as alice."""
    root = tmp_path / "records-repo"
    runner = Cocrec(root, alice.identity)
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    for person in (alice, bob):
        result = runner(
            "members",
            "add",
            person.id,
            "--name",
            person.name,
            "--key",
            person.public,
            "--since",
            "2024-01-01",
        )
        assert result.exit_code == 0, result.output
    return runner


BASE_RECORD: dict[str, Any] = {
    "schema_version": 1,
    "reported_on": "2026-06-04",
    "event": "Example Conf 2026",
    "region": "europe",
    "categories": ["harassment"],
    "channel": "email",
    "reporter": {"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org"},
    "subjects": [
        {
            "name": "Jane Doe",
            "emails": ["jane@example.org"],
            "usernames": ["github:janedoe"],
            "urls": ["https://example.org/~jane"],
        }
    ],
    "summary": "Jane Doe sent unwanted messages to an attendee.\n",
    "action_by_committee": {"taken": True, "description": "Emailed the subject."},
    "action_by_local_rep": {"taken": False},
}


def with_changes(doc: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `doc` with each top-level key of `changes` set (None deletes the key)."""
    doc = copy.deepcopy(doc)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def record(**changes: Any) -> dict[str, Any]:
    """The SPEC section 3 example as an open case, acknowledged the day it arrived (the policy's deadline),
    with `changes` applied (None deletes a key: `acknowledged_on=None` for a report nobody answered)."""
    changes.setdefault("acknowledged_on", changes.get("reported_on", BASE_RECORD["reported_on"]))
    return with_changes(BASE_RECORD, changes)


def outcome(kind: str, decided_on: str = "2026-07-01", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": kind, "decided_on": decided_on}
    if kind in ("flagged", "banned"):
        data["recommendations"] = "May attend talks, not the party."
    data["shareable_summary"] = "A violation of the code of conduct was found and addressed.\n"
    data.update(extra)
    return data


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def add_many(repo: Cocrec, count: int) -> list[str]:
    """`count` records written in one batch through the store (the way `cocrec seal` writes many), as repo's member.

    Each is the base record with its own subject, half of them closed; ids are random like cocrec's.
    """
    from cocrec.repo import Repo, new_record_id
    from cocrec.store import Store

    assert repo.identity is not None
    identity = repo.identity
    store = Store(Repo(repo.root), lambda: crypto.load_identities([identity], lambda _: ""))
    taken = set(store.repo.record_files())
    docs = []
    for n in range(count):
        rid = new_record_id(2026, taken)
        taken.add(rid)
        subject = {"name": f"Person {n}", "emails": [f"person{n}@example.org"]}
        closed = outcome("resolved") if n % 2 else None
        docs.append(
            record(
                id=rid,
                reported_on=f"2026-{1 + n % 6:02d}-{1 + n % 28:02d}",
                subjects=[subject],
                outcome=closed,
            )
        )
    with store.repo.lock():
        store.save(docs, store.load())
    return [str(doc["id"]) for doc in docs]
