"""What a records repository may hold in git, and what a file that is a record looks like (pure).

The pre-commit hook and `check --no-decrypt` ask two questions of every
staged or tracked path, and both are answered here:

- `is_allowed(path, extra_files)`: is the path part of the repository's own
  layout (SPEC section 2), or listed by the committee in cocrec.yaml
  `extra_files`? Nothing under records/ or workspace/ can be let in by
  `extra_files`: records/ holds record files and the index only, and
  workspace/ is plaintext that never enters git.
- `looks_like_record(data)`: do these bytes hold a plaintext record (a draft
  copied into the tree, `cocrec show ID > notes.yaml`), whatever the file is
  called? It never raises: garbage, binary and half-written YAML all get an
  answer.

Globs are matched against the whole path from the repository root, as git
writes it (`/` between directories, case-sensitive): `*` and `?` stay
within one directory (and match names starting with `.`), `[abc]` and
`[!abc]` are character classes, `\\` quotes the next character, and `**` as
a whole path segment spans directories: `docs/**` is everything under
docs/ at any depth, `**/*.md` a .md file anywhere (the root included),
`a/**/b` b directly in a or in any directory below it. A pattern ending in
`/` means everything under the directories it matches, and so does a plain
name without any of `*?[`: `docs` is docs/ and all it holds. These are git's
`:(glob)` pathspecs, which a test holds them to, except that git's `d*/`
matches nothing; a leading `/` changes nothing.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from . import yaml_io
from .errors import CocrecError

# The repository's own files (SPEC section 2). Hooks are not among them: they live in each
# clone's git directory, where no commit can change them.
LAYOUT: tuple[str, ...] = (
    "cocrec.yaml",
    "members.yaml",
    "trust.yaml",
    "records/*.yaml.age",
    "records/index.yaml",
    ".gitattributes",
    ".gitignore",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
)
# Directories whose content only the layout decides: `extra_files` cannot let anything in there.
RESERVED: tuple[str, ...] = ("records/", "workspace/")


# -- globs ----------------------------------------------------------------------------------------


def glob_regex(pattern: str) -> str:
    """The regular expression (to fullmatch) of one glob, as the module docstring describes it."""
    text = pattern[:-1] + "/**" if pattern.endswith("/") else pattern
    segments = [segment for segment in text.split("/") if segment]
    if not segments:
        return "(?!)"  # an empty pattern matches nothing
    # A plain name: the file, or all a directory holds.
    if not any(char in text for char in "*?[\\"):
        return re.escape("/".join(segments)) + "(?:/.+)?"
    parts = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "**":
            parts.append(".+" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return "".join(parts)


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # `a**b` is `a*b`: only a whole segment `**` crosses directories
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        elif char == "[" and (end := _class_end(segment, i)) > 0:
            out.append(_class_regex(segment[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(segment: str, start: int) -> int:
    """The index of the `]` closing the class opened at `start`, or -1 (then `[` is literal)."""
    i = start + 1
    if i < len(segment) and segment[i] in "!^":
        i += 1
    if i < len(segment) and segment[i] == "]":
        i += 1  # `[]a]`: a `]` first in the class is one of its characters
    return segment.find("]", i)


def _class_regex(body: str) -> str:
    negated = body[:1] in ("!", "^")
    members = body[1:] if negated else body
    escaped = "".join("\\" + c if c in "\\]^[" else c for c in members)
    return f"[^/{escaped}]" if negated else f"(?!/)[{escaped}]"


def glob_matches(pattern: str, path: str) -> bool:
    return _compiled((pattern,)).fullmatch(path) is not None


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{glob_regex(p)})" for p in patterns) or "(?!)")


# -- the layout -----------------------------------------------------------------------------------


def in_layout(path: str) -> bool:
    """Part of the repository's own layout."""
    return _compiled(LAYOUT).fullmatch(path) is not None


def is_allowed(path: str, extra_files: Sequence[str] = ()) -> bool:
    """Whether git may hold `path` (repository-relative, `/`-separated): the layout, or the
    committee's `extra_files` outside records/ and workspace/."""
    if in_layout(path):
        return True
    if path.startswith(RESERVED) or not extra_files:
        return False
    return _compiled(tuple(extra_files)).fullmatch(path) is not None


def outside_layout(paths: Iterable[str], extra_files: Sequence[str] = ()) -> list[str]:
    """The paths git may not hold, sorted."""
    return sorted(path for path in paths if not is_allowed(path, extra_files))


# -- does this look like a record? ----------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RECORD_ID = re.compile(r"^[0-9]{4}-[0-9a-hjkmnp-tv-z]{4}$")


def _has(keys: set[str]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and bool(keys & set(map(str, value)))


# A record's own fields, each with the shape it has in a record: a key alone proves little (the
# index has `reported_on`, `reporter` and `subjects` too, as dates and due dates), a key holding
# what a record holds there does.
RECORD_FIELDS: Mapping[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, str) and bool(_RECORD_ID.match(v)),
    "schema_version": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "reported_on": lambda v: isinstance(v, str) and bool(_DATE.match(v.strip())),
    "reporter": _has({"kind", "name", "contact"}),
    "handled_by": lambda v: isinstance(v, str),
    "subjects": lambda v: isinstance(v, list),
    "summary": lambda v: isinstance(v, str),
    "action_by_committee": _has({"taken", "description"}),
    "action_by_local_rep": _has({"taken", "description"}),
    "outcome": _has({"type", "decided_on", "shareable_summary"}),
    "disclosures": lambda v: isinstance(v, list),
    "expunged": _has({"reporter", "subjects"}),
}
MIN_FIELDS = 2  # two fields shaped as in a record
MAX_DEPTH = 4  # records inside a document: a list of them, {records: [...]}, {id: record}
MAX_NODES = 20_000
MAX_PARSED = 4 << 20  # bytes of YAML parsed; a larger text is judged by its keys alone
_TOP_KEY = re.compile(r"^([a-z_]+):(?:\s|$)", re.MULTILINE)
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_DOC_SEPARATOR = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:#.*)?$", re.MULTILINE)


def looks_like_record(data: bytes) -> bool:
    """Whether `data` holds a plaintext record, alone or among other documents. Never raises."""
    try:
        text = _text(data)
        return text is not None and _text_looks_like_record(text)
    except Exception:  # noqa: BLE001 - the answer for bytes nothing can make sense of
        return False


def _text(data: bytes) -> str | None:
    """The bytes as text: UTF-8, or UTF-16/32 with a byte order mark (PowerShell's `>` writes
    UTF-16); None for binary data and age files."""
    if data.lstrip().startswith((b"-----BEGIN AGE ENCRYPTED FILE-----", b"age-encryption.org/")):
        return None
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
                          (codecs.BOM_UTF8, "utf-8-sig")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def _text_looks_like_record(text: str) -> bool:
    if len(text) > MAX_PARSED:
        return _keys_look_like_record(text)
    parsed_all = True
    for part in _DOC_SEPARATOR.split(text):
        if not part.strip():
            continue
        try:
            doc = yaml_io.loads(part, "staged file", max_bytes=MAX_PARSED)
        except (CocrecError, RecursionError):
            parsed_all = False
            continue
        if _holds_record(doc, 0, [0]):
            return True
    return not parsed_all and _keys_look_like_record(text)


def _holds_record(node: Any, depth: int, seen: list[int]) -> bool:
    seen[0] += 1
    if depth > MAX_DEPTH or seen[0] > MAX_NODES:
        return False
    if isinstance(node, dict):
        shaped = sum(1 for key, check in RECORD_FIELDS.items() if key in node and check(node[key]))
        if shaped >= MIN_FIELDS:
            return True
        children: Iterable[Any] = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return False
    nested = (child for child in children if isinstance(child, (dict, list)))
    return any(_holds_record(child, depth + 1, seen) for child in nested)


def _keys_look_like_record(text: str) -> bool:
    """YAML that does not parse (a draft half-written, a value with a stray colon): three record
    fields at the start of a line. Not in Markdown, whose fenced examples would match."""
    if _FENCE.search(text):
        return False
    keys = {key for key in _TOP_KEY.findall(text) if key in RECORD_FIELDS}
    return len(keys) >= 3
