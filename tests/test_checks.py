"""What `check` asks of each record file in the workers that open it (cocrec.checks.Decrypting)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocrec import bulk, checks, crypto, opening
from cocrec.model import Members
from cocrec.policy import DEFAULT_POLICY

from .conftest import Person
from .test_opening import FATES, fated_files
from .test_staging import LARGE, SMALL, identities


@pytest.mark.parametrize("count", [SMALL + 1, LARGE])
def test_check_asks_its_own_questions_of_each_file_that_opened(
    tmp_path: Path, alice: Person, bob: Person, count: int
) -> None:
    made = fated_files(tmp_path / "records", count, alice, bob)
    opener = opening.Opener.of(identities(alice), DEFAULT_POLICY, Members())
    setup = checks.CheckSetup(opener, (("notes.md", "nothing about anyone"),))
    with bulk.ordered(checks.check_batch, [(p, p.name) for p in made], setup) as results:
        checked = list(results)
    assert len(checked) == count
    for n, item in enumerate(checked):
        fate = FATES[n % len(FATES)]
        opened = fate in ("valid", "names its subject")
        assert item.opened.problems != opened, (n, fate)
        assert bool(item.text_hits) == (fate == "names its subject"), (n, fate)
        assert item.text_hits == (
            () if fate != "names its subject" else (("subjects", "outcome.shareable_summary"),)
        )
        assert (item.stanzas is not None) == opened, (n, fate)
        assert item.named_in == ()  # the one tracked file names nobody
        if item.stanzas is not None:
            assert (
                list(item.stanzas) == crypto.header_recipients(made[n].read_bytes())
                and len(item.stanzas) == 1
            )
