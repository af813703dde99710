from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest

from cocrec import bulk

from ..conftest import Cocrec, Person, add_many, outcome, record


def check(repo: Cocrec, *args: str) -> tuple[int, dict[str, object]]:
    result = repo("check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_a_fresh_repository_checks_clean_with_and_without_keys(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    assert check(repo, "--as-of", "2027-01-01") == (
        0,
        {"as_of": "2027-01-01", "records": 1, "errors": [], "warnings": []},
    )
    code, result = check(repo, "--no-decrypt", "--as-of", "2027-01-01")
    assert code == 0 and result["errors"] == []


def test_overdue_steps_fail_the_keyless_check_without_naming_anyone(repo: Cocrec) -> None:
    rid = repo.add(record(reported_on="2025-01-01", outcome=outcome("resolved", "2025-01-10")))
    code, result = check(repo, "--no-decrypt", "--as-of", "2026-04-01")
    assert code == 1
    assert any(rid in e and "overdue since 2026-03-10" in e for e in result["errors"])  # type: ignore[union-attr]
    assert "Jane" not in json.dumps(result)


def test_stale_open_case_is_an_error(repo: Cocrec) -> None:
    repo.add(record(reported_on="2026-06-04"))
    code, result = check(repo, "--as-of", "2026-12-01")
    assert code == 1
    assert any("stale" in e for e in result["errors"])  # type: ignore[union-attr]


def test_keyless_check_catches_stray_files_missing_index_entries_and_edited_ciphertext(
    repo: Cocrec,
) -> None:
    rid = repo.add(record(outcome=outcome("flagged")))
    (repo.root / "records/notes.yaml").write_text("plaintext: left behind\n")
    path = repo.root / f"records/{rid}.yaml.age"
    other = repo.root / "records/2026-zzzz.yaml.age"
    other.write_bytes(path.read_bytes())
    code, result = check(repo, "--no-decrypt", "--as-of", "2027-01-01")
    errors = "\n".join(result["errors"])  # type: ignore[arg-type]
    assert code == 1
    assert "records/notes.yaml" in errors
    assert "2026-zzzz.yaml.age: not in records/index.yaml" in errors


def test_garbage_record_file_is_reported(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("flagged")))
    (repo.root / "records/2026-abcd.yaml.age").write_bytes(b"this is not age at all\n")
    code, result = check(repo, "--as-of", "2027-01-01")
    assert code == 1
    assert any("2026-abcd" in e and "not a valid age file" in e for e in result["errors"])  # type: ignore[union-attr]


def test_hand_edited_members_file_makes_the_keyless_check_fail(repo: Cocrec, carol) -> None:  # type: ignore[no-untyped-def]
    repo.add(record(outcome=outcome("flagged")))
    members = repo.root / "members.yaml"
    text = members.read_text()
    text = text.replace(
        "\nformer:", f"\n- id: carol\n  name: Carol Member\n  keys:\n  - {carol.public}\nformer:", 1
    )
    members.write_text(text)
    code, result = check(repo, "--no-decrypt", "--as-of", "2027-01-01")
    assert code == 1
    assert any("rekey" in e for e in result["errors"])  # type: ignore[union-attr]


def test_symlink_in_records_is_refused(repo: Cocrec, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "elsewhere.yaml.age"
    target.write_bytes(b"x")
    os.symlink(target, repo.root / "records/2026-aaaa.yaml.age")
    result = repo("check", "--as-of", "2027-01-01")
    assert result.exit_code == 4
    assert "symlink" in result.stderr


@pytest.mark.parametrize(
    "args", [("check",), ("check", "--no-decrypt"), ("due",), ("rekey", "--check")]
)
def test_a_directory_named_like_a_record_is_one_line_not_an_internal_error(
    repo: Cocrec, args: tuple[str, ...]
) -> None:
    repo.add(record())
    (repo.root / "records/2026-zzzz.yaml.age").mkdir()
    result = repo(*args, "--as-of", "2027-01-01") if args[0] != "rekey" else repo(*args)
    assert result.exit_code == 4
    assert (
        result.stderr.strip()
        == "cocrec: records/2026-zzzz.yaml.age: not a file (a directory?), but named like a record; move it out of records/"
    )


def test_with_keys_check_finds_every_keyless_problem_too_when_the_workers_read_the_files(
    repo: Cocrec, alice: Person
) -> None:
    """Over POOL_THRESHOLD records the decrypting workers hash each file and count its recipients for the
    keyless checks: a file re-encrypted to fewer keys, with the index edited to vouch for it, is still caught."""
    ids = add_many(repo, bulk.POOL_THRESHOLD + 8)
    path = repo.root / f"records/{ids[5]}.yaml.age"
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    only_alice = subprocess.run(
        ["age", "-a", "-r", alice.public], input=plaintext, capture_output=True, check=True
    ).stdout
    index = repo.root / "records/index.yaml"
    index.write_text(
        index.read_text().replace(
            hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(only_alice).hexdigest()
        )
    )
    path.write_bytes(only_alice)
    (repo.root / "records/notes.txt").write_text("left behind\n")
    keyless_code, keyless = check(repo, "--no-decrypt", "--as-of", "2027-01-01")
    code, full = check(repo, "--as-of", "2027-01-01")
    assert f"records/{ids[5]}.yaml.age: its index entry's signature fails to verify" in "\n".join(
        keyless["errors"]
    )
    assert (
        "records/notes.txt: only record files (*.yaml.age) and index.yaml belong in records/; remove it"
        in keyless["errors"]
    )
    assert (keyless_code, code) == (1, 1)
    assert (
        full["errors"][: len(keyless["errors"])] == keyless["errors"]
    )  # the same findings, in the same order, first


def test_the_garbage_collector_paused_for_a_command_is_back_on_after_it(repo: Cocrec) -> None:
    import gc

    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    assert check(repo, "--as-of", "2027-01-01")[0] == 0
    assert repo("show", "2026-zzzz").exit_code == 2  # an error on the way out too
    assert gc.isenabled()


def test_an_index_edited_to_hide_an_overdue_step_fails_both_checks_and_cocrec_index_mends_it(
    repo: Cocrec,
) -> None:
    rid = repo.add(record(reported_on="2025-01-01", outcome=outcome("resolved", "2025-01-10")))
    subprocess.run(["git", "-C", str(repo.root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(repo.root), "commit", "-qm", "Start", "--no-verify"], check=True
    )
    index = repo.root / "records/index.yaml"
    text = index.read_text()
    assert "due: 2026-03-10" in text
    index.write_text(
        text.replace("due: 2026-03-10", "due: 2099-03-10")
    )  # as cocrec would write it, but false
    keyless_code, keyless = check(repo, "--no-decrypt", "--as-of", "2026-04-01")
    code, full = check(repo, "--as-of", "2026-04-01")
    assert keyless_code == code == 1
    for found in (keyless, full):
        assert f"records/{rid}.yaml.age: its index entry's signature fails to verify" in "\n".join(
            found["errors"]
        )  # type: ignore[arg-type]
    assert (
        repo("index").exit_code == 0
    )  # the committed entry still vouches for the record: the index is written anew
    code, full = check(repo, "--as-of", "2026-04-01")
    assert any(rid in e and "overdue since 2026-03-10" in e for e in full["errors"])  # type: ignore[union-attr]
    assert not any("index.yaml" in e or "signature" in e for e in full["errors"])  # type: ignore[union-attr]


def test_an_index_reformatted_by_hand_says_the_same_until_regenerated(repo: Cocrec) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    index = repo.root / "records/index.yaml"
    generated = index.read_text()
    index.write_text(
        generated.replace("records:\n", "# checked by hand\nrecords:\n")
    )  # the same signed entries, other text
    code, full = check(repo, "--as-of", "2027-01-01")
    assert (code, full["errors"]) == (0, [])
    assert repo("index").exit_code == 0 and index.read_text() == generated
    assert check(repo, "--as-of", "2027-01-01")[0] == 0


def plant(repo: Cocrec, rid: str, doc: dict[str, object]) -> None:
    """A record written as an older cocrec (or the `age` tool) could: encrypted to the members, never validated."""
    from cocrec import crypto, yaml_io
    from cocrec.repo import Repo
    from cocrec.store import Store

    store = Store(Repo(repo.root), lambda: crypto.load_identities([], lambda _: ""))
    data = yaml_io.dumps({"id": rid, **doc}).encode()
    (repo.root / f"records/{rid}.yaml.age").write_bytes(crypto.encrypt(data, store.members.keys))


@pytest.mark.parametrize(
    "args",
    [["status"], ["due"], ["index"], ["list"], ["show", "2026-zzzz"], ["expunge", "--dry-run"]],
)
def test_a_ban_until_9999_already_in_the_repository_is_one_line_naming_it(
    repo: Cocrec, args: list[str]
) -> None:
    """`ban: {until: 9999-12-31}` passed validation once and then broke every command with an internal error."""
    repo.add(record())
    plant(repo, "2026-zzzz", record(outcome=outcome("banned", ban={"until": "9999-12-31"})))
    before = repo.files()
    result = repo(*args, *(["--as-of", "2027-01-01"] if args[0] != "index" else []))
    (line,) = result.stderr.strip().splitlines()
    assert result.exit_code == 1
    assert (
        line
        == "cocrec: records/2026-zzzz.yaml.age: outcome.ban.until: dates run from 1900 to 2199: a ban without an end is written ban: {permanent: true}"
    )
    assert repo.files() == before


def test_check_lists_a_ban_until_9999_with_every_other_problem(repo: Cocrec) -> None:
    repo.add(record())
    plant(repo, "2026-zzzz", record(outcome=outcome("banned", ban={"until": "9999-12-31"})))
    code, result = check(repo, "--as-of", "2026-07-01")
    assert code == 1
    assert (
        "records/2026-zzzz.yaml.age: outcome.ban.until: dates run from 1900 to 2199: a ban without an end is written ban: {permanent: true}"
        in result["errors"]
    )  # type: ignore[operator]
    keyless = repo("check", "--no-decrypt", "--as-of", "2026-07-01")
    assert keyless.exit_code == 1 and "internal error" not in keyless.output


@pytest.mark.parametrize("name", ["members.yaml", "cocrec.yaml"])
@pytest.mark.parametrize(
    "args", [["status"], ["check", "--no-decrypt"], ["due"], ["new", "--from", "-"]]
)
def test_500_levels_of_nesting_in_members_or_policy_is_one_line(
    repo: Cocrec, name: str, args: list[str]
) -> None:
    """It was a RecursionError in every command."""
    (repo.root / name).write_text(
        (repo.root / name).read_text() + "x: " + "[" * 500 + "]" * 500 + "\n"
    )
    before = repo.files()
    from cocrec import yaml_io

    result = repo(*args, input=yaml_io.dumps(record()))
    (line,) = (
        result.stdout.strip().splitlines()[:1]
        if args[0] == "check"
        else result.stderr.strip().splitlines()
    )
    line = line.replace("error: ", "cocrec: ", 1)  # check lists what it finds on stdout
    assert result.exit_code == 1
    assert line.startswith(f"cocrec: {name}: line ") and "nested more than 32 levels deep" in line
    assert repo.files() == before


def test_a_name_shared_by_many_records_warns_once_a_record_listing_a_few_of_the_others(
    repo: Cocrec,
) -> None:
    """A common name in many reports must not flood `check` with a line per pair of records."""
    ids = sorted(
        repo.add(
            record(
                reported_on="2026-11-02",
                subjects=[{"name": "Alex Example", "emails": [f"alex{n}@example.org"]}],
            )
        )
        for n in range(6)
    )
    code, result = check(repo, "--as-of", "2026-11-03")
    assert code == 0
    same = [w for w in result["warnings"] if "same name" in w]  # type: ignore[union-attr]
    assert len(same) == 5  # one a record, at the first of each pair: never one a pair (15)
    assert same[0] == (
        f"records/{ids[0]}.yaml.age: a subject has the same name as one in "
        f"{ids[1]}, {ids[2]}, {ids[3]} and 2 more but no shared identifier: "
        "if it is the same person, add also_in"
    )
    assert same[-1].startswith(f"records/{ids[4]}.yaml.age:") and f"one in {ids[5]} but" in same[-1]
    assert "Alex" not in json.dumps(result)
