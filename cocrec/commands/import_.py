"""cocrec import FILE.csv [--mapping FILE] [--dry-run] [--yes]: the committee's spreadsheet in.

SPEC section 12.

The sheet is read, every row checked and turned into a record in memory
(cocrec.importing); nothing is written unless every row is valid, and then
only with --yes or a yes on a terminal. The records are written as any
other (validated, encrypted to the members, verified, the index rewritten).
The plaintext never touches the disk: the CSV is read into memory, and what
is printed names rows, ids, outcome types and dates, never a cell's text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import codenames, dates, importing, output, prompts, yaml_io
from ..context import Context
from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError, ValidationError
from ..repo import new_record_id
from ..store import Loaded

AFTERWARDS = (
    "Now delete {file}: it holds every report in plaintext, and cocrec keeps no copy of it. "
    "Exports linger: empty it from your Downloads folder and the trash, clear it from the "
    "browser's download history, and look in synced folders and backups. Once the committee "
    "has checked the records, delete the "
    "spreadsheet itself, with its version history."
)


def read_mapping(path: str | None) -> importing.ImportMapping:
    if path is None:
        return importing.ImportMapping()
    data = _read(path, "a mapping file (YAML)")
    try:
        doc = yaml_io.loads(data, path)
    except ValidationError as exc:
        raise UsageError(str(exc)) from None  # the mapping is command-line input: a usage error
    return importing.load_mapping(doc, path)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read it ({exc.strerror or 'unreadable'}): pass {what}"
        ) from None


def _due(day: dt.date | None) -> str:
    return day.isoformat() if day else "never"


def _notes(item: importing.Planned) -> str:
    notes = ["override: the sheet's date to expunge"] if item.override else []
    return "; ".join(notes + (["past its date: expunge it now"] if item.past_due else []))


def plan_table(plan: importing.Plan) -> str:
    rows = [
        (f"row {p.row}", p.id, p.outcome, _due(p.reporter_due), _due(p.subjects_due), _notes(p))
        for p in plan.new
    ]
    return output.table(["row", "new id", "outcome", "reporter due", "subjects due", "notes"], rows)


def _report_problems(ctx: Context, plan: importing.Plan, shown: str) -> int:
    for problem in plan.problems:
        ctx.err(f"cocrec: {problem.line(shown)}")
    ctx.err(
        f"cocrec: {shown}: {len(plan.problems)} problem(s); nothing was imported: "
        "fix them and run the import again"
    )
    return EXIT_USAGE


def _already(ctx: Context, plan: importing.Plan) -> None:
    if plan.already:
        listed = ", ".join(f"row {row} ({rid})" for row, rid in plan.already)
        ctx.out(f"Imported before, so not again: {listed}")


def _past_due(ctx: Context, new: Sequence[importing.Planned]) -> None:
    past = [p for p in new if p.past_due]
    if past:
        listed = ", ".join(f"row {p.row} ({p.id})" for p in past)
        ctx.out(
            f"Already past their date to expunge: {listed}. "
            "Run `cocrec expunge --dry-run`, then `cocrec expunge`."
        )


def _plan(
    ctx: Context, file: str, mapping_file: str | None, as_of: dt.date
) -> tuple[importing.Plan, dict[str, Loaded]]:
    mapping = read_mapping(mapping_file)
    sheet = importing.read_sheet(
        importing.decode(_read(file, "the CSV exported from the spreadsheet"), file), file, mapping
    )
    store = ctx.store
    loaded = store.load()
    taken = set(ctx.repo.record_files())

    def new_id(year: int) -> str:
        rid = new_record_id(year, taken)
        taken.add(rid)
        return rid

    existing = [item.record for item in loaded.values()]
    imported = importing.hashes_of({rid: item.doc for rid, item in loaded.items()})
    plan = importing.plan_import(
        sheet, mapping, store.policy, store.members, existing, imported, as_of, new_id
    )
    for note in plan.notes:
        ctx.err(f"cocrec: note: {file}: {note}")
    return plan, loaded


def run(
    ctx: Context,
    file: str,
    mapping_file: str | None,
    dry_run: bool,
    yes: bool,
    as_of: dt.date,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    """`confirm` asks on a terminal; None when there is none (then writing needs --yes)."""
    if not dry_run and as_of > dates.today():
        raise UsageError(
            "--as-of: after today; import writes records, and nothing is recorded "
            "as decided on a later date"
        )
    if dry_run:
        plan, _ = _plan(ctx, file, mapping_file, as_of)
        return _dry_run(ctx, plan, file)
    with ctx.writing(yes).writer():
        plan, loaded = _plan(ctx, file, mapping_file, as_of)
        if plan.problems:
            return _report_problems(ctx, plan, file)
        if not plan.new:
            _already(ctx, plan)
            ctx.out(f"Nothing to import from {file}: every row is already a record.")
            ctx.out(AFTERWARDS.format(file=file))
            return EXIT_OK
        ctx.out(plan_table(plan))
        count = len(plan.new)
        if not prompts.confirmed(
            confirm,
            f"Import {count} record(s), encrypted to the committee's members?",
            f"{count} record(s) are ready to import and nothing was written: "
            "pass --yes (there is no terminal to ask on)",
            yes,
        ):
            ctx.err("cocrec: import cancelled; nothing was written")
            return EXIT_PROBLEMS
        written = ctx.store.save([item.doc for item in plan.new], loaded)
        names = {item.id: ctx.store.signed_code_name(item.id) for item in plan.new}  # in row order
    for rid, name in names.items():
        if name is not None:
            ctx.err(f"cocrec: {codenames.made_line(rid, name)}")
    ctx.out(
        f"Imported {len(written)} record(s) from {file}; "
        "commit them (`git add records && git commit`)."
    )
    _already(ctx, plan)
    _past_due(ctx, plan.new)
    ctx.out(AFTERWARDS.format(file=file))
    return EXIT_OK


def _dry_run(ctx: Context, plan: importing.Plan, file: str) -> int:
    if plan.problems:
        return _report_problems(ctx, plan, file)
    if plan.new:
        ctx.out(plan_table(plan))
    _already(ctx, plan)
    _past_due(ctx, plan.new)
    ctx.out(
        f"Dry run: {len(plan.new)} record(s) would be imported "
        "(new ids are drawn again on import); nothing was written."
    )
    return EXIT_OK
