"""cocrec.layout: the repository's own files, the committee's extra_files globs, and plaintext records."""

from __future__ import annotations

import codecs
import json
import pickle
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocrec import layout, yaml_io
from cocrec.errors import RepoError
from cocrec.policy import DEFAULT_POLICY
from cocrec.repo import Repo
from cocrec.scaffold import template
from cocrec.validate import load_policy

from .conftest import BASE_RECORD, outcome, record


@pytest.mark.parametrize(
    "path",
    ["cocrec.yaml", "members.yaml", "trust.yaml", "records/2026-k7qd.yaml.age", "records/index.yaml",
     ".gitattributes", ".gitignore", ".github/workflows/records.yml", ".github/workflows/other.yaml"],
)  # fmt: skip
def test_the_layout_is_allowed_without_any_extra_files(path: str) -> None:
    assert layout.is_allowed(path)


@pytest.mark.parametrize(
    "path",
    ["README.md", "case-notes.yaml", "draft.yaml", "records/2026-k7qd.yaml", "records/notes.txt",
     "records/sub/2026-k7qd.yaml.age", "workspace/2026-k7qd.yaml", "cocrec.yaml.bak", "docs/cocrec.yaml",
     ".github/workflows/sub/x.yml", ".github/other.yml", "hooks/post-checkout", "hooks/pre-commit"],
)  # fmt: skip
def test_anything_else_is_outside_the_layout(path: str) -> None:
    assert not layout.is_allowed(path)


def test_extra_files_let_in_what_they_name_and_nothing_under_records_or_workspace() -> None:
    extra = ["README.md", "docs/**"]
    assert layout.is_allowed("README.md", extra) and layout.is_allowed("docs/a/b.png", extra)
    assert not layout.is_allowed("docs", extra) and not layout.is_allowed("sub/README.md", extra)
    for everything in (["**"], ["*"], ["records/**"], ["workspace"], ["**/*.yaml"]):
        assert not layout.is_allowed("records/2026-k7qd.yaml", everything)
        assert not layout.is_allowed("workspace/2026-k7qd.yaml", everything)
    assert layout.outside_layout(["b.txt", "cocrec.yaml", "README.md", "a.yaml"], extra) == [
        "a.yaml",
        "b.txt",
    ]


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("README.md", ["README.md"], ["readme.md", "docs/README.md", "README.mdx"]),
        ("docs/**", ["docs/a", "docs/a/b/c.md", "docs/.nojekyll"], ["docs", "docsx/a", "x/docs/a"]),
        ("docs/", ["docs/a", "docs/a/b"], ["docs"]),
        ("d*/", ["docs/a", "dx/a/b"], ["docs", "a/d/x"]),
        ("docs", ["docs", "docs/a/b"], ["docsx", "x/docs"]),
        ("**/*.md", ["a.md", "x/a.md", "x/y/a.md", ".md"], ["a.mdx", "a/md"]),
        ("a/**/b", ["a/b", "a/x/b", "a/x/y/b"], ["a/b/c", "ab", "x/a/b"]),
        ("**/docs/**", ["docs/a", "x/docs/a", "x/y/docs/a/b"], ["docs", "x/docs"]),
        ("*.md", ["a.md", ".hidden.md"], ["x/a.md"]),
        ("docs/*", ["docs/a"], ["docs/a/b", "docs"]),
        ("d?cs/*.md", ["docs/a.md", "dacs/b.md"], ["dcs/a.md", "d/cs/a.md"]),
        ("a**b", ["ab", "axxb"], ["a/b", "ax/xb"]),
        ("[dx]*/**", ["docs/a", "x/a/b"], ["a/b"]),
        ("[!d]*", ["a", "x.md"], ["docs", "x/y"]),
        ("we[ird].md", ["wei.md", "wer.md"], ["we[ird].md"]),
        ("we\\[ird\\].md", ["we[ird].md"], ["wei.md"]),
        ("[oops", ["[oops"], ["o"]),
        ("/README.md", ["README.md"], ["x/README.md"]),
    ],
)
def test_glob_semantics(pattern: str, matches: list[str], misses: list[str]) -> None:
    for path in matches:
        assert layout.glob_matches(pattern, path), (pattern, path)
    for path in misses:
        assert not layout.glob_matches(pattern, path), (pattern, path)


# -- the same answers as git's own glob pathspecs ----------------------------------------------------

PATHS = (
    "README.md", "a.md", ".hidden", "docs/r.md", "docs/.nojekyll", "docs/a/b/c.md", "docs/a/x.txt",
    "x/docs/y.md", "x/a.md", "ab", "axb", "a/b", "a/x/b", "b/a.md", "docsx/r.md",
)  # fmt: skip
SEGMENTS = st.sampled_from(
    ["docs", "a", "b", "x", "*", "**", "?", "*.md", "[ab]", "[!a]*", "d*", ".*", "r.md"]
)


@pytest.fixture(scope="module")
def globbed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("globbed")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for path in PATHS:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


@settings(max_examples=150, deadline=None)
@given(st.lists(SEGMENTS, min_size=1, max_size=4), st.booleans())
def test_globs_match_what_git_glob_pathspecs_match(
    globbed: Path, segments: list[str], trailing_slash: bool
) -> None:
    pattern = "/".join(segments)
    if trailing_slash and not any(char in pattern for char in "*?["):
        pattern += (
            "/"  # git's `d*/` matches nothing; cocrec's is everything under d*/ (tested above)
        )
    listed = subprocess.run(
        ["git", "-C", str(globbed), "ls-files", "-z", "--", f":(glob){pattern}"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    by_git = {path for path in listed.split("\0") if path}
    assert {path for path in PATHS if layout.glob_matches(pattern, path)} == by_git, pattern


def test_init_lists_readme_and_the_policy_reads_extra_files() -> None:
    policy = load_policy(template("cocrec.yaml").encode(), "cocrec.yaml")
    assert policy.extra_files == ("README.md",) and DEFAULT_POLICY.extra_files == ()
    assert load_policy(b"extra_files: [README.md, 'docs/**']\n", "cocrec.yaml").extra_files == (
        "README.md",
        "docs/**",
    )


@pytest.mark.parametrize(
    "bad",
    [
        "extra_files: README.md\n",
        "extra_files: [' x']\n",
        "extra_files: ['']\n",
        "extra_files: [1]\n",
    ],
)
def test_extra_files_must_be_a_list_of_globs(bad: str) -> None:
    from cocrec.errors import ValidationError

    with pytest.raises(ValidationError, match="extra_files"):
        load_policy(bad.encode(), "cocrec.yaml")


# -- plaintext records -------------------------------------------------------------------------------

CLOSED = record(id="2026-k7qd", outcome=outcome("flagged"))


@pytest.mark.parametrize(
    "data",
    [
        yaml_io.dumps(CLOSED).encode(),
        yaml_io.dumps(record()).encode(),
        yaml_io.dumps({"reported_on": "2026-06-04", "summary": "Unwanted messages.\n"}).encode(),
        yaml_io.dumps(
            {"subjects": [{"name": "Jane Doe"}], "reporter": {"kind": "private"}}
        ).encode(),
        b"# cocrec edit 2026-k7qd\n" + yaml_io.dumps(CLOSED).encode(),
        json.dumps(
            {"record": CLOSED, "retention": {}}
        ).encode(),  # `cocrec show --format json > x.json`
        yaml_io.dumps([CLOSED, CLOSED]).encode(),
        yaml_io.dumps({"records": {"2026-k7qd": CLOSED}}).encode(),
        b"notes: first\n---\n" + yaml_io.dumps(CLOSED).encode(),
        codecs.BOM_UTF16_LE + yaml_io.dumps(CLOSED).encode("utf-16-le"),  # PowerShell's `>`
        codecs.BOM_UTF8 + yaml_io.dumps(CLOSED).encode(),
        yaml_io.dumps(CLOSED).encode() + b"summary: [unclosed\n",  # broken YAML, still a record
        yaml_io.dumps(CLOSED).encode()
        + b"notes: &a x\nmore: *a\n",  # anchors: yaml_io refuses them
    ],
)
def test_plaintext_records_are_recognised(data: bytes) -> None:
    assert layout.looks_like_record(data)


@pytest.mark.parametrize(
    "name",
    ["cocrec.yaml", "members.yaml", "gitignore", "gitattributes", "records.yml"],
)
def test_cocrecs_own_files_are_not_records(name: str) -> None:
    assert not layout.looks_like_record(template(name).encode())


def test_the_index_and_readme_and_ciphertext_are_not_records() -> None:
    index = {
        "version": 1, "recipients": "sha256:00",
        "records": {"2026-k7qd": {"sha256": "ab", "recipients": "sha256:00", "status": "closed",
                                  "reported_on": "2026-06-04", "reporter": {"due": "2028-09-01"},
                                  "subjects": {"due": "2028-09-01"}, "held": False}},
    }  # fmt: skip
    assert not layout.looks_like_record(yaml_io.dumps(index).encode())
    readme = (Path(__file__).parents[1] / "README.md").read_bytes()
    assert not layout.looks_like_record(readme)  # it quotes a record, in a fenced block
    assert not layout.looks_like_record(
        b"-----BEGIN AGE ENCRYPTED FILE-----\n" + yaml_io.dumps(BASE_RECORD).encode()
    )
    assert not layout.looks_like_record(
        b"\x89PNG\r\n\x1a\n\0\0\0" + yaml_io.dumps(BASE_RECORD).encode()
    )
    assert not layout.looks_like_record(b"summary: a meeting\nnotes: none\n")
    assert not layout.looks_like_record(b"")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_get_an_answer_never_an_exception(data: bytes) -> None:
    assert layout.looks_like_record(data) in (True, False)


def test_deeply_nested_or_huge_input_gets_an_answer() -> None:
    assert layout.looks_like_record(b"[" * 5000 + b"]" * 5000) is False
    big = (
        b"reported_on: 2026-06-04\nsummary: x\nsubjects: []\n"
        + b"notes: "
        + b"y" * (5 << 20)
        + b"\n"
    )
    assert layout.looks_like_record(big) is True


def test_each_listing_of_records_sees_files_added_and_removed_since_the_last(
    tmp_path: Path,
) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "2026-aaaa.yaml.age").write_bytes(b"x")
    repo = Repo(tmp_path)
    assert list(repo.record_files()) == ["2026-aaaa"]
    (records / "2026-bbbb.yaml.age").write_bytes(b"x")
    (records / "2026-aaaa.yaml.age").unlink()
    assert repo.record_files() == {"2026-bbbb": records / "2026-bbbb.yaml.age"}
    (records / "2026-aaaa.yaml.age").mkdir()
    with pytest.raises(RepoError, match="not a file"):
        repo.record_files()
    # another process receives the repository alone, not what this one has listed
    assert pickle.loads(pickle.dumps(repo)) == repo
    assert len(pickle.dumps(repo)) < 300
