"""Opening many record files at once, on every core (cocrec.bulk): each decrypted, parsed and,
given the policy and members, validated. A file that cannot be opened is a Problem in its place,
never an exception, so that a command can list them all.

Each step runs over a whole chunk before the next: done file by file, decrypting (in Rust) and
parsing and validating (in Python) evict each other's code and data from the CPU's caches.
Validating is spread over the workers too: it costs a good part of what decrypting does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from . import bulk, crypto, index, validate, yaml_io
from .model import Members
from .policy import Policy
from .problems import Problem, attempt
from .repo import RECORD_SUFFIX

NO_MEMBERS = Members()  # frozen: one shared default

Item = tuple[Path, str]  # a record file and its name as messages show it


class Opened(NamedTuple):
    """One file decrypted and parsed, in the order of the files asked for; or what is wrong with it.

    `problems` holds the one that stopped it (it does not decrypt, or is not YAML: `doc` is None),
    or each one validation found. Only plain data crosses back from a worker: pickling a Record
    costs more than building it, and the caller has the paths. (A named tuple unpickles faster
    than a dataclass.)
    """

    file_sha: str
    plaintext: bytes = b""
    doc: Any = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Opening:
    """What the batches of one worker share: the identities, and what to validate against."""

    identities: crypto.Identities
    policy: Policy | None = None
    members: Members = Members()


@dataclass(frozen=True)
class Opener:
    """The setup of a bulk map that opens records: it crosses to each worker as plain data (pyrage
    keys do not pickle, their secret strings do) and builds the worker's `Opening` there."""

    secrets: tuple[str, ...] = field(repr=False)
    policy: Policy | None = None  # None: parse, do not validate
    members: Members = Members()

    @classmethod
    def of(
        cls,
        identities: crypto.Identities,
        policy: Policy | None = None,
        members: Members = NO_MEMBERS,
    ) -> Opener:
        return cls(tuple(identities.to_secrets()), policy, members)

    def __call__(self) -> Opening:
        return Opening(crypto.Identities.from_secrets(self.secrets), self.policy, self.members)


def read(items: Sequence[Item]) -> list[bytes]:
    return [path.read_bytes() for path, _ in items]


def open_ciphertexts(
    ciphertexts: Sequence[bytes], items: Sequence[Item], opening: Opening
) -> list[Opened]:
    """Decrypt every file, then parse every plaintext, then validate every document."""
    identities = opening.identities
    plaintexts = [
        attempt(partial(crypto.decrypt, ciphertext, identities, source), source)
        for ciphertext, (_, source) in zip(ciphertexts, items)
    ]
    docs = [_parsed(plain, source) for plain, (_, source) in zip(plaintexts, items)]
    opened = [_opened(*each) for each in zip(ciphertexts, plaintexts, docs)]
    if opening.policy is None:
        return opened
    return [
        item if item.problems else _validated(item, path, source, opening)
        for item, (path, source) in zip(opened, items)
    ]


def _parsed(plaintext: bytes | Problem, source: str) -> Any:
    """The document, or the problem that stopped this file at this step or before."""
    if isinstance(plaintext, Problem):
        return plaintext
    return attempt(lambda: yaml_io.loads(plaintext, source), source)


def _opened(ciphertext: bytes, plaintext: bytes | Problem, doc: Any) -> Opened:
    file_sha = index.sha256(ciphertext)
    if isinstance(plaintext, Problem):
        return Opened(file_sha, problems=(plaintext,))
    if isinstance(doc, Problem):
        return Opened(file_sha, problems=(doc,))
    return Opened(file_sha, plaintext, doc)


def _validated(item: Opened, path: Path, source: str, opening: Opening) -> Opened:
    assert opening.policy is not None
    rid = path.name[: -len(RECORD_SUFFIX)]
    errors = validate.record_errors(
        item.doc, source, opening.policy, opening.members, expected_id=rid
    )
    return item._replace(problems=tuple(Problem.of(e, source) for e in errors)) if errors else item


def open_batch(items: list[Item], opening: Opening) -> list[Opened]:
    """A bulk batch: open each file of the chunk."""
    return open_ciphertexts(read(items), items, opening)


def open_each(
    items: Sequence[Item], opener: Opener, progress: bulk.Progress = None
) -> bulk.Results[Opened]:
    """Each file opened (and validated, if `opener` has a policy), in order, as soon as it is;
    close the results (or exhaust them) to stop the workers."""
    return bulk.ordered(open_batch, items, opener, progress, "decrypting")


def open_all(
    items: Sequence[Item], identities: crypto.Identities, progress: bulk.Progress = None
) -> list[Opened]:
    """Decrypt and parse each file, in order; problems are returned, not raised."""
    with open_each(items, Opener.of(identities), progress) as opened:
        return list(opened)
