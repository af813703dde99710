"""The git hooks, through real `git commit` and `git merge` in a real records repository.

`cocrec init` ran `cocrec setup`, which wrote small hooks into the clone's own
.git/hooks; they run the installed `cocrec`, which gets the member's identity
through COCREC_IDENTITY.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from cocrec import crypto, index, yaml_io
from cocrec.commands.hook import merge_entries, message_text

from ..conftest import Cocrec, Person, outcome, record
from ..test_editor import EditorScript

ROOT = Path(__file__).resolve().parents[2]


def git(
    repo: Cocrec,
    *args: str,
    identity: Path | None,
    check: bool = True,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """git in the repository, as a member with `identity` (None: a machine without any key, which
    COCREC_ALLOW_UNCHECKED_COMMIT=1 lets commit unchecked); `env` adds to or overrides that."""
    environment = {k: v for k, v in os.environ.items() if k != "COCREC_IDENTITY"}
    environment.update(GIT_PAGER="cat", PAGER="cat")
    environment.update(
        {"COCREC_IDENTITY": str(identity)} if identity else {"COCREC_ALLOW_UNCHECKED_COMMIT": "1"}
    )
    environment.update(env or {})
    result = subprocess.run(
        ["git", "-C", str(cwd or repo.root), *args], env=environment, capture_output=True, text=True
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def commit(
    repo: Cocrec, message: str, identity: Path | None, *paths: str
) -> subprocess.CompletedProcess[str]:
    git(repo, "add", *(paths or ("-A",)), identity=identity)
    return git(repo, "commit", "-m", message, identity=identity, check=False)


@pytest.fixture
def committed(repo: Cocrec, alice: Person) -> str:
    """The repository with one record, committed through the hooks; returns its id."""
    rid = repo.add(record())
    result = commit(repo, f"Add {rid}", alice.identity)
    assert result.returncode == 0, result.stderr
    return rid


def head(repo: Cocrec) -> str:
    return git(repo, "rev-parse", "HEAD", identity=None).stdout.strip()


# -- pre-commit ------------------------------------------------------------------


def test_a_record_made_by_cocrec_commits_quietly(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    log = git(repo, "log", "--format=%s", identity=alice.identity).stdout
    assert log.strip() == f"Add {committed}"


def test_plaintext_under_records_or_in_the_workspace_is_refused(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    (repo.root / "records" / "draft.yaml").write_text("summary: Jane Doe\n")
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace" / f"{committed}.yaml").write_text("summary: Jane Doe\n")
    git(repo, "add", "-f", "records/draft.yaml", "workspace", identity=alice.identity)
    before = head(repo)
    result = git(repo, "commit", "-m", "Add notes", identity=alice.identity, check=False)
    assert result.returncode != 0
    assert (
        "cocrec pre-commit: records/draft.yaml: plaintext? only record files (<id>.yaml.age) and index.yaml belong in records/"
        in result.stderr
    )
    assert (
        f"cocrec pre-commit: workspace/{committed}.yaml: plaintext from `cocrec open` must never be committed"
        in result.stderr
    )
    assert "Jane" not in result.stderr
    assert head(repo) == before


def test_a_file_that_is_not_age_is_refused(repo: Cocrec, alice: Person, committed: str) -> None:
    (repo.root / "records" / "2026-abcd.yaml.age").write_text("reported_on: 2026-01-01\n")
    result = commit(repo, "Add a record", alice.identity)
    assert result.returncode != 0
    assert "records/2026-abcd.yaml.age: not a valid age file" in result.stderr


def test_a_record_staged_without_its_index_is_refused(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    rid = repo.add(record(reported_on="2026-06-05"))
    result = commit(repo, "Add a record", alice.identity, f"records/{rid}.yaml.age")
    assert result.returncode != 0
    assert f"records/{rid}.yaml.age: not in records/index.yaml" in result.stderr
    assert (
        commit(repo, "Add a record", alice.identity).returncode == 0
    )  # with the index, it goes through


def encrypt_to(repo: Cocrec, people: list[Person], rid: str, plaintext: str) -> None:
    """An age file written by the reference tool, bypassing cocrec's own validation, and an index entry that fits it."""
    path = repo.root / "records" / f"{rid}.yaml.age"
    keys = [arg for p in people for arg in ("-r", p.public)]
    subprocess.run(["age", "-a", *keys, "-o", str(path)], input=plaintext.encode(), check=True)
    doc = yaml_io.loads((repo.root / "records/index.yaml").read_bytes(), "index")
    entry = dict(next(iter(doc["records"].values())))
    entry.update(
        sha256=index.sha256(path.read_bytes()), status="open", reported_on="2026-06-04", held=False
    )
    entry.pop("reporter", None)
    entry.pop("subjects", None)
    doc["records"][rid] = entry
    (repo.root / "records/index.yaml").write_text(index.HEADER + yaml_io.dumps(doc))


def test_a_record_made_outside_cocrec_is_refused_whatever_its_index_entry_says(
    repo: Cocrec, alice: Person, bob: Person, committed: str
) -> None:
    encrypt_to(
        repo, [alice, bob], "2026-abcd", yaml_io.dumps(record(id="2026-abcd", region="mars"))
    )
    for identity in (alice.identity, None):  # with a key or without one: the signature decides
        result = commit(repo, "Add 2026-abcd", identity)
        assert result.returncode != 0
        assert (
            "cocrec pre-commit: records/2026-abcd.yaml.age: its index entry's signature fails to verify"
            in result.stderr
        )
        assert "cocrec adopt" in result.stderr
        assert "mars" not in result.stderr


def test_a_policy_that_makes_records_invalid_cannot_be_adopted(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    policy = repo.root / "cocrec.yaml"
    policy.write_text(policy.read_text().replace("regions: [europe, ", "regions: ["))
    result = commit(repo, "Drop a region", alice.identity)
    assert (
        result.returncode != 0
        and "cocrec pre-commit: cocrec.yaml: changed since a member signed it" in result.stderr
    )
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code != 0
    assert (
        f"records/{committed}.yaml.age: region: not one of the regions in cocrec.yaml"
        in adopted.stderr
    )


def test_without_a_key_the_commit_is_checked_as_far_as_it_can_be(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    rid = repo.add(record(reported_on="2026-06-05"))
    result = commit(repo, f"Add {rid}", None)
    assert result.returncode == 0, result.stderr
    assert (
        "cocrec pre-commit: no key available" in result.stderr and "not validated" in result.stderr
    )
    assert (
        "cocrec commit-msg: no identity on this machine and COCREC_ALLOW_UNCHECKED_COMMIT=1"
        in result.stderr
        and "NOT checked" in result.stderr
    )
    (repo.root / "records" / "2026-bcde.yaml.age").write_text("garbage\n")
    refused = commit(repo, "Add 2026-bcde", None)
    assert (
        refused.returncode != 0
        and "records/2026-bcde.yaml.age: not a valid age file" in refused.stderr
    )


def test_an_index_entry_edited_by_hand_is_refused_until_regenerated(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    path = repo.root / "records/index.yaml"
    path.write_text(path.read_text().replace("status: open", "status: closed"))
    result = commit(repo, "Touch the index", alice.identity)
    assert result.returncode != 0
    assert (
        f"records/{committed}.yaml.age: its index entry's signature fails to verify (edited after signing); the record itself is signed: run `cocrec index`"
        in result.stderr
    )
    assert repo("index").exit_code == 0
    assert (
        commit(repo, "Touch the index", alice.identity).returncode != 0
    )  # nothing left to commit: the index is back


def test_hooks_outside_a_records_repository_exit_4(tmp_path: Path, alice: Person) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    subprocess.run(["git", "init", "-q", str(plain)], check=True)
    for hook in (["pre-commit"], ["commit-msg", ".git/COMMIT_EDITMSG"]):
        result = subprocess.run(
            ["cocrec", "hook", *hook], cwd=plain, capture_output=True, text=True
        )
        assert result.returncode == 4
        (line,) = result.stderr.strip().splitlines()
        assert "not inside a cocrec records repository" in line


# -- commit-msg ------------------------------------------------------------------


def test_a_message_naming_someone_in_a_record_is_refused(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    rid = repo.add(record(reported_on="2026-06-05"))
    before = head(repo)
    result = commit(repo, "Report about jane@example.org", alice.identity)
    assert result.returncode != 0
    assert (
        f"cocrec commit-msg: the message holds a subject's email from record {committed}: reword it with record ids only"
        in result.stderr
    )
    assert f"a subject's email from record {rid}" in result.stderr and "jane@" not in result.stderr
    assert head(repo) == before


MESSAGES = [
    ("Jane's case: emailed her", "a subject's name"),
    ("Spoke to DOE", "a subject's name"),
    ("Spoke to Doé and JANE", "a subject's name"),
    ("Handle for janedoe checked", "a subject's username"),
    ("See https://example.org/~jane/", "a subject's url"),
    ("Mail jane+coc@example.org", "a subject's email"),
    ("Report from Sam", "the reporter's name"),
    (
        "Update 2026 case\n\n# sam@example.org",
        "the reporter's email",
    ),  # git keeps comment lines of -m messages
    ("Sam Reporter called", "the reporter's name"),
    ("The reporter called back; sam@example.org", "the reporter's name and the reporter's email"),
]


def test_names_words_handles_urls_and_contacts_are_all_found(
    repo: Cocrec, committed: str, tmp_path: Path
) -> None:
    message = tmp_path / "COMMIT_EDITMSG"
    for text, who in MESSAGES:
        message.write_text(text)
        result = repo("hook", "commit-msg", str(message))
        assert result.exit_code == 1, text
        assert f"the message holds {who} from record {committed}" in result.stderr
        for value in ("jane", "Jane", "Doe", "DOE", "Sam", "example.org"):
            assert value not in result.stderr, text


def test_a_message_with_ids_only_passes(repo: Cocrec, alice: Person, committed: str) -> None:
    rid = repo.add(record(reported_on="2026-06-05"))
    assert (
        commit(repo, f"Add {rid}: a second report at the same event", alice.identity).returncode
        == 0
    )


def test_a_record_removed_by_hand_is_refused_until_a_member_signs_the_removal(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    (repo.root / "records" / f"{committed}.yaml.age").unlink()
    assert (
        repo("index").exit_code == 4
    )  # a writing command will not build on a removal nobody signed
    refused = commit(repo, f"Remove {committed}", alice.identity)
    assert (
        refused.returncode != 0 and f"records/{committed}.yaml.age: was removed" in refused.stderr
    )
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0 and f"records/{committed}.yaml.age: was removed" in adopted.stdout
    assert "status: removed" in (repo.root / "records/index.yaml").read_text()
    assert commit(repo, f"Remove {committed}", alice.identity).returncode == 0
    assert repo("check", "--no-decrypt", "--as-of", "2026-06-10").exit_code == 0


def test_a_commit_removing_a_record_cannot_name_its_people_either(
    repo: Cocrec, alice: Person, committed: str
) -> None:
    (repo.root / "records" / f"{committed}.yaml.age").unlink()
    assert repo("adopt", "--yes").exit_code == 0
    result = commit(repo, "Remove the report on Jane Doe", alice.identity)
    assert (
        result.returncode != 0
        and f"holds a subject's name from record {committed}" in result.stderr
    )
    assert commit(repo, f"Remove {committed}", alice.identity).returncode == 0


def test_cocrecs_own_expunge_commit_passes_even_when_a_name_holds_its_words(
    repo: Cocrec, alice: Person
) -> None:
    # "Expunge" is a subject's surname here and "Reporter" the reporter's: cocrec's message must still pass
    rid = repo.add(
        record(
            subjects=[{"name": "Ada Expunge", "emails": ["ada@example.org"]}],
            outcome=outcome("resolved", "2026-07-01"),
        )
    )
    assert commit(repo, f"Add {rid}", alice.identity).returncode == 0
    result = repo("expunge", "--commit", "--yes", "--as-of", "2027-09-01")
    assert result.exit_code == 0, result.output
    assert git(repo, "log", "-1", "--format=%s", identity=None).stdout.startswith(
        "Expunge personal data from 1 record(s)"
    )
    # the commit changed the record, so its HEAD version (naming Ada Expunge) was searched: only the
    # message's shape let it through. A member's own message with a step word passes as well:
    assert (
        git(
            repo,
            "commit",
            "--allow-empty",
            "-m",
            f"Expunge the reporter of {rid} by hand",
            identity=alice.identity,
            check=False,
        ).returncode
        == 0
    )


COMMON = record(
    subjects=[{"name": "Will Grant", "emails": ["wgrant@example.org"]}, {"name": "Mark Best"}]
)


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("Will review next week", ""),
        (
            "Follow best practices; will do",
            "",
        ),  # one common word of each of two people: nothing corroborates either
        ("Will Grant's case", "a subject's name"),
        ("will review; grant access", "a subject's name"),  # two parts of one name
        ("Will: see wgrant@example.org", "a subject's name and a subject's email"),
        ("Mark's notes on best practices", "a subject's name"),
        ("Asked Grants' organisers", ""),
    ],
)
def test_a_name_word_that_is_a_common_word_blocks_only_beside_another_part_of_that_person(
    repo: Cocrec, tmp_path: Path, message: str, refused: str
) -> None:
    rid = repo.add(COMMON)
    path = tmp_path / "COMMIT_EDITMSG"
    path.write_text(message)
    result = repo("hook", "commit-msg", str(path))
    if refused:
        assert (
            result.exit_code == 1
            and f"the message holds {refused} from record {rid}" in result.stderr
        )
        assert not any(v in result.stderr.casefold() for v in ("will", "grant", "mark", "best"))
    else:
        assert result.exit_code == 0, result.stderr


def test_common_words_of_names_pass_a_real_commit_and_the_names_do_not(
    repo: Cocrec, alice: Person
) -> None:
    rid = repo.add(COMMON)
    assert (
        commit(repo, f"Add {rid}: will review best practices next week", alice.identity).returncode
        == 0
    )
    refused = git(
        repo,
        "commit",
        "--allow-empty",
        "-m",
        "Mark Best replied",
        identity=alice.identity,
        check=False,
    )
    assert refused.returncode != 0 and f"a subject's name from record {rid}" in refused.stderr


# -- commit-msg fails closed ------------------------------------------------------------


def empty_commit(
    repo: Cocrec, env: dict[str, str], **options: object
) -> subprocess.CompletedProcess[str]:
    """`git commit --allow-empty` (the pre-commit hook has nothing to check) with exactly this cocrec environment."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COCREC_IDENTITY", "COCREC_ALLOW_UNCHECKED_COMMIT")
    }
    environment.update(env)
    return subprocess.run(
        ["git", "-C", str(repo.root), "commit", "--allow-empty", "-m", "Update 2026 notes"],
        env=environment,
        capture_output=True,
        text=True,
        **options,
    )  # type: ignore[call-overload, no-any-return]


def test_a_missing_identity_file_named_by_cocrec_identity_refuses_the_commit(
    repo: Cocrec, committed: str
) -> None:
    before = head(repo)
    result = empty_commit(repo, {"COCREC_IDENTITY": str(repo.root / "typo-identity.txt")})
    assert result.returncode != 0
    assert (
        "cocrec commit-msg: the identity cannot be used, so the message cannot be checked"
        in result.stderr
    )
    assert "typo-identity.txt" in result.stderr and "commit refused" in result.stderr
    assert head(repo) == before


def test_a_default_identity_that_exists_but_fails_refuses_the_commit(
    repo: Cocrec, committed: str, private_home: Path
) -> None:
    default = private_home / ".config" / "cocrec" / "identity.txt"
    default.parent.mkdir(parents=True)
    default.write_text("not an identity\n")
    result = empty_commit(
        repo, {"COCREC_ALLOW_UNCHECKED_COMMIT": "1"}
    )  # found, so it must work: the variable does not help
    assert result.returncode != 0 and "the identity cannot be used" in result.stderr


def test_no_identity_at_all_refuses_unless_the_machine_says_it_holds_none(
    repo: Cocrec, committed: str
) -> None:
    before = head(repo)
    refused = empty_commit(repo, {})
    assert (
        refused.returncode != 0
        and "no identity found, so the message cannot be checked" in refused.stderr
    )
    assert "COCREC_ALLOW_UNCHECKED_COMMIT=1" in refused.stderr and head(repo) == before
    allowed = empty_commit(repo, {"COCREC_ALLOW_UNCHECKED_COMMIT": "1"})
    assert allowed.returncode == 0, allowed.stderr
    assert "the message was NOT checked for names from the records" in allowed.stderr


@pytest.fixture
def locked_identity(alice: Person, tmp_path: Path) -> Path:
    """alice's identity, protected by the passphrase "right one"."""
    path = tmp_path / "locked-identity.age"
    path.write_bytes(crypto.passphrase_encrypt(alice.identity.read_bytes(), "right one"))
    return path


def test_a_passphrase_protected_identity_with_no_terminal_to_ask_on_refuses_the_commit(
    repo: Cocrec, committed: str, locked_identity: Path
) -> None:
    result = empty_commit(
        repo,
        {"COCREC_IDENTITY": str(locked_identity)},
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert (
        "the identity cannot be used" in result.stderr and "no terminal to ask on" in result.stderr
    )


def commit_on_a_terminal(repo: Cocrec, env: dict[str, str], typed: str) -> tuple[int, str]:
    """`git commit --allow-empty` on a pseudo-terminal, typing `typed` at the passphrase prompt."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COCREC_IDENTITY", "COCREC_ALLOW_UNCHECKED_COMMIT")
    }
    environment.update(env)
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execvpe(
            "git",
            ["git", "-C", str(repo.root), "commit", "--allow-empty", "-m", "Update 2026 notes"],
            environment,
        )
    output = b""
    deadline = time.monotonic() + 60
    typed_yet = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not typed_yet and b"Passphrase for" in output:
            os.write(fd, typed.encode() + b"\n")
            typed_yet = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_a_wrong_passphrase_refuses_the_commit_and_the_right_one_checks_it(
    repo: Cocrec, committed: str, locked_identity: Path
) -> None:
    before = head(repo)
    code, output = commit_on_a_terminal(
        repo, {"COCREC_IDENTITY": str(locked_identity)}, "wrong one"
    )
    assert code != 0 and "wrong passphrase" in output and "commit refused" in output
    assert head(repo) == before
    code, output = commit_on_a_terminal(
        repo, {"COCREC_IDENTITY": str(locked_identity)}, "right one"
    )
    assert code == 0, output
    assert head(repo) != before


def test_the_message_below_the_scissors_line_is_not_checked() -> None:
    raw = "Edit 2026-k7qd\n# ------------------------ >8 ------------------------\n+  name: Jane Doe\n"
    assert message_text(raw) == "Edit 2026-k7qd\n"


# -- merges of records/index.yaml -------------------------------------------------


def branch_with(repo: Cocrec, person: Person, name: str, doc: dict[str, object]) -> str:
    git(repo, "checkout", "-q", "-b", name, "main", identity=None)
    rid = repo.add(doc)
    assert commit(repo, f"Add {rid}", person.identity).returncode == 0
    return rid


@pytest.fixture
def main_branch(repo: Cocrec, alice: Person) -> Cocrec:
    assert commit(repo, "Start", alice.identity).returncode == 0
    git(repo, "branch", "-M", "main", identity=None)
    return repo


def test_records_added_on_two_branches_merge_without_a_conflict(
    main_branch: Cocrec, alice: Person
) -> None:
    repo = main_branch
    one = branch_with(repo, alice, "one", record(outcome=outcome("resolved")))
    other = record(
        reported_on="2026-08-01",
        subjects=[{"name": "Alex Example", "emails": ["alex@example.org"]}],
    )
    two = branch_with(repo, alice, "two", other)
    merged = git(repo, "merge", "-q", "--no-edit", "one", identity=alice.identity, check=False)
    assert merged.returncode == 0, merged.stderr
    assert {one, two} <= set(
        yaml_io.loads((repo.root / "records/index.yaml").read_bytes(), "i")["records"]
    )
    assert repo("index").stdout.strip() == "records/index.yaml is up to date"
    assert repo("check", "--as-of", "2026-08-02").exit_code == 0


def test_a_merge_that_changes_due_dates_is_stopped_until_the_index_is_regenerated(
    main_branch: Cocrec, alice: Person
) -> None:
    repo = main_branch
    branch_with(repo, alice, "earlier", record(outcome=outcome("resolved", "2026-07-01")))
    later = record(reported_on="2027-01-01", outcome=outcome("flagged", "2027-01-10"))
    branch_with(repo, alice, "later", later)  # the same person again: extends the earlier record
    merged = git(repo, "merge", "--no-edit", "earlier", identity=alice.identity, check=False)
    assert merged.returncode != 0
    assert (
        "records/index.yaml: disagrees with the records (status, due dates, holds): run `cocrec index`"
        in merged.stderr
    )
    assert repo("index").stdout.strip() == "records/index.yaml regenerated"
    git(repo, "add", "records/index.yaml", identity=alice.identity)
    done = git(repo, "commit", "--no-edit", identity=alice.identity, check=False)
    assert done.returncode == 0, done.stderr
    assert "2029-03-10" in (repo.root / "records/index.yaml").read_text()


def test_the_same_record_changed_on_both_sides_is_a_conflict_that_says_what_to_do(
    main_branch: Cocrec, alice: Person, tmp_path: Path
) -> None:
    repo = main_branch
    rid = repo.add(record())
    assert commit(repo, f"Add {rid}", alice.identity).returncode == 0
    for branch, region in (("a", "online"), ("b", "asia")):
        git(repo, "checkout", "-q", "-b", branch, "main", identity=None)
        script = EditorScript(tmp_path / branch).plan(
            {"replace": [["region: europe", f"region: {region}"]]}
        )
        assert repo("edit", rid, env=script.env).exit_code == 0
        assert commit(repo, f"Edit {rid}", alice.identity).returncode == 0
    merged = git(repo, "merge", "--no-edit", "a", identity=alice.identity, check=False)
    assert merged.returncode != 0
    assert (
        f"records/index.yaml: records {rid} changed on both sides: resolve the records, then run `cocrec index`"
        in merged.stderr
    )
    assert (
        repo("index").exit_code == 4
    )  # the record is still in conflict: cocrec says how to keep both versions
    git(repo, "checkout", "--theirs", f"records/{rid}.yaml.age", identity=None)
    git(repo, "add", f"records/{rid}.yaml.age", identity=None)  # resolved, for git too
    assert repo("index").exit_code == 0
    git(repo, "add", "-A", identity=alice.identity)
    done = git(repo, "commit", "--no-edit", identity=alice.identity, check=False)
    assert done.returncode == 0, done.stderr
    assert "region: online" in repo("show", rid).stdout


def test_the_index_merge_is_three_way_by_record_id() -> None:
    def idx(**entries: str) -> index.Index:
        return index.Index(
            "sha256:x",
            {
                rid: index.Entry(rid, sha, "r", "open", "2026-01-01", {}, False)
                for rid, sha in entries.items()
            },
        )

    base = idx(a="1", b="1", c="1")
    ours = idx(a="2", b="1", c="1", d="1")  # changed a, added d
    theirs = idx(a="1", b="3", e="1")  # changed b, deleted c, added e
    merged, conflicts = merge_entries(base, ours, theirs)
    assert {rid: e.sha256 for rid, e in merged.items()} == {
        "a": "2",
        "b": "3",
        "d": "1",
        "e": "1",
    } and conflicts == []
    _, conflicts = merge_entries(base, idx(a="2", b="1", c="1"), idx(a="3", b="1", c="1"))
    assert conflicts == ["a"]


# -- the pre-commit framework ------------------------------------------------------


def test_pre_commit_framework_hooks_run_the_same_commands() -> None:
    hooks = {
        h["id"]: h
        for h in yaml_io.loads(
            (ROOT / ".pre-commit-hooks.yaml").read_bytes(), ".pre-commit-hooks.yaml"
        )
    }
    assert hooks["cocrec-pre-commit"]["entry"] == "cocrec hook pre-commit"
    assert hooks["cocrec-pre-commit"]["pass_filenames"] is False and hooks["cocrec-pre-commit"][
        "stages"
    ] == ["pre-commit", "pre-merge-commit"]
    assert hooks["cocrec-commit-msg"]["entry"] == "cocrec hook commit-msg" and hooks[
        "cocrec-commit-msg"
    ]["stages"] == ["commit-msg"]
