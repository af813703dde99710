"""cocrec new --from FILE|-: add a record from a plaintext YAML file; prints its id."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

from .. import validate, yaml_io
from ..context import Context
from ..errors import EXIT_OK, UsageError, ValidationError
from ..repo import ID_PATTERN, new_record_id


def assign_id(doc: dict[str, Any], taken: frozenset[str], source: str) -> str:
    """Keep a given id when it is valid and unused, else make one from the report year."""
    given = doc.get("id")
    if isinstance(given, str) and ID_PATTERN.match(given) and given not in taken:
        return given
    reported = str(doc.get("reported_on", ""))
    if not (len(reported) >= 4 and reported[:4].isdigit()):
        raise ValidationError(source, "reported_on", "required: the date of the first report, as YYYY-MM-DD")
    return new_record_id(int(reported[:4]), taken)


def read_source(source: str) -> tuple[bytes, str]:
    if source == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"{source}: no such file; pass a plaintext record (YAML) or - for standard input")
    return path.read_bytes(), source


def add_record(ctx: Context, doc: Any, source: str) -> str:
    """Validate and write one new record; returns its id."""
    if not isinstance(doc, dict):
        raise ValidationError(source, "", "a record is a YAML mapping (id, reported_on, region, ...); see `cocrec new --help`")
    store = ctx.store
    with ctx.writing().writer():
        loaded = store.load()
        doc = dict(doc)
        doc["id"] = assign_id(doc, frozenset(ctx.repo.record_files()), source)
        doc.setdefault("schema_version", 1)
        errors = validate.record_errors(doc, source, store.policy, store.members, expected_id=doc["id"])
        if errors:
            raise errors[0]
        store.save([doc], loaded)
    return str(doc["id"])


def run(ctx: Context, from_file: Optional[str], yes: bool = False) -> int:
    ctx.yes = yes
    if from_file is None:
        from . import edit

        return edit.run_new(ctx)
    data, source = read_source(from_file)
    record_id = add_record(ctx, yaml_io.loads(data, source), source)
    ctx.out(record_id)
    return EXIT_OK
