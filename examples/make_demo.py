"""Build the demo committee's records repository that ships with cocrec.

DEMO ONLY: the identities written under examples/demo-identities/ are
published with the source code, so they protect nothing. Every person in the
demo records is invented (example.org).

    python3 examples/make_demo.py            # rebuild the demo at the project root
    python3 examples/make_demo.py --into DIR # or build it somewhere else

It runs the real cocrec commands (init, members add, new, expunge), so the
demo is exactly what a committee would have after a couple of years.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cocrec import crypto, yaml_io
from cocrec.cli import cli

AS_OF = "2026-12-01"  # the date the README's quick start uses
HERE = Path(__file__).resolve().parent
MEMBERS = [("ada", "Ada Demo"), ("ben", "Ben Demo"), ("chidi", "Chidi Demo")]
PROJECT_FILES = [
    "README.md",
    "pyproject.toml",
    ".pre-commit-hooks.yaml",
    ".ci/**",
    ".github/**",
    "benchmarks/**",
    "cocrec/**",
    "examples/**",
    "tests/**",
]
INVENTED = ["examples/**", "tests/**", "benchmarks/**"]
SHIPPED = ["cocrec.yaml", "members.yaml", "trust.yaml", "records", ".gitattributes"]

NOTICE = """# Demo identities: DEMO ONLY

These ssh-ed25519 private keys are published with cocrec's source code, so they protect nothing.
They open (and sign) the demo committee's invented records in this repository. Never use them for
real records: make your own with `cocrec keygen`.
"""


def reporter(name: str, email: str, kind: str = "public") -> dict[str, Any]:
    return {"kind": kind, "name": name, "contact": email}


def person(name: str, email: str, *usernames: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "emails": [email]}
    if usernames:
        data["usernames"] = list(usernames)
    return data


def closed(kind: str, decided_on: str, summary: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": kind, "decided_on": decided_on}
    if kind in ("flagged", "banned"):
        data["recommendations"] = extra.pop(
            "recommendations", "Organisers should keep an eye on interactions at social events."
        )
    data["shareable_summary"] = summary
    data.update(extra)
    return data


def record(rid: str, reported_on: str, region: str, event: str, **fields: Any) -> dict[str, Any]:
    # The committee answers each reporter on the day a report arrives (deadlines.acknowledge), unless said otherwise.
    acknowledged = fields.pop("acknowledged_on", reported_on)
    doc: dict[str, Any] = {
        "id": rid,
        "schema_version": 1,
        "reported_on": reported_on,
        "acknowledged_on": acknowledged,
        "event": event,
        "region": region,
    }
    doc.update(fields)
    doc.setdefault("action_by_committee", {"taken": False})
    doc.setdefault("action_by_local_rep", {"taken": False})
    return doc


def demo_records() -> list[dict[str, Any]]:
    morgan = person("Morgan Vale", "morgan.vale@example.org", "github:mvale")
    return [
        record(
            "2024-q3m1",
            "2024-05-02",
            "europe",
            "Example Conf Europe 2024",
            categories=["harassment"],
            channel="event-staff",
            reporter=reporter("Rita Ortega", "rita@example.org"),
            subjects=[person("Tom Brandt", "tom.brandt@example.org")],
            summary="Tom Brandt made repeated unwelcome comments to a volunteer at the registration desk.\n",
            action_by_committee={
                "taken": True,
                "description": "Spoke with the subject, who apologised.",
            },
            outcome=closed(
                "resolved",
                "2024-05-20",
                "Unwelcome comments to a volunteer; the person apologised.\n",
            ),
        ),
        record(
            "2024-w8ka",
            "2024-09-10",
            "online",
            "Community forum",
            categories=["inappropriate-content"],
            channel="online-moderators",
            reporter=reporter("Lee Park", "lee.park@example.org"),
            subjects=[person("Dana Frost", "dana@example.org", "forum:dfrost")],
            summary="A post by dana@example.org was reported as offensive; on review it quoted a news article.\n",
            outcome=closed(
                "no-violation",
                "2024-09-15",
                "The reported post did not break the code of conduct.\n",
            ),
        ),
        record(
            "2024-r2df",
            "2024-06-01",
            "north-america",
            "Example Conf US 2024",
            categories=["harassment", "unwanted-contact"],
            channel="email",
            reporter=reporter("Nia Brooks", "nia@example.org", "official"),
            subjects=[person("Rex Hollow", "rex.hollow@example.org", "github:rexh")],
            summary="Rex Hollow followed an attendee to their hotel after being asked to stop.\n",
            action_by_committee={"taken": True, "description": "Informed the subject of the ban."},
            action_by_local_rep={"taken": True, "description": "Removed the subject's badge."},
            outcome=closed(
                "banned",
                "2024-06-20",
                "Followed an attendee after being asked to stop. Banned from events for a year.\n",
                ban={"until": "2025-06-30"},
                recommendations="Not to attend any event until the ban ends.",
            ),
        ),
        record(
            "2025-b7nc",
            "2025-03-03",
            "europe",
            "Example Sprint 2025",
            categories=["disruptive-behaviour"],
            channel="email",
            reporter=reporter("Omar Haddad", "omar@example.org"),
            subjects=[morgan],
            summary="Morgan Vale shouted at sprint participants and refused to follow the organisers' requests.\n",
            action_by_committee={
                "taken": True,
                "description": "Emailed the subject; the reply did not acknowledge the problem.",
            },
            outcome=closed(
                "flagged",
                "2025-03-20",
                "Disruptive behaviour at a sprint; did not acknowledge the concern.\n",
                recommendations="May attend; organisers should brief staff and have a conversation beforehand.",
            ),
        ),
        record(
            "2026-c4ht",
            "2026-04-10",
            "europe",
            "Example Conf Europe 2026",
            categories=["harassment"],
            channel="event-staff",
            reporter=reporter("Ines Moreau", "ines@example.org"),
            subjects=[person("M. Vale", "mvale.alt@example.org", "github:MVale")],
            summary="A participant using the handle github:MVale made demeaning remarks during a talk Q&A.\n",
            action_by_committee={
                "taken": True,
                "description": "Spoke with the subject after the session.",
            },
            outcome=closed(
                "resolved",
                "2026-04-30",
                "Demeaning remarks during a Q&A; addressed with the person.\n",
            ),
        ),
        record(
            "2025-h9pe",
            "2025-02-14",
            "online",
            "Community chat",
            categories=["harassment"],
            channel="online-moderators",
            reporter=reporter("Yuki Tan", "yuki@example.org"),
            subjects=[],
            summary="Anonymous accounts posted slurs in the community chat during a live stream.\n",
            action_by_local_rep={
                "taken": True,
                "description": "Moderators removed the messages and locked the channel.",
            },
            outcome=closed(
                "unidentified",
                "2025-02-20",
                "Slurs posted by accounts that could not be identified.\n",
            ),
        ),
        record(
            "2025-m3xa",
            "2025-10-01",
            "online",
            "Online meetup",
            categories=["unwanted-contact"],
            channel="email",
            acknowledged_on="2025-10-02",
            reporter=reporter("Kai Ng", "kai@example.org"),
            subjects=[person("Sid Arnell", "sid@example.org")],
            summary="Sid Arnell sent repeated private messages after being asked to stop.\n",
            action_by_committee={
                "taken": True,
                "description": "Asked the subject to stop contacting the reporter.",
            },
            outcome=closed(
                "resolved", "2025-10-20", "Unwanted private messages; the person agreed to stop.\n"
            ),
        ),
        record(
            "2024-t6gq",
            "2024-08-01",
            "asia",
            "Example Conf Asia 2024",
            categories=["discrimination"],
            channel="email",
            reporter={"kind": "private"},
            handled_by="ben",
            subjects=[person("Gale Wren", "gale@example.org")],
            summary="Gale Wren excluded a speaker from a panel on the basis of nationality.\n",
            action_by_committee={
                "taken": True,
                "description": "Discussed with the subject and the organisers.",
            },
            outcome=closed("flagged", "2024-09-01", "Discriminatory exclusion of a speaker.\n"),
            retention={
                "hold": {
                    "reason": "appeal pending",
                    "since": "2026-10-01",
                    "review_on": "2027-01-15",
                }
            },
        ),
        record(
            "2026-j5vb",
            "2026-11-10",
            "europe",
            "Example Conf Europe 2026",
            categories=["harassment"],
            channel="email",
            acknowledged_on="2026-11-11",
            unilateral_action={"taken_on": "2026-11-10", "reviewed_on": "2026-11-11"},
            reporter=reporter("Ava Lind", "ava@example.org"),
            subjects=[person("Pat Quill", "pat.quill@example.org")],
            summary="Pat Quill is reported to have touched an attendee without consent at the conference party.\n",
        ),
        record(
            "2026-n1kz",
            "2026-02-01",
            "africa",
            "Example Summit 2026",
            categories=["harassment", "unwanted-contact"],
            channel="event-staff",
            reporter=reporter("Zola Mbeki", "zola@example.org", "official"),
            subjects=[person("Vic Stone", "vic@example.org", "github:vstone")],
            summary="Vic Stone assaulted an attendee.\n",
            action_by_committee={
                "taken": True,
                "description": "Informed the subject of a permanent ban.",
            },
            action_by_local_rep={
                "taken": True,
                "description": "Venue security escorted the subject out.",
            },
            outcome=closed(
                "banned",
                "2026-03-01",
                "Physical assault of an attendee. Permanently banned.\n",
                ban={"permanent": True},
                recommendations="Must not attend any community event.",
            ),
        ),
        record(
            "2026-p8sw",
            "2026-09-01",
            "oceania",
            "Example Conf Oceania 2026",
            categories=["other"],
            channel="email",
            reporter=reporter("Ben Ito", "ben.ito@example.org"),
            subjects=[person("Lou Marsh", "lou@example.org")],
            summary="A joke in Lou Marsh's talk was reported; the committee found it did not target anyone.\n",
            outcome=closed("no-violation", "2026-09-10", "No violation found.\n"),
        ),
        record(
            "2026-x2cr",
            "2026-05-05",
            "latin-america",
            "Example Conf LatAm 2026",
            categories=["harassment"],
            channel="event-staff",
            reporter={"kind": "private"},
            handled_by="chidi",
            subjects=[person("Ray Cole", "ray.cole@example.org", "gitlab:rcole")],
            summary="Ray Cole made sexual comments to several attendees at the social event.\n",
            action_by_committee={"taken": True, "description": "Warned the subject in writing."},
            outcome=closed(
                "flagged",
                "2026-06-01",
                "Inappropriate comments at a social event.\n",
                recommendations="May attend talks; should not attend the evening social.",
            ),
        ),
        record(
            "2025-z4ym",
            "2025-07-07",
            "north-america",
            "Example Meetup 2025",
            categories=["disruptive-behaviour"],
            channel="event-staff",
            reporter=reporter("Eve Saar", "eve@example.org"),
            subjects=[person("Hal Dune", "hal@example.org")],
            summary="Hal Dune repeatedly interrupted speakers.\n",
            action_by_local_rep={
                "taken": True,
                "description": "The organisers spoke with the person.",
            },
            outcome=closed(
                "resolved", "2025-07-30", "Repeated interruptions; addressed by the organisers.\n"
            ),
        ),
    ]


def run(*args: str, identity: Path | None = None, input: str | None = None) -> str:
    argv = (["-i", str(identity)] if identity else []) + list(args)
    result = CliRunner().invoke(cli, argv, input=input)
    if result.exit_code != 0:
        sys.exit(f"demo: `cocrec {' '.join(args)}` failed: {result.output}")
    return result.stdout


def build(target: Path, identities: Path) -> None:
    identities.mkdir(parents=True, exist_ok=True)
    (identities / "README.md").write_text(NOTICE)
    keys = {}
    for member_id, _ in MEMBERS:
        path = identities / f"{member_id}.txt"
        if not path.exists() or "OPENSSH PRIVATE KEY" not in path.read_text():
            secret, _public = crypto.generate_identity(
                "ssh-ed25519"
            )  # an ssh key: it decrypts and signs
            path.write_text(secret)
            path.chmod(0o600)
        keys[member_id] = crypto.load_identities([path], lambda _: "").public_keys[0]
    ada = identities / "ada.txt"
    run("init", str(target))
    # The demo lives in cocrec's own source repository: the committee keeps the project's files there too.
    policy = target / "cocrec.yaml"
    files = "".join(f"  - {glob}\n" for glob in PROJECT_FILES)
    invented = "".join(f"  - {glob}\n" for glob in INVENTED)
    policy.write_text(
        policy.read_text().replace(
            "extra_files:\n  - README.md\n",
            f"extra_files:\n{files}invented_files:  # the demo's generator and the tests hold its invented people\n{invented}",
        )
    )
    for (
        member_id,
        name,
    ) in MEMBERS:  # ada first: she signs for herself (the trust root), then adds the others
        run(
            "-C",
            str(target),
            "members",
            "add",
            member_id,
            "--name",
            name,
            "--key",
            keys[member_id],
            "--since",
            "2024-01-01",
            identity=ada,
        )
    for doc in demo_records():
        run("-C", str(target), "new", "--from", "-", identity=ada, input=yaml_io.dumps(doc))
    run("-C", str(target), "expunge", "--as-of", AS_OF, "--yes", identity=ada)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--into", type=Path, help="Build the demo repository here (default: into the project root)."
    )
    args = parser.parse_args()
    identities = HERE / "demo-identities"
    if args.into:
        build(args.into.resolve(), identities)
        return
    project = HERE.parent
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "demo"
        build(built, identities)
        for name in SHIPPED:
            destination = project / name
            if destination.is_dir():
                shutil.rmtree(destination)
            elif destination.exists():
                destination.unlink()
            source = built / name
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, destination)
    print(
        f"demo rebuilt in {project}; try: cocrec -i examples/demo-identities/ada.txt status --as-of {AS_OF}"
    )


if __name__ == "__main__":
    main()
