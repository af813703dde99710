"""`cocrec check --no-decrypt` as CI runs it: no identity file, no COCREC_IDENTITY, no key anywhere (SPEC 6)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import AS_OF, Cocrec, Person, outcome, record

PERSONAL = (
    "Jane",
    "Doe",
    "jane@example.org",
    "janedoe",
    "example.org/~jane",
    "Sam Reporter",
    "sam@example.org",
)


@pytest.fixture
def ci(repo: Cocrec) -> Cocrec:
    """The same repository seen by CI: every identity file deleted, none configured (call after adding records)."""
    return Cocrec(repo.root, None)


def forget_keys(keys_dir: Path, private_home: Path) -> None:
    shutil.rmtree(keys_dir)
    assert not (private_home / ".config/cocrec/identity.txt").exists()


def keyless(
    ci: Cocrec, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    result = ci("check", "--no-decrypt", "--format", "json", "--as-of", AS_OF, *args, env=env)
    assert result.stderr == "", result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert not any(value.lower() in result.stdout.lower() for value in PERSONAL), result.stdout
    return result.exit_code, data


def errors_of(data: dict[str, Any]) -> str:
    return "\n".join(data["errors"])


def test_a_clean_repository_passes_with_no_key_anywhere(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    repo.add(
        record(
            reported_on="2026-05-01",
            outcome=outcome("banned", "2026-05-20", ban={"permanent": True}),
        )
    )
    repo.add(
        record(reported_on="2026-12-20")
    )  # open, 26 days: neither stale nor past its decide deadline
    forget_keys(keys_dir, private_home)
    assert keyless(ci) == (0, {"as_of": AS_OF, "records": 3, "errors": [], "warnings": []})
    decrypting = ci("check", "--as-of", AS_OF)
    assert decrypting.exit_code == 3  # there really is no key: the full check cannot run
    assert "no identity found" in decrypting.stderr


def test_an_identity_is_never_even_read(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, tmp_path: Path
) -> None:
    repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    forget_keys(keys_dir, private_home)
    garbage = tmp_path / "garbage-identity.txt"
    garbage.write_text("this is not a key\n")
    assert keyless(ci, env={"COCREC_IDENTITY": str(garbage)})[0] == 0
    assert keyless(Cocrec(repo.root, tmp_path / "missing.txt"))[0] == 0


def test_overdue_steps_fail_but_held_ones_do_not(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    overdue = repo.add(
        record(reported_on="2025-01-01", outcome=outcome("resolved", "2025-01-10"))
    )  # due 2026-03-10
    held = repo.add(
        record(
            reported_on="2025-01-02",
            subjects=[{"name": "Other Person", "emails": ["other@example.org"]}],
            outcome=outcome("resolved", "2025-01-10"),
            retention={"hold": {"reason": "appeal pending", "since": "2026-01-01"}},
        )
    )
    due_today = repo.add(
        record(
            reported_on="2025-11-01",
            subjects=[{"name": "Third Person", "emails": ["third@example.org"]}],
            outcome=outcome("resolved", "2025-11-15"),
        )
    )
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    assert data["errors"] == [
        f"records/{overdue}.yaml.age: an expunge step is overdue since 2026-03-10: run `cocrec expunge {overdue}`"
    ]
    assert held not in errors_of(data) and due_today not in errors_of(data)


def test_a_stale_open_case_fails(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    policy = repo.root / "cocrec.yaml"  # no decide deadline: staleness alone
    policy.write_text(policy.read_text().replace("  decide: 30 ", "  decide: null "))
    assert repo("adopt", "--yes").exit_code == 0
    stale = repo.add(record(reported_on="2026-10-16"))  # 91 days before AS_OF
    fresh = repo.add(
        record(reported_on="2026-10-17", subjects=[{"name": "Other Person"}])
    )  # 90 days: not yet
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    assert data["errors"] == [
        f"records/{stale}.yaml.age: open case reported on 2026-10-16 is stale (over 90 days): decide an outcome"
    ]
    assert fresh not in errors_of(data)


def test_the_index_must_list_exactly_the_record_files(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    kept = repo.add(record(outcome=outcome("flagged")))
    gone = repo.add(record(reported_on="2026-08-01", outcome=outcome("flagged", "2026-08-10")))
    (repo.root / f"records/{gone}.yaml.age").unlink()
    shutil.copy(repo.root / f"records/{kept}.yaml.age", repo.root / "records/2026-zzzz.yaml.age")
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    assert (
        f"records/{gone}.yaml.age: was removed (its file is gone; its signed index entry is not)"
        in errors_of(data)
    )
    assert (
        "records/2026-zzzz.yaml.age: not in records/index.yaml, so signed by no member: if a member made it, "
        "a member reviews it with `cocrec adopt`"
    ) in data["errors"]
    assert kept not in errors_of(data)


def test_a_file_replaced_with_another_age_file_fails_its_hash(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, alice: Person, bob: Person
) -> None:
    rid = repo.add(record(outcome=outcome("flagged")))
    path = repo.root / f"records/{rid}.yaml.age"
    # a well-formed file for the right members, written with the reference age tool: only the hash tells
    replaced = subprocess.run(
        ["age", "-a", "-r", alice.public, "-r", bob.public],
        input=b"id: x\n",
        capture_output=True,
        check=True,
    )
    path.write_bytes(replaced.stdout)
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert (code, data["errors"]) == (
        1,
        [
            f"records/{rid}.yaml.age: changed since a member signed its index entry: restore it from git, or a member reviews it with `cocrec adopt`"
        ],
    )


def test_stanza_count_must_match_the_members_keys(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, alice: Person
) -> None:
    rid = repo.add(record(outcome=outcome("flagged")))
    path = repo.root / f"records/{rid}.yaml.age"
    only_alice = subprocess.run(
        ["age", "-a", "-r", alice.public], input=b"id: x\n", capture_output=True, check=True
    ).stdout
    old_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(only_alice)
    index = (
        repo.root / "records/index.yaml"
    )  # an index edited to vouch for the new file: its signature no longer does
    index.write_text(index.read_text().replace(old_sha, hashlib.sha256(only_alice).hexdigest()))
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    assert data["errors"] == [
        f"records/{rid}.yaml.age: its index entry's signature fails to verify (edited after signing): "
        "restore records/index.yaml from git, or a member reviews it with `cocrec adopt`"
    ]


def test_a_member_added_by_hand_makes_every_record_stale(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, carol: Person
) -> None:
    ids = [
        repo.add(record(outcome=outcome("flagged"))),
        repo.add(record(reported_on="2026-08-01", outcome=outcome("flagged", "2026-08-10"))),
    ]
    members = repo.root / "members.yaml"
    members.write_text(
        members.read_text().replace(
            "\nformer:",
            f"\n- id: carol\n  name: {carol.name}\n  keys:\n  - {carol.public}\nformer:",
            1,
        )
    )
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert (
        code == 1
    )  # nobody signed the new member in: nothing can be believed, and rekey would refuse
    assert data["errors"][0].startswith(
        "members.yaml: changed since a member signed it (trust.yaml's last entry)"
    )
    assert "cocrec adopt" in data["errors"][0]
    for rid in ids:
        assert (
            f"records/{rid}.yaml.age: not encrypted to the current members: run `cocrec rekey`"
            in data["errors"]
        )


def test_ssh_keys_count_one_stanza_each(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, tmp_path: Path
) -> None:
    key = tmp_path / "dan_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dan@example.org", "-f", str(key)],
        check=True,
    )
    public = key.with_suffix(".pub").read_text().strip()
    assert (
        repo(
            "members",
            "add",
            "dan",
            "--name",
            "Dan Member",
            "--key",
            public,
            "--since",
            "2024-01-01",
        ).exit_code
        == 0
    )
    repo.add(record(outcome=outcome("flagged")))
    forget_keys(keys_dir, private_home)
    assert keyless(ci)[0] == 0


def test_anything_else_in_records_fails(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, tmp_path: Path
) -> None:
    rid = repo.add(record(outcome=outcome("flagged")))
    records = repo.root / "records"
    (records / f"{rid}.yaml").write_text("subjects: [{name: Jane Doe}]\n")  # plaintext left behind
    (records / "drafts").mkdir()
    (records / "link").symlink_to(tmp_path)
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    for name in (f"records/{rid}.yaml", "records/drafts", "records/link"):
        assert (
            f"{name}: only record files (*.yaml.age) and index.yaml belong in records/; remove it"
            in data["errors"]
        )


def test_a_hand_edited_index_date_is_one_clear_error(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    rid = repo.add(record(outcome=outcome("flagged", "2026-07-01")))
    index = repo.root / "records/index.yaml"
    index.write_text(index.read_text().replace("due: 2028-09-01", "due: 2028-13-01", 1))
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert code == 1
    assert (
        f"records/{rid}.yaml.age: records/index.yaml has a malformed date for {rid}: run `cocrec index`"
        in data["errors"]
    )
    assert f"records/{rid}.yaml.age: its index entry's signature fails to verify" in errors_of(data)


def test_members_file_with_a_duplicate_key_is_refused(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path, alice: Person
) -> None:
    members = repo.root / "members.yaml"
    members.write_text(
        members.read_text().replace(
            f"  - {alice.public}\n", f"  - {alice.public}\n  - {alice.public}\n", 1
        )
    )
    forget_keys(keys_dir, private_home)
    result = ci("check", "--no-decrypt", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "error: members.yaml: members[0].keys[1]" in result.stdout
        and "the same key" in result.stdout
    )


def test_plaintext_in_workspace_is_a_warning(
    repo: Cocrec, ci: Cocrec, keys_dir: Path, private_home: Path
) -> None:
    repo.add(record(outcome=outcome("flagged")))
    (repo.root / "workspace").mkdir()
    (repo.root / "workspace/notes.yaml").write_text("Jane Doe\n")
    forget_keys(keys_dir, private_home)
    code, data = keyless(ci)
    assert (code, data["errors"]) == (0, [])
    assert data["warnings"] == [
        "workspace: 1 plaintext file(s) opened and not sealed: run `cocrec seal`"
    ]
