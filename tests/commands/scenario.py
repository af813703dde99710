"""A committee's records across years, regions and outcomes, for stats, report, lookup, screen and export.

Every person here is invented (example.org). `PII` lists every identifying
string in these records, so a test can assert that none leaves where it must not.
"""

from __future__ import annotations

from typing import Any

from ..conftest import Cocrec, outcome, record

AS_OF = "2027-01-15"

REPORTER = {"kind": "public", "name": "Rita Reporter", "contact": "rita.reporter@example.org"}
FLORA = {
    "name": "Flora Fennimore",
    "emails": ["flora@example.org"],
    "usernames": ["github:florafen"],
    "urls": ["https://example.org/~flora"],
}
BRUNO = {
    "name": "Bruno Bannister",
    "emails": ["bruno@example.org"],
    "usernames": ["mastodon:brunob"],
}
ROSA = {"name": "Rosa Quartermain", "emails": ["rosa@example.org"]}
NORA = {"name": "Nora Vantongeren", "emails": ["nora@example.org"]}
PAULA = {"name": "Paula Pemberton", "emails": ["paula@example.org"], "usernames": ["github:paulap"]}
OTTO = {"name": "Otto Ostrowski", "emails": ["otto@example.org"]}
EDDIE = {"name": "Eddie Eckhardt", "emails": ["eddie@example.org"]}
OLGA = {"name": "Olga Oberlander", "emails": ["olga@example.org"]}
PEOPLE = (FLORA, BRUNO, ROSA, NORA, PAULA, OTTO, EDDIE, OLGA)

PII: tuple[str, ...] = (
    tuple(
        value
        for person in PEOPLE
        for value in (
            person["name"],
            *person.get("emails", []),
            *person.get("usernames", []),
            *person.get("urls", []),
        )
    )
    + tuple(word for person in PEOPLE for word in str(person["name"]).split())
    + (
        "Rita Reporter",
        "Rita",
        "rita.reporter@example.org",
        "florafen",
        "brunob",
        "paulap",
    )
)


def closed(kind: str, decided_on: str, summary: str, **extra: Any) -> dict[str, Any]:
    return outcome(kind, decided_on, shareable_summary=summary, **extra)


def add_all(repo: Cocrec) -> dict[str, str]:
    """Nine records, 2024 to 2026; returns their ids by letter."""
    docs = {
        # flagged, live until 2027-05-01; the summary names the subject and the reporter
        "A": record(
            reported_on="2025-02-10",
            region="europe",
            categories=["harassment"],
            reporter=REPORTER,
            subjects=[FLORA],
            summary="Flora Fennimore made repeated unwanted comments to Rita Reporter.\n",
            outcome=closed(
                "flagged",
                "2025-03-01",
                "Flora Fennimore (flora@example.org, @florafen) made repeated unwanted comments; Rita Reporter reported it.\n",
            ),
        ),
        # banned until 2027-09-01, private reporter, two categories, local action
        "B": record(
            reported_on="2025-09-01",
            region="north-america",
            categories=["discrimination", "unwanted-contact"],
            reporter={"kind": "private"},
            handled_by="alice",
            subjects=[BRUNO],
            summary="Bruno Bannister sent slurs.\n",
            action_by_local_rep={"taken": True, "description": "Venue staff removed him."},
            outcome=closed(
                "banned",
                "2025-10-01",
                "Bruno Bannister was banned for discriminatory remarks.\n",
                ban={"until": "2027-09-01"},
            ),
        ),
        "C": record(
            reported_on="2026-03-10",
            region="europe",
            categories=["harassment"],
            reporter=REPORTER,
            subjects=[ROSA],
            summary="Rosa Quartermain shouted at a volunteer.\n",
            outcome=closed(
                "resolved",
                "2026-04-01",
                "Rosa Quartermain apologised; see https://example.org/rosa-apology.\n",
            ),
        ),
        "D": record(
            reported_on="2026-05-05",
            region="online",
            categories=None,
            subjects=[NORA],
            summary="Nora was reported, wrongly.\n",
            action_by_committee={"taken": False},
            outcome=closed("no-violation", "2026-05-10", "No violation was found.\n"),
        ),
        # permanent ban, two subjects
        "E": record(
            reported_on="2026-06-04",
            region="europe",
            categories=["harassment"],
            reporter=REPORTER,
            subjects=[PAULA, OTTO],
            summary="Paula Pemberton and Otto Ostrowski harassed attendees.\n",
            outcome=closed(
                "banned",
                "2026-07-01",
                "Paula Pemberton and Otto Ostrowski (otto@example.org) were banned; reported by Rita Reporter.\n",
                ban={"permanent": True},
                recommendations="Do not admit Paula Pemberton; Otto Ostrowski neither.",
            ),
        ),
        # open case about Flora, by another of her identifiers in another case
        "F": record(
            reported_on="2026-08-01",
            region="europe",
            categories=["other"],
            reporter=REPORTER,
            subjects=[{"name": "Flora F.", "usernames": ["GitHub:FloraFen"]}],
            summary="Flora again?\n",
        ),
        "G": record(
            reported_on="2026-09-01",
            region="asia",
            categories=["harassment"],
            subjects=[],
            summary="Anonymous accounts harassed a speaker.\n",
            action_by_committee={"taken": False},
            outcome=closed(
                "unidentified", "2026-09-20", "The people responsible could not be identified.\n"
            ),
        ),
        # a temporary ban that ended before AS_OF
        "H": record(
            reported_on="2026-10-01",
            region="europe",
            categories=["disruptive-behaviour"],
            reporter=REPORTER,
            subjects=[EDDIE],
            summary="Eddie Eckhardt disrupted talks.\n",
            outcome=closed(
                "banned",
                "2026-10-10",
                "Eddie Eckhardt was banned from two events for disrupting talks.\n",
                ban={"until": "2026-12-01"},
            ),
        ),
        # flagged, but its subjects step fell due 2026-07-10: past retention as of AS_OF
        "I": record(
            reported_on="2024-05-01",
            region="europe",
            categories=["harassment"],
            reporter=REPORTER,
            subjects=[OLGA],
            summary="Olga Oberlander grabbed a microphone.\n",
            outcome=closed("flagged", "2024-05-10", "Olga Oberlander was flagged.\n"),
        ),
    }
    return {letter: repo.add(doc) for letter, doc in docs.items()}
