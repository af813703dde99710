"""What this clone remembers, in its own git directory (.git/cocrec/), where no commit can write.

- `root`: the trust root pinned the first time cocrec ran here; a repository whose root differs is
  refused until the member re-pins on purpose (`cocrec setup --repin`).
- `accepted`: the member keys this member last accepted; encrypting to any other asks first.
- `seen`: the newest version of each signed statement shown here, so an older one put back is caught.
- `verified`: digests of signatures that verified here before (a signature is checked once per clone).
- `journal`: records this clone wrote (or re-signs) whose index entry is not written yet, each with
  the fingerprint of the keys it was encrypted to: a writer killed between replacing files and
  writing the index finishes the job on the next run, and the index says whom each file opens for.

Every file is rewritten atomically; a repository outside git (no .git) remembers nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .fsutil import atomic_write
from .trust import Keys, Seen

DIGEST = 16
CHAINS = " membership"  # seen.json's key for the membership histories of every branch


@dataclass
class Clone:
    directory: Path | None  # None: not a git clone, nothing is remembered

    @classmethod
    def of(cls, git_dir: Path) -> Clone:
        return cls(git_dir / "cocrec" if git_dir.is_dir() else None)

    def _path(self, name: str) -> Path | None:
        return self.directory / name if self.directory is not None else None

    def _read(self, name: str) -> bytes | None:
        path = self._path(name)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            return None

    def _write(self, name: str, data: bytes) -> bool:
        path = self._path(name)
        if path is None:
            return False
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            atomic_write(path, data, 0o600)
        except OSError:
            return False  # a read-only .git: remembering is a convenience, never a reason to fail
        return True

    # -- the trust root ---------------------------------------------------------------

    @property
    def root(self) -> str | None:
        data = self._read("root")
        return data.decode("ascii", "replace").strip() if data else None

    def pin_root(self, root: str) -> bool:
        """Pin `root` (on first use, or on purpose: `setup --repin`); what was seen before (versions, the
        membership histories) is forgotten: the member accepts the repository as it is now."""
        if self.root is not None:
            self._write("seen.json", b"{}")
        return self._write("root", (root + "\n").encode("ascii"))

    # -- accepted keys ------------------------------------------------------------------

    @property
    def accepted(self) -> Keys | None:
        data = self._read("accepted.json")
        if data is None:
            return None
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            doc = json.loads(data)
            return {str(m): tuple(str(k) for k in ks) for m, ks in doc.items()}
        return None

    def accept(self, member_keys: Keys) -> None:
        doc = {m: sorted(ks) for m, ks in sorted(member_keys.items())}
        self._write("accepted.json", json.dumps(doc, indent=1).encode())

    # -- seen versions (per branch: branches legitimately hold older versions and fewer records) ---------

    @cached_property
    def branch(self) -> str | None:
        """The checked-out branch (None when HEAD is detached, as during a rebase: nothing is remembered then)."""
        if self.directory is None:
            return None
        try:
            head = (self.directory.parent / "HEAD").read_text("utf-8", "replace").strip()
        except OSError:
            return None
        return head[len("ref: ") :] if head.startswith("ref: ") else None

    def _all_seen(self) -> dict[str, object]:
        data = self._read("seen.json")
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            doc = json.loads(data) if data else {}
            if isinstance(doc, dict):
                return doc
        return {}

    def seen(self) -> Seen:
        everything = self._all_seen()
        others = self._chains(everything)
        doc = everything.get(self.branch or "")
        with contextlib.suppress(ValueError, AttributeError, TypeError, KeyError):
            if isinstance(doc, dict):
                chain = tuple(str(d) for d in doc.get("chain", ()))
                return Seen(
                    int(doc["log"]),
                    int(doc["policy"]),
                    {str(k): int(v) for k, v in doc["records"].items()},
                    chain,
                    others,
                )
        return Seen(others=others)

    @staticmethod
    def _chains(everything: Mapping[str, object]) -> tuple[tuple[str, ...], ...]:
        """The membership histories seen on any branch (under a key no branch can have: refs hold no space)."""
        raw = everything.get(CHAINS)
        if not isinstance(raw, list):
            return ()
        return tuple(tuple(str(d) for d in chain) for chain in raw if isinstance(chain, list))

    def _store_seen(self, seen: Seen) -> None:
        if self.branch is None:
            return
        everything = self._all_seen()
        everything[self.branch] = {
            "log": seen.log,
            "policy": seen.policy,
            "records": dict(sorted(seen.records.items())),
            "chain": list(seen.chain),
        }
        chains = [
            c
            for c in self._chains(everything)
            if not (len(c) <= len(seen.chain) and seen.chain[: len(c)] == c)
        ]
        if seen.chain and not any(seen.chain == c[: len(seen.chain)] for c in chains):
            chains.append(seen.chain)
        everything[CHAINS] = [list(c) for c in chains]
        self._write("seen.json", json.dumps(everything, separators=(",", ":")).encode())

    def remember(self, seen: Seen) -> None:
        before = self.seen()
        merged = Seen(before.log, before.policy, dict(before.records), before.chain, before.others)
        merged.merge(seen)
        if merged != before:
            self._store_seen(merged)

    def forget_versions(self) -> None:
        """A member accepted the repository's statements as they are now (`cocrec adopt`)."""
        if self.branch is not None and self.branch in self._all_seen():
            self._store_seen(Seen())

    # -- verified signatures -------------------------------------------------------------------

    def verified(self) -> set[bytes]:
        """The digests of the signatures this clone verified (a new set each time: its caller adds to it)."""
        data = self._read("verified") or b""
        return {data[i : i + DIGEST] for i in range(0, len(data) - DIGEST + 1, DIGEST)}

    def save_verified(self, digests: set[bytes]) -> None:
        self._write("verified", b"".join(sorted(digests)))

    # -- the write journal ------------------------------------------------------------------------

    def _journal_lines(self) -> list[list[str]]:
        data = self._read("journal") or b""
        return [
            parts
            for line in data.decode("ascii", "replace").splitlines()
            if len(parts := line.split()) in (2, 3)
        ]

    def journal(self) -> dict[str, set[str]]:
        """record id -> the sha256 of each file of it this clone wrote (or re-signs) and has not indexed yet."""
        found: dict[str, set[str]] = {}
        for parts in self._journal_lines():
            found.setdefault(parts[0], set()).add(parts[1])
        return found

    def journal_recipients(self) -> dict[tuple[str, str], str]:
        """(record id, sha256) -> the fingerprint of the keys that file was encrypted to, as noted when it was written."""
        return {
            (parts[0], parts[1]): parts[2] for parts in self._journal_lines() if len(parts) == 3
        }

    def note(self, written: Mapping[str, str], recipients: Mapping[str, str] = {}) -> None:
        """Before files are replaced: remember each (id, sha256) as this clone's own, with the fingerprint of the
        keys it is encrypted to (`recipients`, by id), so that indexing it later says whom it opens for."""
        if not written:
            return
        entries = {
            (parts[0], parts[1]): parts[2] if len(parts) == 3 else ""
            for parts in self._journal_lines()
        }
        for rid, sha in written.items():
            entries[(rid, sha)] = recipients.get(rid, "")
        lines = "".join(
            f"{rid} {sha} {fp}".rstrip() + "\n" for (rid, sha), fp in sorted(entries.items())
        )
        if not self._write("journal", lines.encode("ascii")) and self.directory is not None:
            raise OSError("cannot write the write journal in the git directory")

    # -- a `members clear` under way -----------------------------------------------------

    def clearing(self) -> set[str]:
        """The members a `members clear` here started to clear and did not finish (it was killed)."""
        data = self._read("clearing")
        return set(data.decode("ascii", "replace").split()) if data else set()

    def start_clearing(self, member_id: str) -> None:
        written = self._write(
            "clearing", " ".join(sorted(self.clearing() | {member_id})).encode("ascii")
        )
        if not written and self.directory is not None:
            raise OSError("cannot note the clearing in the git directory")

    def done_clearing(self, member_id: str) -> None:
        left = self.clearing() - {member_id}
        if left:
            self._write("clearing", " ".join(sorted(left)).encode("ascii"))
            return
        path = self._path("clearing")
        if path is not None:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(path)

    def clear_journal(self) -> None:
        path = self._path("journal")
        if path is not None:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                os.unlink(path)
