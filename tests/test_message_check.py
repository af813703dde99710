"""What the commit-msg hook finds in a message (cocrec.message_check), pure. Every person is invented."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import message_check, redact

from .conftest import outcome, record

DOC = record(
    id="2026-k7qd",
    reporter={"kind": "public", "name": "Sam Reporter", "contact": "sam@example.org"},
    subjects=[
        {
            "name": "José Müller",
            "emails": ["jose.mueller@example.org"],
            "usernames": ["github:jmueller"],
            "urls": ["https://example.org/~jose"],
        },
        {"name": "Will Grant"},
        {"name": "王小明"},
    ],
)


def named(message: str, doc: dict[str, object] = DOC) -> list[str]:
    return message_check.named_in(message, doc)


def test_each_kind_of_thing_is_named_by_its_kind_never_its_value() -> None:
    assert named("Jose Muller's case") == ["a subject's name"]
    assert named(unicodedata.normalize("NFD", "Müllers")) == ["a subject's name"]
    assert named("mail jose.mueller+coc@example.org") == ["a subject's email"]
    assert named("ping @jmueller") == ["a subject's username"]
    assert named("see example.org/~jose/") == ["a subject's url"]
    assert named("王小明已道歉") == ["a subject's name"]
    assert named("asked Sam") == ["the reporter's name"]
    assert named("cc sam@example.org") == ["the reporter's email"]
    assert named("Sam and Will Grant") == ["the reporter's name", "a subject's name"]


def test_a_common_word_of_a_name_needs_another_part_of_the_same_person() -> None:
    assert (
        named("the reporter will review it") == []
    )  # Reporter (Sam's), Will (Will Grant's): one part each
    assert named("Sam, the reporter") == ["the reporter's name"]
    assert named("will grant it") == ["a subject's name"]
    assert named("Will Grant") == ["a subject's name"]
    assert named("will do, will see") == []  # the same word twice is still one part


def test_expunged_people_are_not_searched() -> None:
    after = redact.expunge(
        record(outcome=outcome("resolved")), ["reporter", "subjects"], dt.date(2028, 1, 1)
    )
    assert named("Jane Doe and Sam", after) == []


def test_cocrecs_own_messages_pass_whatever_the_names() -> None:
    doc = record(
        id="2026-k7qd",
        subjects=[{"name": "Ada Expunge Subjects"}],
        reporter={"kind": "public", "name": "Data Personal"},
    )
    message = message_check.expunge_message(
        {"2026-k7qd": ["reporter", "subjects"], "2025-abcd": ["subjects"]}, dt.date(2027, 9, 1)
    )
    assert message.startswith(
        "Expunge personal data from 2 record(s)\n\n2025-abcd: subjects\n2026-k7qd: reporter, subjects\n"
    )
    assert (
        message_check.is_own(message) and message_check.check(message, {"2026-k7qd": [doc]}) == {}
    )
    assert message_check.named_in(message, doc)  # what the shape spares it
    assert not message_check.is_own(message.replace("2025-abcd", "Ada Expunge"))
    assert not message_check.is_own(message + "Ada was told.\n")


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"\A20[0-9]{2}-[0-9a-hjkmnp-tv-z]{4}\Z"),
        st.sampled_from([["reporter"], ["subjects"], ["reporter", "subjects"]]),
        min_size=1,
        max_size=5,
    )
)
def test_every_message_expunge_writes_is_recognised(steps: dict[str, list[str]]) -> None:
    assert message_check.is_own(message_check.expunge_message(steps, dt.date(2027, 9, 1)))


def test_check_names_each_record_hit_in_any_of_its_versions() -> None:
    old, new = DOC, redact.expunge(DOC, ["subjects"], dt.date(2028, 1, 1))
    assert message_check.check("Müller left", {"2026-k7qd": [new]}) == {}
    assert message_check.check("Müller left", {"2026-k7qd": [new, old]}) == {
        "2026-k7qd": ["a subject's name"]
    }
