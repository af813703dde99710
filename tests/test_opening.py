"""Opening many record files at once, in this process and in the process pool: each file gets its
own outcome, in order, a problem in its place when it cannot be opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocrec import crypto, opening, yaml_io
from cocrec.model import Members
from cocrec.policy import DEFAULT_POLICY

from .conftest import Person, outcome, record
from .test_staging import LARGE, SMALL, files, identities


def test_open_all_in_the_pool_keeps_order_and_reports_each_failure(
    tmp_path: Path, alice: Person
) -> None:
    made = files(tmp_path / "records", LARGE, [alice.public])
    broken = list(made)[7]
    broken.write_bytes(b"garbage")
    opened = opening.open_all(
        [(p, p.name) for p in made], identities(alice)
    )  # each result in the order of the files
    assert len(opened) == len(made)
    assert [path for path, o in zip(made, opened) if o.problems] == [broken]
    assert all(o.plaintext == made[path] for path, o in zip(made, opened) if not o.problems)


FATES = ["valid", "not mine", "not age", "bad yaml", "invalid", "names its subject"]


def fated_files(directory: Path, count: int, me: Person, other: Person) -> list[Path]:
    """`count` record files, the n-th with fate FATES[n % 6]."""
    directory.mkdir(exist_ok=True)
    made = []
    for n in range(count):
        rid = f"2026-{n:04x}"
        fate = FATES[n % len(FATES)]
        doc = record(id=rid)
        if fate == "invalid":
            doc = record(id=rid, region="atlantis")
        if fate == "names its subject":
            doc = record(
                id=rid, outcome=outcome("flagged", shareable_summary="Jane Doe was flagged.\n")
            )
        text = b"id: [unclosed\n" if fate == "bad yaml" else yaml_io.dumps(doc).encode()
        path = directory / f"{rid}.yaml.age"
        path.write_bytes(
            b"garbage"
            if fate == "not age"
            else crypto.encrypt(text, [other.public if fate == "not mine" else me.public])
        )
        made.append(path)
    return made


@pytest.mark.parametrize("count", [SMALL + 1, LARGE])
def test_a_file_s_failure_at_one_step_leaves_its_neighbours_results_alone(
    tmp_path: Path, alice: Person, bob: Person, count: int
) -> None:
    """Workers take each step over a whole chunk before the next; every file must still get its own
    outcome, in order."""
    made = fated_files(tmp_path / "records", count, alice, bob)
    opener = opening.Opener.of(identities(alice), DEFAULT_POLICY, Members())
    with opening.open_each([(p, p.name) for p in made], opener) as results:
        opened = list(results)
    assert len(opened) == count
    for n, item in enumerate(opened):
        fate = FATES[n % len(FATES)]
        stopped = fate in ("not mine", "not age", "bad yaml")
        assert (item.doc is None and len(item.problems) == 1) == stopped, (n, fate)
        assert (bool(item.problems) and not stopped) == (fate == "invalid"), (n, fate)
        if fate == "not mine":
            assert "not encrypted to" in str(item.problems[0]) and item.problems[0].exit_code == 3
        if fate == "bad yaml":
            assert "malformed YAML" in str(item.problems[0]) and item.problems[0].exit_code == 1
        if fate == "invalid":
            assert all(p.source == made[n].name and "region" in p.message for p in item.problems)
        if not item.problems:
            assert (
                yaml_io.loads(item.plaintext, "x") == item.doc
                and item.doc["id"] == made[n].name.split(".")[0]
            )


def test_without_a_policy_documents_are_parsed_not_validated(
    tmp_path: Path, alice: Person, bob: Person
) -> None:
    made = fated_files(tmp_path / "records", len(FATES), alice, bob)
    opened = opening.open_all([(p, p.name) for p in made], identities(alice))
    assert [bool(o.problems) for o in opened] == [
        fate in ("not mine", "not age", "bad yaml") for fate in FATES
    ]


def test_an_opener_pickles_without_pyrage_objects_and_rebuilds_the_identities(
    alice: Person,
) -> None:
    import pickle

    opener = opening.Opener.of(identities(alice), DEFAULT_POLICY, Members())
    again = pickle.loads(pickle.dumps(opener))()
    assert (
        again.identities.public_keys == identities(alice).public_keys
        and again.policy == DEFAULT_POLICY
    )
    assert alice.identity.read_text().strip() not in repr(opener)
