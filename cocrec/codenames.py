"""Code names: two words of a shipped list (`home shelf`), one per record, for meetings and commit messages.

Pure, but for reading the word list shipped in the package (cocrec/data/code-words.txt). A code
name is random (`secrets`), unique among the names the repository's index holds (tombstones of
removed records included: a name is never given twice), and carries nothing of the record: it is
chosen before anyone knows what the case will say.

Its one home is the record's index entry (cocrec.index, signed with it), not the record's
plaintext: a member who cannot open a record still knows it by name, and CI verifies it without a key.

What a member types is read leniently (`normalise`: any case, words separated by spaces, `-` or `_`),
what the index holds strictly (`is_code_name`: the canonical form only).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

WORD = r"[a-z]{3,12}"
CODE_NAME = re.compile(rf"({WORD}) ({WORD})")
_TYPED = re.compile(r"\s*([A-Za-z]{3,12})[\s_-]+([A-Za-z]{3,12})\s*")
_TRIES = 64  # random draws before falling back to listing what is free (a nearly full repository)


@lru_cache(maxsize=1)
def words() -> tuple[str, ...]:
    """The shipped word list, in its order (comments and blank lines left out)."""
    text = resources.files("cocrec").joinpath("data/code-words.txt").read_text(encoding="utf-8")
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_code_name(value: str) -> bool:
    """The canonical shape: two different lowercase words of letters, one space between."""
    match = CODE_NAME.fullmatch(value)
    return match is not None and match[1] != match[2]


def of_shipped_words(name: str) -> bool:
    """Whether both words of this code name are in the shipped list (a code name cocrec could give)."""
    shipped = _shipped()
    return is_code_name(name) and all(word in shipped for word in name.split(" "))


@lru_cache(maxsize=1)
def _shipped() -> frozenset[str]:
    return frozenset(words())


def normalise(text: str) -> str | None:
    """What a member typed, as a code name (`Home-Shelf` is `home shelf`); None when it has not the shape."""
    match = _TYPED.fullmatch(text)
    if match is None:
        return None
    name = f"{match[1].lower()} {match[2].lower()}"
    return name if is_code_name(name) else None


def choose(taken: Collection[str], vocabulary: Sequence[str] = ()) -> str:
    """A random code name not in `taken`, from two different words of `vocabulary` (default: the shipped list)."""
    vocabulary = vocabulary or words()
    for _ in range(_TRIES):
        first, second = secrets.choice(vocabulary), secrets.choice(vocabulary)
        name = f"{first} {second}"
        if first != second and name not in taken:
            return name
    free = [
        f"{a} {b}" for a in vocabulary for b in vocabulary if a != b and f"{a} {b}" not in taken
    ]
    if not free:
        raise ValueError("every code name of the word list is taken")
    return secrets.choice(free)


def assign(
    ids: Iterable[str], taken: Collection[str], vocabulary: Sequence[str] = ()
) -> dict[str, str]:
    """A new code name for each id, different from `taken` and from each other."""
    used = set(taken)
    given = {}
    for rid in sorted(set(ids)):
        given[rid] = choose(used, vocabulary)
        used.add(given[rid])
    return given


def made_line(rid: str, name: str) -> str:
    """What a command that made a record says of it on stderr (`new`, `seal`, `import`)."""
    return (
        f'{rid}\'s code name is "{name}" (for meetings and commit messages; commands take either)'
    )


def shown(name: str | None) -> str:
    """A record's code name as `show` and `edit` print it, in a `# code name: ...` line."""
    return name or "none yet (the next write, or `cocrec index`, gives one)"


def holders(name: str, names: Mapping[str, str | None]) -> list[str]:
    """The record ids whose code name is `name` (more than one only after two branches chose alike)."""
    return sorted(rid for rid, held in names.items() if held == name)
