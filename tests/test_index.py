"""records/index.yaml as text: the template writer and reader agree byte for byte with PyYAML's."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cocrec import index, yaml_io
from cocrec.errors import ValidationError

SHA = "0f" * 32
FINGERPRINT = "sha256:" + "ab" * 32
SIG = "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg+/=="


def entry(rid: str = "2026-k7qd", **changes: object) -> index.Entry:
    fields: dict[str, object] = {
        "id": rid,
        "sha256": SHA,
        "recipients": FINGERPRINT,
        "status": "closed",
        "due": "2028-09-01",
        "held": False,
        "version": 3,
        "sig": SIG,
    }
    fields.update(changes)
    return index.Entry(**fields)  # type: ignore[arg-type]


def by_yaml(fingerprint: str, entries: dict[str, index.Entry]) -> str:
    doc = {
        "version": index.VERSION,
        "recipients": fingerprint,
        "records": {rid: entries[rid].to_doc() for rid in sorted(entries)},
    }
    return index.HEADER + yaml_io.dumps(doc)


def test_an_index_cocrec_builds_is_written_by_template_as_pyyaml_would() -> None:
    entries = {
        "2026-k7qd": entry(excluded=("bob", "carol")),
        "2025-0abc": entry(
            "2025-0abc",
            status="open",
            due=None,
            reported_on="2025-01-02",
            held=True,
            deadline="2025-01-03",
            sig="",
        ),
    }
    text = index.render(FINGERPRINT, entries)
    assert text == by_yaml(FINGERPRINT, entries)
    assert (
        "  2025-0abc:\n    sha256: " in text
        and "    excluded:\n    - bob\n    - carol\n    status: closed\n" in text
    )
    assert (
        index._parse_plain(text)
        == index.Index._parse_yaml(text.encode(), "i")
        == index.Index(FINGERPRINT, entries)
    )


def test_the_index_tells_no_outcome_apart() -> None:
    """A closed record shows only its next due date: no steps, no `never`, no done dates, no report date."""
    text = index.render(
        FINGERPRINT, {"2026-k7qd": entry(), "2026-k7qe": entry("2026-k7qe", due=None)}
    )
    for word in ("never", "reporter:", "subjects:", "done", "reported_on"):
        assert word not in text


# Words that YAML reads as something other than text must be quoted: the template must step aside for them.
TRICKY = [
    "123",
    "0b101",
    "0x1f",
    "null",
    "~",
    "yes",
    "on",
    "true",
    "1_000",
    "12:30",
    "",
    "a b",
    "x:",
    "-1",
    "it's",
    "2026-06-04",
    "never",
    "1e5",
]
words = st.one_of(
    st.sampled_from(TRICKY), st.from_regex(r"[0-9a-z][0-9a-z:_-]{0,12}", fullmatch=True)
)
optional_words = st.one_of(st.none(), words)
entries_st = st.dictionaries(
    words,
    st.builds(
        entry,
        sha256=words,
        recipients=words,
        status=words,
        reported_on=optional_words,
        due=optional_words,
        deadline=optional_words,
        excluded=st.lists(words, max_size=2).map(tuple),
        held=st.booleans(),
        version=st.integers(0, 10**6),
        sig=st.sampled_from(["", SIG, "a b", "+x"]),
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(fingerprint=words, entries=entries_st)
def test_render_and_parse_agree_with_pyyaml_on_any_words(
    fingerprint: str, entries: dict[str, index.Entry]
) -> None:
    entries = {rid: dataclasses.replace(e, id=rid) for rid, e in entries.items()}
    text = index.render(fingerprint, entries)
    assert text == by_yaml(fingerprint, entries)
    assert index.Index.parse(text.encode(), "i") == index.Index._parse_yaml(text.encode(), "i")


def template_text(fingerprint: str, entries: list[index.Entry]) -> str:
    """The template's lines for these entries as given: in any order, ids repeated, any words."""
    parts = [index._head(fingerprint)]
    for e in entries:
        lines = index._lines(e)
        parts.append(lines if lines is not None else f"  {e.id}:\n    sha256: {e.sha256}\n")
    return "".join(parts)


mostly_plain = st.one_of(
    st.from_regex(r"[0-9a-z][0-9a-z:_-]{0,12}", fullmatch=True),
    st.sampled_from(["2026-k7qd", "2026-k7qe", "2025-0abc"]),
    st.sampled_from(TRICKY),
)
listed_entries = st.lists(
    st.builds(
        entry,
        mostly_plain,
        sha256=mostly_plain,
        status=mostly_plain,
        due=st.one_of(st.none(), mostly_plain),
        held=st.booleans(),
    ),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(fingerprint=mostly_plain, entries=listed_entries)
def test_the_template_reader_accepts_only_what_rendering_gives_back(
    fingerprint: str, entries: list[index.Entry]
) -> None:
    """Whatever the fast reader takes, rendering its entries gives the very text and the YAML loader reads the
    same: so `check` may compare entries instead of texts (unsorted or repeated ids, words YAML reads otherwise)."""
    text = template_text(fingerprint, entries)
    parsed = index._parse_plain(text)
    if parsed is not None:
        assert parsed.canonical and index.render(parsed.recipients, parsed.entries) == text
        assert parsed == index.Index._parse_yaml(text.encode(), "i")


def test_a_hand_edited_index_is_read_by_the_yaml_loader() -> None:
    text = index.render(FINGERPRINT, {"2026-k7qd": entry()})
    edited = text.replace("held: false", "held: false  # we paused this")
    assert index._parse_plain(edited) is None
    assert index.Index.parse(edited.encode(), "i").entries["2026-k7qd"] == entry()
    quoted = text.replace("    due: 2028-09-01\n", "    due: '2028-09-01'\n")
    assert (
        index._parse_plain(quoted) is None
        and index.Index.parse(quoted.encode(), "i").entries["2026-k7qd"] == entry()
    )


def test_a_malformed_index_says_to_regenerate_it() -> None:
    text = index.render(FINGERPRINT, {"2026-k7qd": entry()}) + "x\n"
    with pytest.raises(ValidationError) as caught:
        index.Index.parse(text.encode(), "records/index.yaml")
    assert (
        str(caught.value)
        == "records/index.yaml: line 13: malformed YAML; regenerate it with `cocrec index`"
    )


def test_the_signed_message_binds_every_field_and_the_repository() -> None:
    base = entry()
    for change in (
        {"sha256": "1" * 64},
        {"held": True},
        {"due": "2099-01-01"},
        {"excluded": ("bob",)},
        {"version": 4},
        {"status": "open"},
    ):
        assert dataclasses.replace(base, **change).message("sha256:repo") != base.message(
            "sha256:repo"
        )  # type: ignore[arg-type]
    assert base.message("sha256:one") != base.message("sha256:two")
    assert dataclasses.replace(base, sig="other").message("r") == base.message("r")


EDITS = st.sampled_from(
    [
        " ",
        "\n",
        ":",
        "-",
        "#",
        "'",
        "0",
        "a",
        "~",
        "\t",
        "   ",
        "\n  ",
        "- x\n",
        "true",
        "null",
        "é",
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    at=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), EDITS), min_size=1, max_size=3)
)
def test_any_edit_of_an_index_is_read_as_the_yaml_loader_reads_it_or_left_to_it(
    at: list[tuple[int, int, str]],
) -> None:
    """The template reader (`_parse_plain`) against the YAML loader on hand edits of a real index: it
    takes only what the loader reads the same, and leaves everything else to it."""
    text = index.render(
        FINGERPRINT,
        {
            "2025-0abc": entry(
                "2025-0abc",
                status="open",
                due=None,
                reported_on="2025-01-02",
                held=True,
                deadline="2025-01-03",
                sig="",
            ),
            "2026-k7qd": entry(excluded=("bob", "carol")),
        },
    )
    for position, cut, inserted in at:
        position %= len(text) + 1
        text = text[:position] + inserted + text[position + cut :]
    fast = index._parse_plain(text)
    event("left to the YAML loader" if fast is None else "read by the template reader")
    if fast is None:
        return
    assert fast == index.Index._parse_yaml(text.encode(), "i")
    assert index.render(fast.recipients, fast.entries) == text
