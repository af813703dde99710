"""A record a member typed (`new`, `edit`, `seal`): its id, every problem it has, and whether it is already there.

Shared by the commands that take a member's text, so that they agree on what is accepted:
the record's own rules (validate.record_errors), dates of what has happened that lie after
the command's as-of date, and the rules across records (each id once, each also_in naming a
record that exists), every problem named by the file the member knows (their input file, or
workspace/ID.yaml), never by the record file it would become.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import index, validate
from .errors import CocrecError, ValidationError
from .repo import ID_PATTERN, Repo, new_record_id
from .store import Loaded, Store

Doc = dict[str, Any]
_YEAR = re.compile(r"(19|20|21)[0-9]{2}-")


def as_record(doc: Any, source: str) -> Doc:
    if not isinstance(doc, dict):
        raise ValidationError(
            source, "", "a record is a YAML mapping (reported_on: ..., region: ..., ...): fix it"
        )
    return doc


def assign_id(doc: Mapping[str, Any], taken: frozenset[str] | set[str], as_of: dt.date) -> str:
    """Keep a given id when it is valid and unused, else make one from the report's year.

    A report date that is not a date yet gets an id of the as-of year: validation then refuses the record
    with every problem it has (among them the date), so that id is never written.
    """
    given = doc.get("id")
    if isinstance(given, str) and ID_PATTERN.fullmatch(given) and given not in taken:
        return given
    reported = doc.get("reported_on")
    year = int(reported[:4]) if isinstance(reported, str) and _YEAR.match(reported) else as_of.year
    return new_record_id(year, taken)


def problems(
    store: Store,
    doc: Doc,
    source: str,
    expected_id: str,
    others: Mapping[str, Loaded],
    as_of: dt.date,
) -> list[ValidationError]:
    """Every problem of a typed record: its own rules, dates after `as_of`, then the rules across records."""
    errors = validate.record_errors(
        doc, source, store.policy, store.members, expected_id=expected_id
    )
    errors += validate.future_errors(doc, source, as_of)
    return errors + collection_errors(store, {source: doc}, others)


def collection_errors(
    store: Store, docs: Mapping[str, Doc], others: Mapping[str, Loaded]
) -> list[ValidationError]:
    """Rules across records for `docs` (by the name the member knows them by) joined to the records not being replaced."""
    combined = {store.repo.rel(item.path): item.doc for item in others.values()}
    combined.update(docs)
    return validate.collection_errors(combined)


def refuse(ctx_err: Callable[[str], None], errors: Sequence[ValidationError], again: str) -> None:
    """Raise: one problem as its own line; several listed on stderr (`error: ...`, as `check` lists them), then one line."""
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    for error in errors:
        ctx_err(f"error: {error}")
    raise CocrecError(
        f"nothing was written: fix the {len(errors)} problems listed above, then {again}"
    )


def identical(doc: Mapping[str, Any], others: Mapping[str, Loaded]) -> str | None:
    """The id of a record that holds exactly `doc` but for its id (the same file added twice), if any."""
    mine = {key: value for key, value in doc.items() if key != "id"}
    for rid, item in sorted(others.items()):
        if {key: value for key, value in item.doc.items() if key != "id"} == mine:
            return rid
    return None


def changed_since(repo: Repo, expected: Mapping[str, str]) -> list[str]:
    """The ids whose ciphertext is no longer the one decrypted (sha256 of the file's bytes), or is gone."""
    changed = []
    for rid, sha in sorted(expected.items()):
        path = repo.record_path(rid)
        if not path.is_file() or index.sha256(path.read_bytes()) != sha:
            changed.append(rid)
    return changed


def others_than(store: Store, ids: set[str]) -> dict[str, Loaded]:
    """Every other record, decrypted and valid (they are needed to validate links and to rewrite the index)."""
    withheld = (
        store.withheld_ids()
    )  # not this member's to open: their signed entries are kept as they are
    return store.load(
        [rid for rid in store.repo.record_files() if rid not in ids and rid not in withheld]
    )
