"""Per-case access (SPEC section 11): recusal, reports about members, onboarding by declaration.

Three members (alice, bob, carol), real age encryption, the real `age` command line to prove who can
open what, a real git repository for the history that recusal cannot take back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from cocrec import recusal, yaml_io
from cocrec.errors import UsageError
from cocrec.model import Member, Members

from .conftest import AS_OF, Cocrec, Person, outcome, record


@pytest.fixture
def three(repo: Cocrec, carol: Person) -> Cocrec:
    """alice, bob and carol; acting as alice."""
    result = repo(
        "members",
        "add",
        carol.id,
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2024-01-01",
    )
    assert result.exit_code == 0, result.output
    return repo


def age_opens(root: Path, rid: str, person: Person) -> bool:
    """Whether the reference `age` tool decrypts the record with this member's identity."""
    path = root / f"records/{rid}.yaml.age"
    done = subprocess.run(
        ["age", "-d", "-i", str(person.identity), str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


def index_entry(root: Path, rid: str) -> dict[str, object]:
    doc = yaml_io.loads((root / "records/index.yaml").read_bytes(), "records/index.yaml")
    entry: dict[str, object] = doc["records"][rid]
    return entry


def keyless(root: Path) -> tuple[int, list[str]]:
    result = Cocrec(root, None)("check", "--no-decrypt", "--format", "json", "--as-of", AS_OF)
    data = json.loads(result.stdout)
    return result.exit_code, data["errors"]


def declare(repo: Cocrec) -> None:
    """cocrec.yaml says `access.onboarding: declare`, signed by a member."""
    path = repo.root / "cocrec.yaml"
    assert "  onboarding: all\n" in path.read_text()
    path.write_text(path.read_text().replace("  onboarding: all\n", "  onboarding: declare\n"))
    adopted = repo("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output


# -- recusal -------------------------------------------------------------------------------


def test_a_record_recused_at_new_is_never_encrypted_to_that_member(
    three: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    rid = three.add(
        record(
            outcome=outcome("resolved"),
            recused=["bob"],
            recusal_reason="Bob works with the subject.",
        )
    )
    root = three.root
    assert age_opens(root, rid, alice) and age_opens(root, rid, carol)
    assert not age_opens(root, rid, bob)
    assert index_entry(root, rid)["excluded"] == ["bob"]
    assert keyless(root) == (0, [])


def test_the_recused_member_checks_clean_and_show_says_recused(three: Cocrec, bob: Person) -> None:
    three.add(record(outcome=outcome("resolved")))
    rid = three.add(
        record(reported_on="2026-07-01", outcome=outcome("resolved", "2026-07-20"), recused=["bob"])
    )
    as_bob = three.as_(bob)
    checked = as_bob("check", "--as-of", AS_OF)
    assert checked.exit_code == 0, checked.output
    assert "1 not yours to open" in checked.stdout
    shown = as_bob("show", rid, "--as-of", AS_OF)
    assert shown.exit_code == 3
    assert shown.stderr.strip() == (
        f"cocrec: records/{rid}.yaml.age: not yours to open: bob is recused from it (or it names them): "
        "it is not encrypted to them; ask another member"
    )
    stats = as_bob("stats", "--as-of", AS_OF, "--format", "json")
    assert stats.exit_code == 0
    assert json.loads(stats.stdout)["rows"][0]["reports"] == 1
    assert "1 record(s) left out from these statistics" in stats.stderr


def test_recuse_later_re_encrypts_and_undo_gives_it_back(
    three: Cocrec, bob: Person, carol: Person
) -> None:
    rid = three.add(record(outcome=outcome("resolved")))
    assert age_opens(three.root, rid, carol)
    done = three("recuse", rid, "carol", "--reason", "A friend of the reporter.")
    assert done.exit_code == 0, done.output
    assert not age_opens(three.root, rid, carol) and age_opens(three.root, rid, bob)
    shown = three("show", rid, "--as-of", AS_OF)
    assert "recused:\n- carol\nrecusal_reason: A friend of the reporter." in shown.stdout
    undone = three("recuse", rid, "--undo", "carol")
    assert undone.exit_code == 0, undone.output
    assert age_opens(three.root, rid, carol)
    assert "recusal_reason" not in three("show", rid, "--as-of", AS_OF).stdout
    assert keyless(three.root) == (0, [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["dave"],
            "cocrec: recuse: no current member has id 'dave'; `cocrec members list` shows the ids; nothing was changed",
        ),
        (
            ["alice"],
            "you (alice) would not receive it (recused or not yet cleared), so you cannot write it: ask another member",
        ),
    ],
)
def test_bad_recusals_change_nothing(three: Cocrec, args: list[str], message: str) -> None:
    rid = three.add(record(outcome=outcome("resolved")))
    before = three.files()
    refused = three("recuse", rid, *args)
    assert refused.exit_code == 2
    assert message in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert three.files() == before


def test_recusing_everyone_who_could_open_it_is_refused(three: Cocrec, bob: Person) -> None:
    rid = three.add(record(outcome=outcome("resolved"), recused=["carol"]))
    before = three.files()
    refused = three.as_(bob)("recuse", rid, "alice", "bob")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"cocrec: records/{rid}.yaml.age: recused: that would leave nobody who may open it "
        "(every current member recused, named in it or not yet cleared); nothing was changed"
    )
    assert three.files() == before


def test_a_recusal_refusal_names_the_command_that_was_run() -> None:
    """`members clear` recuses through the same workflow as `recuse`: its refusals say `members clear`."""
    members = Members(current=(Member("alice", "Alice Example", ("age1example",)),))
    for command in ("recuse", "members clear"):
        with pytest.raises(UsageError) as refused:
            recusal.require_current(members, ["dave"], command)
        assert str(refused.value).startswith(f"{command}: no current member has id 'dave'")


def test_recusing_a_former_member_is_refused(three: Cocrec) -> None:
    rid = three.add(record(outcome=outcome("resolved")))
    assert three("members", "remove", "carol", "--on", "2026-12-01").exit_code == 0
    before = three.files()
    refused = three("recuse", rid, "carol")
    assert refused.exit_code == 2
    assert (
        refused.stderr.strip()
        == "cocrec: recuse: 'carol' is a former member: they receive no record any more; nothing was changed"
    )
    assert three.files() == before


def test_tampering_with_a_recused_records_recipients_fails_ci(
    three: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    rid = three.add(record(outcome=outcome("resolved"), recused=["bob"]))
    path = three.root / f"records/{rid}.yaml.age"
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    old_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    everyone = ["-r", alice.public, "-r", bob.public, "-r", carol.public]
    path.write_bytes(
        subprocess.run(
            ["age", "-a", *everyone], input=plaintext, capture_output=True, check=True
        ).stdout
    )
    assert age_opens(three.root, rid, bob)
    index = three.root / "records/index.yaml"
    index.write_text(
        index.read_text().replace(old_sha, hashlib.sha256(path.read_bytes()).hexdigest())
    )
    code, errors = keyless(three.root)
    assert code == 1
    assert any(e.startswith(f"records/{rid}.yaml.age: ") for e in errors), errors


def test_a_recused_member_added_back_with_the_excluded_list_emptied_fails_ci(
    three: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    """Even an index whose `excluded` line is removed as well: the entry's signature covers it."""
    rid = three.add(record(outcome=outcome("resolved"), recused=["bob"]))
    path = three.root / f"records/{rid}.yaml.age"
    plaintext = subprocess.run(
        ["age", "-d", "-i", str(alice.identity), str(path)], capture_output=True, check=True
    ).stdout
    old_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    everyone = ["-r", alice.public, "-r", bob.public, "-r", carol.public]
    path.write_bytes(
        subprocess.run(
            ["age", "-a", *everyone], input=plaintext, capture_output=True, check=True
        ).stdout
    )
    index = three.root / "records/index.yaml"
    text = index.read_text().replace(old_sha, hashlib.sha256(path.read_bytes()).hexdigest())
    index.write_text(text.replace("    excluded:\n    - bob\n", ""))
    code, errors = keyless(three.root)
    assert code == 1 and any("signature fails to verify" in e for e in errors), errors


# -- reports about members ---------------------------------------------------------------------


@pytest.fixture
def named(repo: Cocrec, carol: Person) -> Cocrec:
    """alice, bob and carol, carol with her own identifiers; acting as alice."""
    result = repo(
        "members",
        "add",
        carol.id,
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2024-01-01",
        "--identifier",
        "carol@example.org",
        "--identifier",
        "github:carol",
    )
    assert result.exit_code == 0, result.output
    return repo


def test_members_add_records_the_identifiers_in_members_yaml(named: Cocrec) -> None:
    doc = yaml_io.loads((named.root / "members.yaml").read_bytes(), "members.yaml")
    carol = next(m for m in doc["members"] if m["id"] == "carol")
    assert carol["identifiers"] == {"emails": ["carol@example.org"], "usernames": ["github:carol"]}


def test_a_record_naming_a_member_is_never_encrypted_to_them(
    named: Cocrec, alice: Person, bob: Person, carol: Person
) -> None:
    subject = {
        "name": "Carol Member",
        "emails": ["Carol@Example.org"],
    }  # normalised as subjects' identifiers are
    result = named(
        "new",
        "--from",
        "-",
        input=yaml_io.dumps(
            record(subjects=[subject], recused=["bob"], outcome=outcome("resolved"))
        ),
    )
    assert result.exit_code == 0, result.output
    rid = result.stdout.strip()
    assert (
        result.stderr.splitlines()[0]
        == f"cocrec: records/{rid}.yaml.age: not encrypted to carol: it names them (their identifiers in members.yaml)"
    )
    assert age_opens(named.root, rid, alice)
    assert not age_opens(named.root, rid, carol) and not age_opens(named.root, rid, bob)
    assert index_entry(named.root, rid)["excluded"] == ["bob", "carol"]
    # undoing a recusal does not give a named member the record
    edited = named("recuse", rid, "--undo", "bob")
    assert edited.exit_code == 0, edited.output
    assert age_opens(named.root, rid, bob) and not age_opens(named.root, rid, carol)
    assert keyless(named.root) == (0, [])
    assert named.as_(carol)("check", "--as-of", AS_OF).exit_code == 0
    assert named.as_(carol)("show", rid).exit_code == 3


def test_a_reporter_contact_naming_a_member_counts_too(named: Cocrec, carol: Person) -> None:
    reporter = {"kind": "public", "name": "Carol Member", "contact": "github:Carol"}
    rid = named.add(record(reporter=reporter))
    assert not age_opens(named.root, rid, carol)


def test_the_named_member_cannot_write_it(named: Cocrec, carol: Person) -> None:
    before = named.files()
    refused = named.as_(carol)(
        "new",
        "--from",
        "-",
        input=yaml_io.dumps(record(subjects=[{"usernames": ["github:carol"]}])),
    )
    assert refused.exit_code == 2
    assert refused.stderr.strip().endswith(
        "names you (carol) by one of your identifiers in members.yaml: a report about you is never encrypted to you; "
        "ask another member to write it; nothing was changed"
    )
    assert len(refused.stderr.strip().splitlines()) == 1
    assert named.files() == before


def test_an_identifier_that_is_none_of_the_three_is_refused(repo: Cocrec, carol: Person) -> None:
    before = repo.files()
    refused = repo(
        "members",
        "add",
        "carol",
        "--name",
        "Carol",
        "--key",
        carol.public,
        "--identifier",
        "Carol Member",
    )
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "cocrec: --identifier #1: not an email (name@domain), a url (https://...) or a username "
        "(like github:janedoe, no spaces): give one of those"
    )
    assert repo.files() == before


def test_identifiers_added_by_hand_are_adopted_and_then_count(
    three: Cocrec, bob: Person, carol: Person
) -> None:
    path = three.root / "members.yaml"
    doc = yaml_io.loads(path.read_bytes(), "members.yaml")
    for member in doc["members"]:
        if member["id"] == "carol":
            member["identifiers"] = {"urls": ["https://example.org/~carol/"]}
    path.write_text(yaml_io.dumps(doc))
    unsigned = three("new", "--from", "-", input=yaml_io.dumps(record()))
    assert unsigned.exit_code == 4  # members.yaml changed since a member signed it
    adopted = three.as_(bob)("adopt", "--yes")
    assert adopted.exit_code == 0, adopted.output
    rid = three.add(
        record(
            subjects=[{"name": "Carol Member", "urls": ["https://EXAMPLE.org/~carol"]}],
            outcome=outcome("resolved"),
        )
    )
    assert not age_opens(three.root, rid, carol)
    assert keyless(three.root) == (0, [])


# -- onboarding by declaration ----------------------------------------------------------------


def test_with_declare_a_new_member_opens_nothing_old_until_cleared(
    repo: Cocrec, alice: Person, carol: Person
) -> None:
    declare(repo)
    old = [
        repo.add(record(reported_on=f"2026-0{n}-01", outcome=outcome("resolved", f"2026-0{n}-10")))
        for n in (3, 4, 5)
    ]
    added = repo(
        "members",
        "add",
        carol.id,
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-06-01",
    )
    assert added.exit_code == 0, added.output
    assert f"run `cocrec members clear {carol.id}" in added.stdout
    assert not any(age_opens(repo.root, rid, carol) for rid in old)
    assert keyless(repo.root) == (0, [])
    new = repo.add(record(reported_on="2026-06-04", outcome=outcome("resolved")))
    assert age_opens(repo.root, new, carol)
    as_carol = repo.as_(carol)
    listed = as_carol("list", "--format", "json", "--as-of", AS_OF)
    assert listed.exit_code == 0, listed.output
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == sorted([*old, new])
    assert "3 record(s) left out" in listed.stderr
    assert as_carol("check", "--as-of", AS_OF).exit_code == 0
    shown = as_carol("show", old[0])
    assert shown.exit_code == 3 and "carol is not cleared for it yet" in shown.stderr
    members = json.loads(repo("members", "list", "--format", "json").stdout)
    assert {m["id"]: m["status"] for m in members}["carol"] == "pending"

    cleared = repo("members", "clear", "carol", "--conflicts", old[1])
    assert cleared.exit_code == 0, cleared.output
    assert [age_opens(repo.root, rid, carol) for rid in old] == [True, False, True]
    assert age_opens(repo.root, new, carol) and age_opens(repo.root, old[1], alice)
    assert "recused:\n- carol" in repo("show", old[1]).stdout
    assert keyless(repo.root) == (0, [])
    assert as_carol("check", "--as-of", AS_OF).exit_code == 0
    assert "pending" not in (repo.root / "members.yaml").read_text()


def test_members_clear_for_someone_not_pending_is_refused(three: Cocrec) -> None:
    """Bad input: one line, exit 2, nothing changed (only a clear this clone started and did not
    finish is finished by running it again: tests/test_kill_sweep.py)."""
    three.add(record(outcome=outcome("resolved")))
    before = three.files()
    refused = three("members", "clear", "carol")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "cocrec: members clear: 'carol' is not pending (they already receive every record they may); "
        "`cocrec members list` shows who is pending"
    )
    refused = three("members", "clear", "dave")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "cocrec: members clear: 'dave' is not a current member; `cocrec members list` shows who is pending"
    )
    assert three.files() == before


def test_ci_requires_pending_members_left_out_of_their_earlier_records(
    three: Cocrec, bob: Person
) -> None:
    """members.yaml is signed: a pending entry a member adopted binds the index without any key."""
    rid = three.add(record(outcome=outcome("resolved")))
    path = three.root / "members.yaml"
    path.write_text(path.read_text() + f"pending:\n- id: carol\n  records:\n  - {rid}\n")
    assert three.as_(bob)("adopt", "--yes").exit_code == 0
    code, errors = keyless(three.root)
    assert code == 1
    assert errors == [
        f"records/{rid}.yaml.age: not encrypted to the current members: run `cocrec rekey`"
    ]
    assert three("rekey").exit_code == 0
    assert keyless(three.root) == (0, [])


def test_a_new_member_with_identifiers_does_not_receive_earlier_reports_about_them(
    repo: Cocrec, alice: Person, carol: Person
) -> None:
    about = repo.add(
        record(
            subjects=[{"name": "Carol Member", "emails": ["carol@example.org"]}],
            outcome=outcome("resolved"),
        )
    )
    other = repo.add(record(reported_on="2026-06-05", outcome=outcome("resolved")))
    added = repo(
        "members",
        "add",
        carol.id,
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--identifier",
        "carol@example.org",
    )
    assert added.exit_code == 0, added.output
    assert age_opens(repo.root, other, carol) and not age_opens(repo.root, about, carol)
    assert index_entry(repo.root, about)["excluded"] == ["carol"]
    assert keyless(repo.root) == (0, [])


def test_a_recused_members_rekey_leaves_their_records_alone_and_says_so(
    three: Cocrec, bob: Person, carol: Person, keys_dir: Path
) -> None:
    from .conftest import make_person

    rid = three.add(record(outcome=outcome("resolved"), recused=["bob"]))
    mine = three.add(record(reported_on="2026-06-05", outcome=outcome("resolved")))
    dave = make_person(keys_dir, "dave", "Dave Member")
    as_bob = three.as_(bob)
    added = as_bob("members", "add", dave.id, "--name", dave.name, "--key", dave.public, "--yes")
    assert added.exit_code == 0, added.output
    assert "1 record(s) you cannot open were left as they are" in added.stderr
    assert age_opens(three.root, mine, dave) and not age_opens(three.root, rid, dave)
    assert keyless(three.root)[0] == 1  # until a member who can open it re-encrypts it
    rekeyed = three.as_(carol)("rekey", "--yes")
    assert rekeyed.exit_code == 0, rekeyed.output
    assert age_opens(three.root, rid, dave) and not age_opens(three.root, rid, bob)
    assert keyless(three.root) == (0, [])


def test_recusal_reason_is_removed_with_the_subjects_and_recused_stays() -> None:
    from cocrec import redact

    doc = record(
        id="2026-k7qd",
        outcome=outcome("resolved"),
        recused=["bob"],
        recusal_reason="Works with Jane Doe.",
    )
    after = redact.expunge(doc, ["subjects"], dt.date(2027, 9, 1))
    assert "recusal_reason" not in after and after["recused"] == ["bob"]


def test_the_new_template_offers_recused() -> None:
    from cocrec import editor
    from cocrec.policy import DEFAULT_POLICY

    template = editor.new_template(DEFAULT_POLICY, ["alice", "bob"])
    assert (
        "# recused (optional): members with a conflict of interest: they never receive this record; any of: alice, bob\nrecused: []\n"
        in template
    )


def test_removing_the_last_member_who_may_open_a_record_is_refused(
    three: Cocrec, bob: Person
) -> None:
    rid = three.add(record(outcome=outcome("resolved"), recused=["bob", "carol"]))
    before = three.files()
    refused = three.as_(bob)("members", "remove", "alice", "--on", "2026-12-01")
    assert refused.exit_code == 2
    assert refused.stderr.strip().startswith(
        f"cocrec: records/{rid}.yaml.age: nobody who may open it would be left"
    )
    assert three.files() == before


def test_reading_commands_say_how_many_records_they_could_not_include(
    three: Cocrec, bob: Person, tmp_path: Path
) -> None:
    flagged = outcome("flagged")
    open_to_bob = three.add(record(outcome=flagged))
    three.add(record(reported_on="2026-06-05", outcome=flagged, recused=["bob"]))
    as_bob = three.as_(bob)
    attendees = tmp_path / "attendees.csv"
    attendees.write_text("name,email\nJane Doe,jane@example.org\n")
    runs = {
        "look-up": as_bob("lookup", "jane@example.org", "--as-of", AS_OF),
        "screening": as_bob("screen", str(attendees), "--as-of", AS_OF),
        "export": as_bob("export", "jane@example.org", "--as-of", AS_OF),
        "report": as_bob("report", "--year", "2026", "--as-of", AS_OF),
    }
    for what, result in runs.items():
        assert result.exit_code == 0, (what, result.output)
        assert (
            f"cocrec: 1 record(s) left out from this {what}: you cannot open them" in result.stderr
        ), what
    assert runs["look-up"].stdout.startswith(
        f"{open_to_bob}  flagged"
    )  # the one bob may open is found


def test_pending_missing_is_what_ci_compares() -> None:
    from cocrec import access
    from cocrec.model import Member, Members, Pending

    members = Members(
        current=(Member("alice", "A", ("k1",)), Member("carol", "C", ("k2",))),
        pending=(Pending("carol", ("2026-k7qd",)),),
    )
    assert access.pending_missing("2026-k7qd", (), members) == ("carol",)
    assert access.pending_missing("2026-k7qd", ("carol",), members) == ()
    assert access.pending_missing("2026-m3xp", (), members) == ()


# -- git history: what recusal cannot take back ------------------------------------------------


def git(root: Path, *args: str, identity: Path | None = None, stdin: bytes | None = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if k != "COCREC_IDENTITY"}
    env.update(
        {"COCREC_IDENTITY": str(identity)} if identity else {"COCREC_ALLOW_UNCHECKED_COMMIT": "1"}
    )
    done = subprocess.run(
        ["git", "-C", str(root), *args], env=env, capture_output=True, input=stdin, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_a_version_received_before_the_recusal_stays_readable_in_git_history(
    three: Cocrec, alice: Person, bob: Person
) -> None:
    rid = three.add(record(outcome=outcome("resolved")))
    git(three.root, "add", "-A", identity=alice.identity)
    git(
        three.root, "commit", "-q", "-m", f"Add {rid}", identity=alice.identity
    )  # through the real hooks
    assert three("recuse", rid, "bob").exit_code == 0
    git(three.root, "add", "-A", identity=alice.identity)
    git(three.root, "commit", "-q", "-m", f"Recuse a member from {rid}", identity=alice.identity)
    assert not age_opens(three.root, rid, bob)
    earlier = git(three.root, "show", f"HEAD~1:records/{rid}.yaml.age")
    opened = subprocess.run(
        ["age", "-d", "-i", str(bob.identity)], input=earlier, capture_output=True, check=False
    )
    assert opened.returncode == 0 and b"Jane Doe" in opened.stdout  # what the README warns about
    # the recused member still works: writes and commits their own record through the hooks
    theirs = three.as_(bob).add(record(reported_on="2026-06-05", outcome=outcome("resolved")))
    git(three.root, "add", "-A", identity=bob.identity)
    git(three.root, "commit", "-q", "-m", f"Add {theirs}", identity=bob.identity)
    assert keyless(three.root) == (0, [])


def test_a_same_person_link_names_the_member_in_every_linked_record(
    named: Cocrec, carol: Person
) -> None:
    """A subject known by a username alone is carol once another record links it to her email."""
    earlier = named.add(
        record(subjects=[{"usernames": ["github:cm"]}], outcome=outcome("resolved"))
    )
    assert age_opens(named.root, earlier, carol)
    linking = {"name": "Carol Member", "emails": ["carol@example.org"], "usernames": ["github:cm"]}
    result = named(
        "new",
        "--from",
        "-",
        input=yaml_io.dumps(
            record(reported_on="2026-06-05", subjects=[linking], outcome=outcome("resolved"))
        ),
    )
    assert result.exit_code == 0, result.output
    later = named.add(
        record(
            reported_on="2026-06-06",
            subjects=[{"usernames": ["GitHub:CM"]}],
            outcome=outcome("resolved"),
        )
    )
    for rid in (earlier, result.stdout.strip(), later):
        assert not age_opens(named.root, rid, carol), rid
        assert index_entry(named.root, rid)["excluded"] == ["carol"]
    assert keyless(named.root) == (0, [])
    assert named("check", "--as-of", AS_OF).exit_code == 0


def test_a_pending_member_who_leaves_is_no_longer_pending(repo: Cocrec, carol: Person) -> None:
    declare(repo)
    repo.add(record(outcome=outcome("resolved")))
    added = repo(
        "members",
        "add",
        carol.id,
        "--name",
        carol.name,
        "--key",
        carol.public,
        "--since",
        "2026-06-01",
    )
    assert added.exit_code == 0, added.output
    removed = repo("members", "remove", "carol", "--on", "2026-12-01")
    assert removed.exit_code == 0, removed.output
    assert "pending" not in (repo.root / "members.yaml").read_text()
    assert keyless(repo.root) == (0, [])
