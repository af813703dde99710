"""cocrec textconv FILE: git's diff driver (diff.cocrec.textconv) prints a record's plaintext for a member.

git passes the path of a temporary copy of the blob. Someone who cannot
decrypt it (no identity, not a recipient, a damaged file) gets a one-line
placeholder and exit 0, so that `git diff` and `git log -p` still work for
non-members and in CI; never a traceback. The plaintext goes to git's pager
only: setup keeps diff.cocrec.cachetextconv off, so git never stores it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import crypto, editor, index
from ..context import Context
from ..errors import EXIT_OK, CocrecError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PLACEHOLDER = "# cocrec: encrypted record ({why}), sha256 {sha}"


def plaintext_or_placeholder(ctx: Context, path: Path) -> str:
    """The plaintext, or one line saying why not; the line names the version (its ciphertext hash, public
    in the index) so that a non-member's `git log -p` still shows that a record changed."""
    try:
        ciphertext = path.read_bytes()
    except OSError:
        return "# cocrec: unreadable file"
    if not ciphertext:
        return ""
    sha = index.sha256(ciphertext)[:16]
    try:
        crypto.header_stanzas(ciphertext)
        identities = ctx.identities
    except CocrecError as exc:
        why = "not a valid age file" if "age file" in str(exc) else "no key available"
        return PLACEHOLDER.format(why=why, sha=sha)
    try:
        plaintext = crypto.decrypt(ciphertext, identities, path.name)
    except CocrecError:
        return PLACEHOLDER.format(why="not encrypted to your key", sha=sha)
    return printable(plaintext.decode("utf-8", errors="replace"))


def printable(text: str) -> str:
    """The text with every control character but tab and newline shown as an escape (`\\x1b`): a
    record's text reaches the member's terminal through git's pager, and a record someone forged
    must not drive it (OSC 52 writes the clipboard, others hide text or set titles)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def run(ctx: Context, file: str) -> int:
    # git runs the driver with no terminal on stdin: ask for a passphrase on /dev/tty, or give the placeholder.
    ctx.passphrase = editor.terminal_passphrase
    ctx.out(plaintext_or_placeholder(ctx, Path(file)).rstrip("\n"))
    return EXIT_OK
