"""Merges and rebases with real git: no conflict markers inside an encrypted record, and no version lost.

Commits here skip the hooks (`--no-verify`): what is tested is what git leaves behind and what cocrec
says about it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cocrec import yaml_io
from cocrec.repo import GIT_OPERATIONS, conflict_advice

from ..conftest import Cocrec, Person, record

ROOT = Path(__file__).resolve().parents[2]


def git(repo: Cocrec, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo.root), *args], capture_output=True, text=True, check=check
    )


def commit(repo: Cocrec, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def add(repo: Cocrec, doc: dict[str, object]) -> str:
    result = repo("new", "--from", "-", "--yes", input=yaml_io.dumps(doc))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def base(repo: Cocrec) -> Cocrec:
    commit(repo, "start")
    return repo


def two_branches_adding_the_same_id(repo: Cocrec) -> tuple[str, str]:
    """`other` and the current branch each add a different incident as records/2026-k7qd.yaml.age."""
    start = git(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", "other")
    add(repo, record(id="2026-k7qd", summary="The incident reported on the other branch.\n"))
    commit(repo, "other incident")
    git(repo, "checkout", "-q", start)
    add(repo, record(id="2026-k7qd", summary="The incident reported here.\n"))
    commit(repo, "this incident")
    return start, "other"


def test_every_records_repository_merges_encrypted_records_as_binary(base: Cocrec) -> None:
    for attributes in (
        ROOT / ".gitattributes",
        ROOT / "cocrec" / "templates" / "gitattributes",
        base.root / ".gitattributes",
    ):
        assert "records/*.age diff=cocrec merge=binary" in attributes.read_text().splitlines()
    assert (
        git(base, "check-attr", "merge", "records/2026-k7qd.yaml.age")
        .stdout.strip()
        .endswith("merge: binary")
    )


def test_an_id_collision_leaves_no_markers_and_says_how_to_keep_both(base: Cocrec) -> None:
    two_branches_adding_the_same_id(base)
    merged = git(base, "merge", "--no-edit", "other", check=False)
    assert merged.returncode != 0
    path = base.root / "records" / "2026-k7qd.yaml.age"
    assert b"<<<<<<<" not in path.read_bytes() and path.read_bytes().startswith(
        b"-----BEGIN AGE ENCRYPTED FILE-----"
    )
    before = base.files()
    for args in (["status"], ["list"], ["new", "--from", "-"], ["check"]):
        result = base(*args, input=yaml_io.dumps(record()))
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 4, result.output
        assert lines[0].startswith(
            "cocrec: records/2026-k7qd.yaml.age: both sides added a record with this id: two different incidents, keep both"
        )
        assert "`git show :3:records/2026-k7qd.yaml.age > ../2026-k7qd.other.yaml.age`" in lines[0]
        assert lines[-1].startswith(
            "cocrec: a git merge is in progress and the 1 file(s) above conflict"
        )
        assert "`git commit` (or `git merge --abort`)" in lines[-1]
        assert "not a valid age file" not in result.stderr
    assert base.files() == before


def test_following_the_advice_keeps_both_incidents(base: Cocrec) -> None:
    two_branches_adding_the_same_id(base)
    git(base, "merge", "--no-edit", "other", check=False)
    aside = base.root.parent / "2026-k7qd.other.yaml.age"
    aside.write_bytes(
        subprocess.run(
            ["git", "-C", str(base.root), "show", ":3:records/2026-k7qd.yaml.age"],
            capture_output=True,
            check=True,
        ).stdout
    )
    git(base, "checkout", "--ours", "records/2026-k7qd.yaml.age")
    git(base, "add", "records/2026-k7qd.yaml.age")
    assert base("index").exit_code == 0  # the index's own conflict: regenerated
    git(base, "add", "records/index.yaml")
    git(base, "commit", "-q", "--no-verify", "--no-edit")
    added = base("new", "--from", str(aside))
    assert added.exit_code == 0, added.output
    summaries = sorted(
        json.loads(base("show", rid, "--format", "json").stdout)["record"]["summary"]
        for rid in ("2026-k7qd", added.stdout.strip())
    )
    assert summaries == [
        "The incident reported here.\n",
        "The incident reported on the other branch.\n",
    ]
    assert base("check", "--as-of", "2026-07-01").exit_code == 0


def test_a_record_changed_on_both_sides_is_kept_whole(base: Cocrec) -> None:
    rid = add(base, record())
    commit(base, "a record")
    start = git(base, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    git(base, "checkout", "-q", "-b", "other")
    base("open", rid)
    opened = base.root / "workspace" / f"{rid}.yaml"
    opened.write_text(opened.read_text().replace("europe", "online"))
    assert base("seal").exit_code == 0
    commit(base, "there")
    git(base, "checkout", "-q", start)
    base("open", rid)
    opened.write_text(opened.read_text().replace("Example Conf 2026", "Example Conf 2026 (Berlin)"))
    assert base("seal").exit_code == 0
    commit(base, "here")
    assert git(base, "merge", "--no-edit", "other", check=False).returncode != 0
    result = base("show", rid)
    assert result.exit_code == 4
    assert result.stderr.startswith(
        f"cocrec: records/{rid}.yaml.age: changed on both sides: save the incoming version with"
    )
    assert f"`cocrec edit {rid}`" in result.stderr


def test_members_yaml_changed_on_both_sides_is_reported(
    base: Cocrec, carol: Person, keys_dir: Path
) -> None:
    from ..conftest import make_person

    dave = make_person(keys_dir, "dave", "Dave Member")
    start = git(base, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    git(base, "checkout", "-q", "-b", "other")
    assert (
        base(
            "members",
            "add",
            "carol",
            "--name",
            carol.name,
            "--key",
            carol.public,
            "--since",
            "2026-01-01",
        ).exit_code
        == 0
    )
    commit(base, "carol")
    git(base, "checkout", "-q", start)
    assert (
        base(
            "members",
            "add",
            "dave",
            "--name",
            dave.name,
            "--key",
            dave.public,
            "--since",
            "2026-01-01",
        ).exit_code
        == 0
    )
    commit(base, "dave")
    assert git(base, "merge", "--no-edit", "other", check=False).returncode != 0
    result = base("status")
    assert result.exit_code == 4
    assert result.stderr.startswith(
        "cocrec: members.yaml: changed on both sides: keep both changes by editing it"
    )


def test_a_rebase_says_how_to_go_on(base: Cocrec) -> None:
    start, other = two_branches_adding_the_same_id(base)
    assert git(base, "rebase", other, check=False).returncode != 0
    result = base("status")
    assert result.exit_code == 4
    assert (
        "a git rebase is in progress" in result.stderr
        and "`git rebase --continue` (or `git rebase --abort`)" in result.stderr
    )


def test_a_merge_that_conflicts_elsewhere_does_not_stop_cocrec(base: Cocrec) -> None:
    start = git(base, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    (base.root / "README.md").write_text("one\n")
    commit(base, "readme")
    git(base, "checkout", "-q", "-b", "other")
    (base.root / "README.md").write_text("two\n")
    commit(base, "there")
    git(base, "checkout", "-q", start)
    (base.root / "README.md").write_text("three\n")
    commit(base, "here")
    assert git(base, "merge", "--no-edit", "other", check=False).returncode != 0
    assert base("status", "--as-of", "2026-07-01").exit_code == 0


@pytest.mark.parametrize("operation", GIT_OPERATIONS, ids=lambda op: op.marker)
def test_each_conflict_keeps_every_version(operation: object) -> None:
    """The advice never ends in a lost version: the incoming one is saved before the checked-out one is kept."""
    from cocrec.repo import GitOperation

    assert isinstance(operation, GitOperation)
    path = "records/2026-k7qd.yaml.age"
    for stages in (frozenset({2, 3}), frozenset({1, 2, 3})):
        advice = conflict_advice(path, stages, operation)
        assert advice.index(f"git show :3:{path}") < advice.index(f"git checkout --ours {path}")
        assert operation.name in advice
