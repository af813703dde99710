#!/usr/bin/env python3
"""Time cocrec on N synthetic records, each beside its floor measured in the same run.

    python3 benchmarks/bench.py --records 1000
    python3 benchmarks/bench.py --records 1000 10000 --keys ssh-ed25519 x25519 --no-age
                                                       # every table the README shows: about 20 minutes

It makes a records repository in a temp directory (15 members by default,
invented people at example.org), writes N records through cocrec's own store
(validated, encrypted on every core, indexed) and commits them. Then, each
as a fresh process, as a member would run it:

| cocrec                          | floor                                                           |
|---------------------------------|-----------------------------------------------------------------|
| `members add` (a member joins:  | the bare pyrage loop: read, decrypt_io, encrypt, atomic write   |
|  every record re-encrypted)     |  (temp file, fsync, rename), in a 2-process pool; and the `age` |
|                                 |  CLI once per file (decrypt piped to encrypt), as `passage      |
|                                 |  reencrypt` does                                                |
| `check`, `due`, `stats`         | decrypt_io + YAML parse (CSafeLoader) in a 2-process pool       |
| `--help`, `status` on the demo  | `python -c "import click"`                                      |

The floors run as processes of this script, so both sides pay for starting
Python. Targets (issue 17): rekey within 1.5x of the pyrage floor, check within 1.3x of
decrypt+parse, screen of a 3,000-row list within 1.5x of one lookup, --help within 2x of importing
click, `status` on the demo within 1.5x of it. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

AS_OF = "2026-12-01"
TARGETS = {"rekey": 1.5, "check": 1.3, "help": 2.0, "screen": 1.5, "status": 1.5}
Row = tuple[
    str, float | None, str, float | None, str
]  # operation, cocrec s, floor name, floor s, target key

# -- synthetic records ------------------------------------------------------------------

REGIONS = [
    "europe",
    "north-america",
    "africa",
    "asia",
    "oceania",
    "latin-america",
    "online",
    "other",
]
CATEGORIES = [
    "harassment",
    "discrimination",
    "inappropriate-content",
    "disruptive-behaviour",
    "unwanted-contact",
    "other",
]
CHANNELS = ["email", "event-staff", "online-moderators", "other"]
OUTCOMES = ["no-violation", "unidentified", "resolved", "resolved", "flagged", "flagged", "banned"]
# Invented name parts: varied names, as real lists have (a name matcher's cost depends on their variety).
FIRST = [
    "Ada",
    "Bram",
    "Chioma",
    "Dario",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kaito",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tomas",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Amara",
    "Bilal",
    "Carmen",
    "Dmitri",
    "Esther",
    "Felix",
    "Greta",
    "Hamid",
    "Ivana",
]
LAST = [
    "Abara",
    "Bergstrom",
    "Castellano",
    "Dimitrov",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Hoffmann",
    "Ishikawa",
    "Jovanovic",
    "Kowalczyk",
    "Lindqvist",
    "Marchetti",
    "Novak",
    "Okonkwo",
    "Petrovic",
    "Quintero",
    "Rasmussen",
    "Sandoval",
    "Takahashi",
    "Umarov",
    "Vasquez",
    "Wojcik",
    "Xu",
    "Yilmaz",
    "Zielinski",
    "Achterberg",
    "Brennan",
]


REPORTERS_FROM = 14_000  # reporters' names come after the subjects' (a third of the records)


def invented_name(n: int) -> str:
    """A distinct name for each of up to 27,440 people: first and last names, then (beyond the 980
    pairs) a double-barrelled last name. Distinct people with one name are rare; a generator that
    repeats names would make `check` warn of a same-name pair thousands of times at 10,000 records."""
    pairs = len(FIRST) * len(LAST)
    last = LAST[(n // len(FIRST)) % len(LAST)]
    if n >= pairs:
        last += "-" + LAST[(n // pairs - 1) % len(LAST)]
    return f"{FIRST[n % len(FIRST)]} {last}"


def synthetic(count: int, member_ids: Sequence[str], seed: int = 4) -> list[dict[str, Any]]:
    """`count` valid records of invented people; some people recur, so retention extends across records."""
    from cocrec.repo import new_record_id

    rng = random.Random(seed)
    people = max(count // 3, 1)
    taken: set[str] = set()
    docs = []
    for n in range(count):
        reported = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 2800))
        rid = new_record_id(reported.year, frozenset(taken))
        taken.add(rid)
        docs.append(
            _record(rid, reported, rng.randrange(people), rng, member_ids, n % 10 == 0, reporter=n)
        )
    return docs


def _record(
    rid: str,
    reported: dt.date,
    person: int,
    rng: random.Random,
    member_ids: Sequence[str],
    open_case: bool,
    reporter: int = 0,
) -> dict[str, Any]:
    private = rng.random() < 0.3
    doc: dict[str, Any] = {
        "id": rid,
        "schema_version": 1,
        "reported_on": reported.isoformat(),
        "event": f"Example Conf {reported.year}",
        "region": rng.choice(REGIONS),
        "categories": [rng.choice(CATEGORIES)],
        "channel": rng.choice(CHANNELS),
        "reporter": {"kind": "private"}
        if private
        else {
            "kind": "public",
            "name": invented_name(REPORTERS_FROM + reporter % 13_000),
            "contact": f"reporter-{rid}@example.org",
        },
        "subjects": [
            {
                "name": invented_name(person),
                "emails": [f"person{person}@example.org"],
                "usernames": [f"github:person{person}"],
            }
        ],
        "summary": f"{invented_name(person)} behaved against the code of conduct at Example Conf {reported.year}. "
        * 12
        + "\n",
        "action_by_committee": {"taken": True, "description": "Emailed the subject."},
        "action_by_local_rep": {"taken": rng.random() < 0.3},
    }
    if private:
        doc["handled_by"] = rng.choice(list(member_ids))
    if not open_case:
        doc["outcome"] = _outcome(reported + dt.timedelta(days=rng.randrange(3, 60)), rng)
    return doc


def _outcome(decided: dt.date, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(OUTCOMES)
    out: dict[str, Any] = {"type": kind, "decided_on": decided.isoformat()}
    if kind == "banned":
        out["ban"] = (
            {"permanent": True}
            if rng.random() < 0.2
            else {"until": (decided + dt.timedelta(days=365)).isoformat()}
        )
    if kind in ("flagged", "banned"):
        out["recommendations"] = "May attend talks, not the social events."
    out["shareable_summary"] = "A violation of the code of conduct was found and addressed.\n"
    return out


# -- the repository ---------------------------------------------------------------------


def cocrec(
    root: Path, identity: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    run = subprocess.run(
        [sys.executable, "-m", "cocrec", "-C", str(root), "-i", str(identity), *args],
        capture_output=True,
    )
    if check and run.returncode not in (0, 1):
        raise SystemExit(
            f"cocrec {' '.join(args)} failed ({run.returncode}): {run.stderr.decode().strip()}"
        )
    return run


def make_repo(
    base: Path, records: int, member_count: int, kind: str
) -> tuple[Path, list[tuple[Path, str]]]:
    """A committed records repository; returns it and (identity file, public key) of each member plus one joiner.

    Every member holds a `kind` key (ssh-ed25519 or x25519), but the first, who writes and signs, an ssh-ed25519 one."""
    from cocrec import crypto, yaml_io
    from cocrec.commands.members import HEADER
    from cocrec.model import Member, Members
    from cocrec.repo import Repo
    from cocrec.store import Store

    root = base / "records-repo"
    subprocess.run(
        [sys.executable, "-m", "cocrec", "init", str(root)], check=True, capture_output=True
    )
    people = []
    for n in range(member_count + 1):
        text, public = crypto.generate_identity("ssh-ed25519" if n == 0 else kind)
        (base / f"m{n + 1}.txt").write_text(text)
        people.append((base / f"m{n + 1}.txt", public))
    me = people[0][0]
    cocrec(
        root,
        me,
        "members",
        "add",
        "m1",
        "--name",
        "Member 1",
        "--key",
        people[0][1],
        "--since",
        "2020-01-01",
    )
    current = tuple(
        Member(f"m{n + 1}", f"Member {n + 1}", (public,), dt.date(2020, 1, 1))
        for n, (_, public) in enumerate(people[:member_count])
    )
    (root / "members.yaml").write_text(HEADER + yaml_io.dumps(Members(current=current).to_doc()))
    cocrec(root, me, "adopt", "--yes")
    store = Store(Repo(root), lambda: crypto.load_identities([me], lambda _: ""))
    with store.writer():
        store.save(synthetic(records, [m.id for m in current]), {})
    git = [
        "git",
        "-C",
        str(root),
        "-c",
        "user.name=Bench",
        "-c",
        "user.email=bench@example.org",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "gc.auto=0",
    ]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "synthetic records"], check=True)
    subprocess.run([*git, "gc", "-q"], check=True)
    return root, people


# -- floors (each runs as `bench.py _floor KIND ...` in its own process) -------------------

_identity: Any = None
_recipients: list[Any] = []


def _init(secret: str, keys: Sequence[str]) -> None:
    import pyrage  # type: ignore[import-untyped]

    global _identity, _recipients
    if secret.startswith("AGE-SECRET-KEY-"):
        _identity = pyrage.x25519.Identity.from_str(secret)
    else:
        _identity = pyrage.ssh.Identity.from_buffer(secret.encode())
    _recipients = [
        pyrage.x25519.Recipient.from_str(k)
        if k.startswith("age1")
        else pyrage.ssh.Recipient.from_str(k)
        for k in keys
    ]


def _decrypt(path: str) -> bytes:
    import pyrage

    out = io.BytesIO()
    with open(path, "rb") as handle:
        pyrage.decrypt_io(io.BytesIO(handle.read()), out, [_identity])
    return out.getvalue()


def _reencrypt(paths: list[str]) -> int:
    import pyrage

    for path in paths:
        data = pyrage.encrypt(_decrypt(path), _recipients, armored=True)
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return len(paths)


def _parse(paths: list[str]) -> int:
    import yaml

    for path in paths:
        yaml.load(_decrypt(path), Loader=yaml.CSafeLoader)
    return len(paths)


def floor(kind: str, directory: str, identity: str, keys: Sequence[str]) -> None:
    text = Path(identity).read_text()
    secret = (
        text
        if "PRIVATE KEY" in text
        else next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-"))
    )
    paths = sorted(str(p) for p in Path(directory).glob("*.yaml.age"))
    chunks = [paths[i : i + 32] for i in range(0, len(paths), 32)]
    with ProcessPoolExecutor(2, initializer=_init, initargs=(secret, list(keys))) as pool:
        done = sum(pool.map(_reencrypt if kind == "rekey" else _parse, chunks))
    if kind == "rekey":
        fd = os.open(directory, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    assert done == len(paths)


def age_cli_loop(directory: Path, identity: Path, keys: Sequence[str]) -> None:
    """What `passage reencrypt` does: for each file, `age -d | age -e` into a temp file, then mv."""
    recipients = [arg for key in keys for arg in ("-r", key)]
    for path in sorted(directory.glob("*.yaml.age")):
        tmp = path.with_name(path.name + ".tmp")
        decrypt = subprocess.Popen(
            ["age", "-d", "-i", str(identity), str(path)], stdout=subprocess.PIPE
        )
        encrypt = subprocess.run(
            ["age", "-e", "-a", *recipients, "-o", str(tmp)], stdin=decrypt.stdout
        )
        assert decrypt.stdout is not None
        decrypt.stdout.close()
        if decrypt.wait() != 0 or encrypt.returncode != 0:
            raise SystemExit(f"age failed on {path.name}")
        os.replace(tmp, path)


# -- timing --------------------------------------------------------------------------------


def byte_compile() -> None:
    """Write cocrec's .pyc files, as installing a package does: with PYTHONDONTWRITEBYTECODE set (as on
    some machines) an edited module would otherwise be compiled from source in every timed process."""
    import compileall

    import cocrec

    compileall.compile_dir(str(Path(cocrec.__file__).parent), quiet=1)


def timed(argv: Sequence[str], ok: Sequence[int] = (0,)) -> float:
    """Seconds one process takes; `ok` are the exit codes it may end with (check exits 1 on overdue records)."""
    os.sync()  # the copies and checkouts made just before must not be flushed on this run's time
    start = time.perf_counter()
    run = subprocess.run(list(argv), capture_output=True)
    elapsed = time.perf_counter() - start
    if run.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv[:8])}... failed ({run.returncode}): {run.stderr.decode().strip()}"
        )
    return elapsed


def peak_of(argv: Sequence[str], ok: Sequence[int] = (0,)) -> int:
    """The peak resident memory (bytes) of one run of `argv` or of the largest process it waited for
    (its workers). Measured by a small process of this script that runs it: Linux counts a child's
    peak from the memory of the process it was forked from, and this one holds thousands of records."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak"
        timed([sys.executable, __file__, "_peak", str(report), *argv], ok)
        return int(report.read_text())


def _peak(report: str, argv: Sequence[str]) -> int:
    import resource

    code = subprocess.run(list(argv), capture_output=True).returncode
    Path(report).write_text(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024))
    return code


def median_of(runs: int, argv: Sequence[str]) -> float:
    return statistics.median(timed(argv) for _ in range(runs))


def floor_argv(kind: str, directory: Path, identity: Path, keys: Sequence[str]) -> list[str]:
    return [sys.executable, __file__, "_floor", kind, str(directory), str(identity), *keys]


def measure(
    base: Path,
    records: int,
    member_count: int,
    skip_age: bool,
    repeat: int,
    kind: str = "ssh-ed25519",
) -> list[Row]:
    """Each timing is the best of `repeat` runs, cocrec's and its floor's taken in turn (a shared machine is noisy)."""
    root, people = make_repo(base, records, member_count, kind)
    me, joiner = people[0][0], people[-1]
    py = [sys.executable, "-m", "cocrec", "-C", str(root), "-i", str(me)]
    all_keys = [public for _, public in people]
    git = ["git", "-C", str(root)]
    scratch = base / "floor"

    pyrage_floor, joined = [], []
    for _ in range(repeat):
        subprocess.run([*git, "checkout", "-q", "--", "."], check=True)  # back to the 15 members
        (root / ".git/cocrec/seen.json").unlink(
            missing_ok=True
        )  # this clone saw m16 join: forget it, as if new
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(root / "records", scratch)
        pyrage_floor.append(timed(floor_argv("rekey", scratch, me, all_keys)))
        joined.append(
            timed(
                [
                    *py,
                    "members",
                    "add",
                    "m16",
                    "--name",
                    "Member 16",
                    "--key",
                    joiner[1],
                    "--since",
                    "2026-11-01",
                ]
            )
        )
    rows: list[Row] = [
        (
            "rekey after a member joins (`members add`)",
            min(joined),
            "pyrage loop, 2 processes",
            min(pyrage_floor),
            "rekey",
        )
    ]
    if not skip_age and shutil.which("age"):
        shutil.rmtree(scratch)
        shutil.copytree(root / "records", scratch)
        start = time.perf_counter()
        age_cli_loop(scratch, me, all_keys)
        rows.append(
            ("", None, "`age` CLI once per file (passage)", time.perf_counter() - start, "")
        )

    commands = {"check": ["check"], "due": ["due"], "stats": ["stats"]}
    if importlib.util.find_spec("cocrec.commands.stats") is None:
        del commands["stats"]
    times: dict[str, list[float]] = {name: [] for name in ["floor", *commands]}
    for _ in range(repeat):
        times["floor"].append(timed(floor_argv("parse", root / "records", me, all_keys)))
        for name, args in commands.items():
            times[name].append(timed([*py, *args, "--as-of", AS_OF], ok=(0, 1)))
    PEAKS[records, kind] = (
        peak_of([*py, "check", "--as-of", AS_OF], ok=(0, 1)),
        peak_of(floor_argv("parse", root / "records", me, all_keys)),
    )
    parse_floor = min(times["floor"])
    rows.append(
        (
            "check (everything, decrypted)",
            min(times["check"]),
            "decrypt + parse, 2 processes",
            parse_floor,
            "check",
        )
    )
    rows.append(("due", min(times["due"]), "decrypt + parse, 2 processes", parse_floor, ""))
    if "stats" in commands:
        rows.append(("stats", min(times["stats"]), "decrypt + parse, 2 processes", parse_floor, ""))
    else:
        rows.append(("stats: not implemented yet, skipped", None, "", None, ""))
    rows.append(
        (
            "rekey --check (no key needed)",
            min(timed([*py, "rekey", "--check"]) for _ in range(repeat)),
            "",
            None,
            "",
        )
    )
    attendees = attendee_list(base / "attendees.csv", records, 3000)
    lookalikes = attendee_list(base / "lookalikes.csv", records, 3000, strangers=False)
    lookups, screens, alike = [], [], []
    for _ in range(repeat):
        lookups.append(timed([*py, "lookup", "person1@example.org", "--as-of", AS_OF], ok=(0, 1)))
        screens.append(timed([*py, "screen", str(attendees), "--as-of", AS_OF], ok=(0, 1)))
        alike.append(timed([*py, "screen", str(lookalikes), "--as-of", AS_OF], ok=(0, 1)))
    rows.append(
        (
            "screen (3,000 attendees, varied names)",
            min(screens),
            "lookup (one query)",
            min(lookups),
            "screen",
        )
    )
    rows.append(
        (
            "screen (3,000 attendees, every name like a reported one)",
            min(alike),
            "lookup (one query)",
            min(lookups),
            "",
        )
    )
    return rows + start_up()


PEAKS: dict[tuple[int, str], tuple[int, int]] = {}  # (records, key kind) -> check's and the floor's


def start_up() -> list[Row]:
    """`--help` and `status` on the demo, each beside importing click."""
    help_time = median_of(7, [sys.executable, "-m", "cocrec", "--help"])
    click_time = median_of(7, [sys.executable, "-c", "import click"])
    return [
        ("`cocrec --help`", help_time, '`python -c "import click"`', click_time, "help"),
        status_on_the_demo(),
    ]


def status_on_the_demo(runs: int = 9) -> Row:
    """`cocrec status` on the demo repository (README quick start) beside importing click, each the
    best of `runs`, taken in turn: start-up is what a member waits for here."""
    demo = Path(__file__).resolve().parent.parent
    status = [
        sys.executable,
        "-m",
        "cocrec",
        "-C",
        str(demo),
        "-i",
        str(demo / "examples" / "demo-identities" / "ada.txt"),
        "status",
        "--as-of",
        "2026-12-01",
    ]
    ours, click = [], []
    for _ in range(runs):
        ours.append(timed(status, ok=(0, 1)))
        click.append(timed([sys.executable, "-c", "import click"]))
    return (
        "`cocrec status` (the demo)",
        min(ours),
        '`python -c "import click"`',
        min(click),
        "status",
    )


SYLLABLES = [
    "ka",
    "ri",
    "mo",
    "sen",
    "ta",
    "lu",
    "vi",
    "na",
    "dor",
    "el",
    "phi",
    "ga",
    "ron",
    "be",
    "sa",
    "to",
    "mi",
    "ul",
    "ha",
    "zen",
    "ko",
    "li",
    "an",
    "dra",
    "pe",
    "is",
    "ve",
    "jo",
    "nu",
    "ce",
]


def stranger_name(rng: random.Random) -> str:
    """An invented name from syllables: a stranger, unlike the reported people's names (as most of a
    real list is)."""

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

    return f"{word()} {word()}"


def attendee_list(path: Path, records: int, count: int, strangers: bool = True) -> Path:
    """A list as organisers send it: mostly people nobody reported (with `strangers`, varied invented
    names; without, names made of the reported people's first and last names, so that every row
    resembles someone), some who were, and names written another way ("Last, First")."""
    rng = random.Random(7)
    people = max(records // 3, 1)
    lines = ["name,email"]
    for n in range(count):
        if n % 10 == 0:
            person = rng.randrange(people)
            lines.append(f"{invented_name(person)},person{person}@example.org")
        elif n % 10 == 1:
            first, last = invented_name(rng.randrange(people)).split(" ", 1)
            lines.append(f'"{last}, {first}",someone{n}@example.net')
        elif strangers:
            lines.append(f"{stranger_name(rng)},attendee{n}@example.net")
        else:
            other = rng.randrange(10_000, 1_000_000)
            lines.append(f"{invented_name(other)} {chr(65 + other % 26)}.,attendee{n}@example.net")
    path.write_text("\n".join(lines) + "\n")
    return path


def fast_paths(root: Path, identity: Path) -> list[str]:
    """Each of cocrec's own fast paths beside the library path it stands in for (its reference, which a
    property test holds it to), timed in this process on the repository's files: best of three."""
    import yaml

    from cocrec import crypto, index, schema, yaml_io

    identities = crypto.load_identities([identity], lambda _: "")
    ciphertexts = [path.read_bytes() for path in sorted((root / "records").glob("*.yaml.age"))]
    texts = [crypto.decrypt(data, identities, "r").decode() for data in ciphertexts]
    docs = [yaml_io.loads(text, "r") for text in texts]
    index_bytes = (root / "records" / "index.yaml").read_bytes()

    def best(work: Any) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return min(times)

    pairs = [
        (
            "YAML documents",
            "node builder",
            lambda: [yaml_io._load(t) for t in texts],
            "PyYAML's constructor",
            lambda: [yaml.load(t, Loader=yaml_io._Loader) for t in texts],
        ),
        (
            "records/index.yaml",
            "template reader",
            lambda: index._parse_plain(index_bytes.decode()),
            "YAML loader",
            lambda: index.Index._parse_yaml(index_bytes, "i"),
        ),
        (
            "age headers",
            "quick reader",
            lambda: [crypto.recipient_stanzas(c) for c in ciphertexts],
            "careful reader",
            lambda: [crypto.header_recipients(c) for c in ciphertexts],
        ),
    ]
    lines = [f"Fast paths beside their references ({len(texts):,} records, one process):"]
    for what, name, fast, reference_name, reference in pairs:
        ours, theirs = best(fast), best(reference)
        lines.append(
            f"- {what}: {name} {_ms(ours)}, {reference_name} {_ms(theirs)} ({ours / theirs:.2f}x)"
        )
    check = schema.validator("record")
    lines.append(
        f"- record schema, jsonschema-rs: {_ms(best(lambda: [check.is_valid(d) for d in docs]))}"
    )
    return lines


def signatures(root: Path, identity: Path) -> list[str]:
    """What the trust design adds: signing every record's index entry (what a re-encrypting write
    does) and verifying every signature with no memory of earlier checks (a fresh clone, or CI),
    timed in this process; set them beside `members add` and `check` above."""
    from cocrec import crypto, index, trust

    key = crypto.load_identities([identity], lambda _: "").signing_keys[0]
    idx = index.Index.parse((root / "records" / "index.yaml").read_bytes(), "records/index.yaml")
    tf = trust.parse((root / "trust.yaml").read_bytes())
    repo = tf.root
    assert repo is not None
    entries = list(idx.entries.values())
    start = time.perf_counter()
    signed = [trust.sign_entry(entry, repo, key) for entry in entries]
    signing = time.perf_counter() - start
    verifier = trust.Verifier()
    start = time.perf_counter()
    assert all(verifier.signer(e.sig, e.message(repo)) for e in signed)
    verifying = time.perf_counter() - start
    start = time.perf_counter()
    assert all(verifier.signer(e.sig, e.message(repo)) for e in signed)
    remembered = time.perf_counter() - start
    return [
        f"Signatures ({len(entries):,} index entries, one process):",
        f"- signing every entry: {_ms(signing)}",
        f"- verifying every signature, nothing remembered (a fresh clone, CI): {_ms(verifying)}",
        f"- verifying again, as this clone remembers them: {_ms(remembered)}",
    ]


def table(rows: Sequence[Row], records: int, member_count: int) -> str:
    lines = [
        f"{records:,} records, {member_count} members (+1 joining), {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "",
        "| operation | cocrec | floor | floor time | ratio | target |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for what, ours, floor_name, floor_time, target in rows:
        ratio = f"{ours / floor_time:.2f}x" if ours is not None and floor_time else ""
        goal = f"{TARGETS[target]}x" if target else ""
        if target and ours is not None and floor_time and ours / floor_time > TARGETS[target]:
            goal += " (missed)"
        lines.append(
            f"| {what} | {_s(ours)} | {floor_name} | {_s(floor_time)} | {ratio} | {goal} |"
        )
    age = next((r for r in rows if r[2].startswith("`age`")), None)
    if age is not None and age[3] and rows[0][1]:
        lines += [
            "",
            f"The age CLI loop takes {age[3] / rows[0][1]:.1f}x as long as `members add`.",
        ]
    return "\n".join(lines)


def _s(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.2f} s"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["_floor"]:
        floor(args[1], args[2], args[3], args[4:])
        return 0
    if args[:1] == ["_peak"]:
        return _peak(args[1], args[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--records",
        type=int,
        nargs="+",
        default=[1000],
        help="how many records (several: one table each, from one run)",
    )
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument(
        "--no-age", action="store_true", help="skip the age CLI loop (slow: two processes per file)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="best of this many runs of each timing (default 1)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp directory and print where it is"
    )
    parser.add_argument(
        "--keys",
        choices=["ssh-ed25519", "x25519"],
        nargs="+",
        default=["ssh-ed25519"],
        help="the members' key kind (both: one table each)",
    )
    parser.add_argument(
        "--start-up",
        action="store_true",
        help="time only `--help` and `status` on the demo (no records made)",
    )
    options = parser.parse_args(args)
    byte_compile()
    if options.start_up:
        print(table(start_up(), 0, 0))
        return 0
    for count in options.records:
        for kind in options.keys:
            run_one(options, count, kind)
    return 0


def run_one(options: argparse.Namespace, records: int, kind: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="cocrec-bench-"))
    try:
        rows = measure(base, records, options.members, options.no_age, max(options.repeat, 1), kind)
        print(f"\n## {records:,} records, {kind} keys\n")
        print(table(rows, records, options.members))
        check, floor_peak = PEAKS[records, kind]
        print(
            f"\n`check`'s peak memory (its largest process): {check / 2**20:.0f} MiB "
            f"(the floor's: {floor_peak / 2**20:.0f} MiB; target: under 100 MiB at 10,000 records)"
        )
        print("\n" + "\n".join(fast_paths(base / "records-repo", base / "m1.txt")))
        print("\n" + "\n".join(signatures(base / "records-repo", base / "m1.txt")))
    finally:
        if options.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
