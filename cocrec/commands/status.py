"""cocrec status: the dashboard a member opens first: what needs attention now.

It decrypts every record (the retention schedule needs them all), so it
fails like any reading command when a record cannot be decrypted (exit 3) or
validated (exit 1); otherwise it exits 0 whatever it finds: `cocrec check` is
the gate. It shows record ids, step names, dates, states and counts, never a
value from inside a record, so it is safe to show on a projector.

`--format json` prints one object with these keys (stable):

- `as_of` (ISO date), `within_days` (30: the look-ahead), `records` (count),
  `members` (count of current members), `all_clear` (true when every list
  below is empty and `workspace_files` is 0);
- every object below that names a record has its `code_name` right after its `id` (null for a
  record that has none yet); the table shows it beside each id;
- `open_cases`: `[{id, reported_on, days_open, stale}]`, oldest first;
- `overdue`, `due`, `upcoming`: `[{id, step, due}]`, one object an expunge
  step (`step` is `reporter` or `subjects`): overdue, due today, and pending
  but due within `within_days` days;
- `held`: `[{id, step, due, held_by}]`, due steps an open case or a
  `retention.hold` keeps (`held_by`: record ids);
- `not_encrypted_to_members`: `[{id, reason}]`, `reason` one of
  `stale_recipients` (the index says it was encrypted to another member set),
  `changed_since_index` (the file's hash is not the one the index vouches
  for), `not_in_index`;
- `workspace_files`: how many plaintext files `cocrec open` left in workspace/;
- `holds_to_review`: `[{id, review_on}]`, holds whose review date has passed;
- `deadlines`: `[{id, kind, due, state}]`, the committee's deadlines (cocrec.deadlines: acknowledge,
  decide, review_unilateral) that are overdue, due today, or pending but due within `within_days`.
- `leftover_private_dirs`: `[path]`, private directories (plaintext) that killed cocrec
  processes left and that could not be removed;
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import checks, dates, deadlines, fsutil, output
from ..context import Context
from ..errors import EXIT_OK
from ..model import Record
from ..policy import Policy
from ..retention import ATTENTION, RecordSchedule, needs_listing, step_due_within
from ..views import with_code_name

WITHIN_DAYS = 30
REASONS: Mapping[checks.EncryptionState, str] = {
    "stale": "stale_recipients",
    "changed": "changed_since_index",
    "unindexed": "not_in_index",
}
REASON_CELLS = {
    "stale_recipients": "encrypted to another member set",
    "changed_since_index": "changed since the index was written",
    "not_in_index": "not in records/index.yaml",
}


@dataclass(frozen=True)
class OpenCase:
    id: str
    reported_on: dt.date
    days_open: int
    stale: bool


@dataclass(frozen=True)
class StepItem:
    id: str
    step: str
    due: dt.date | None
    held_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineItem:
    id: str
    kind: str
    due: dt.date
    state: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, computed from plain data (no I/O)."""

    as_of: dt.date
    records: int
    members: int
    open_cases: tuple[OpenCase, ...] = ()
    steps: Mapping[str, tuple[StepItem, ...]] = field(default_factory=dict)
    not_encrypted: tuple[tuple[str, str], ...] = ()
    workspace_files: int = 0
    holds_to_review: tuple[tuple[str, dt.date | None], ...] = ()
    deadlines: tuple[DeadlineItem, ...] = ()
    code_names: Mapping[str, str | None] = field(default_factory=dict)

    def named(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON object naming a record, with the record's code name after its id."""
        return with_code_name(data, self.code_names.get(str(data["id"])))

    def name_of(self, rid: str) -> str:
        return self.code_names.get(rid) or ""

    def deadline_list(self, state: str) -> tuple[DeadlineItem, ...]:
        return tuple(item for item in self.deadlines if item.state == state)

    leftover_dirs: tuple[str, ...] = ()

    def step_list(self, kind: str) -> tuple[StepItem, ...]:
        return self.steps.get(kind, ())

    @property
    def all_clear(self) -> bool:
        lists: tuple[tuple[object, ...], ...] = (
            self.open_cases,
            self.not_encrypted,
            self.holds_to_review,
        )
        lists += (self.deadlines, *self.steps.values())
        return not any(lists) and not self.workspace_files and not self.leftover_dirs


# -- the pure core ---------------------------------------------------------------


def open_cases(
    records: Mapping[str, Record], schedules: Mapping[str, RecordSchedule], as_of: dt.date
) -> tuple[OpenCase, ...]:
    chosen = [records[rid] for rid, s in schedules.items() if s.status == "open"]
    return tuple(
        OpenCase(r.id, r.reported_on, (as_of - r.reported_on).days, schedules[r.id].stale)
        for r in sorted(chosen, key=lambda r: (r.reported_on, r.id))
    )


def step_buckets(
    schedules: Mapping[str, RecordSchedule], as_of: dt.date, within: int
) -> dict[str, tuple[StepItem, ...]]:
    """Steps by what they need: overdue, due, held (rule 7's states), and upcoming (pending, due within `within`)."""
    buckets: dict[str, list[StepItem]] = {kind: [] for kind in (*ATTENTION, "upcoming")}
    for rid, sched in sorted(schedules.items()):
        if sched.steps is None or not needs_listing(sched, as_of, within):
            continue
        for name, step in sched.steps.items():
            kind = (
                step.state
                if step.state in ATTENTION
                else "upcoming"
                if step_due_within(step, as_of, within)
                else None
            )
            if kind is not None:
                buckets[kind].append(
                    StepItem(rid, name, step.due, sched.held_by if kind == "held" else ())
                )
    return {
        kind: tuple(sorted(items, key=lambda i: (i.due or dt.date.max, i.id)))
        for kind, items in buckets.items()
    }


def holds_to_review(
    records: Mapping[str, Record], schedules: Mapping[str, RecordSchedule]
) -> tuple[tuple[str, dt.date | None], ...]:
    due = [(rid, records[rid].hold) for rid, s in sorted(schedules.items()) if s.hold_needs_review]
    return tuple((rid, hold.review_on if hold else None) for rid, hold in due)


def deadline_items(
    records: Mapping[str, Record], policy: Policy, as_of: dt.date, within: int
) -> tuple[DeadlineItem, ...]:
    """The committee's deadlines that are late, due today or due within `within` days, soonest first."""
    items = [
        DeadlineItem(rid, status.kind, status.due, status.state)
        for rid, record in records.items()
        for status in deadlines.statuses(record, policy, as_of)
        if deadlines.needs_attention(status, as_of, within)
    ]
    return tuple(sorted(items, key=lambda i: (i.due, i.id, i.kind)))


def build(
    records: Mapping[str, Record],
    schedules: Mapping[str, RecordSchedule],
    encryption: Mapping[str, checks.EncryptionState],
    workspace_files: int,
    members: int,
    as_of: dt.date,
    policy: Policy,
    leftover_dirs: Sequence[str] = (),
    code_names: Mapping[str, str | None] = {},
) -> Dashboard:
    return Dashboard(
        as_of=as_of,
        records=len(records),
        members=members,
        open_cases=open_cases(records, schedules, as_of),
        steps=step_buckets(schedules, as_of, WITHIN_DAYS),
        not_encrypted=tuple(
            (rid, REASONS[state]) for rid, state in sorted(encryption.items()) if state != "current"
        ),
        workspace_files=workspace_files,
        holds_to_review=holds_to_review(records, schedules),
        deadlines=deadline_items(records, policy, as_of, WITHIN_DAYS),
        leftover_dirs=tuple(leftover_dirs),
        code_names=dict(code_names),
    )


# -- JSON -------------------------------------------------------------------------


def _step_json(item: StepItem, held: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "step": item.step, "due": dates.iso(item.due)}
    if held:
        data["held_by"] = list(item.held_by)
    return data


def to_json(board: Dashboard) -> dict[str, Any]:
    named = board.named
    return {
        "as_of": board.as_of.isoformat(),
        "within_days": WITHIN_DAYS,
        "records": board.records,
        "members": board.members,
        "all_clear": board.all_clear,
        "open_cases": [
            named(
                {
                    "id": c.id,
                    "reported_on": c.reported_on.isoformat(),
                    "days_open": c.days_open,
                    "stale": c.stale,
                }
            )
            for c in board.open_cases
        ],
        "overdue": [named(_step_json(i)) for i in board.step_list("overdue")],
        "due": [named(_step_json(i)) for i in board.step_list("due")],
        "held": [named(_step_json(i, held=True)) for i in board.step_list("held")],
        "upcoming": [named(_step_json(i)) for i in board.step_list("upcoming")],
        "not_encrypted_to_members": [
            named({"id": rid, "reason": reason}) for rid, reason in board.not_encrypted
        ],
        "workspace_files": board.workspace_files,
        "holds_to_review": [
            named({"id": rid, "review_on": dates.iso(day)}) for rid, day in board.holds_to_review
        ],
        "deadlines": [
            named({"id": i.id, "kind": i.kind, "due": i.due.isoformat(), "state": i.state})
            for i in board.deadlines
        ],
        "leftover_private_dirs": list(board.leftover_dirs),
    }


# -- the table ----------------------------------------------------------------------


def _grouped(
    items: Sequence[StepItem],
) -> list[tuple[str, str, dt.date | None, tuple[str, ...]]]:
    """One row per record and date: a record's two steps usually fall due together."""
    rows: dict[tuple[str, dt.date | None, tuple[str, ...]], list[str]] = {}
    for item in items:
        rows.setdefault((item.id, item.due, item.held_by), []).append(item.step)
    return [(rid, ", ".join(steps), due, held_by) for (rid, due, held_by), steps in rows.items()]


def _days(count: int) -> str:
    return f"{count} day" if abs(count) == 1 else f"{count} days"


def _section(title: str, count: int, unit: str, body: str, hint: str, extra: str = "") -> list[str]:
    lines = [f"{title} ({count} {unit}{'' if count == 1 else 's'}{extra})"]
    lines += ["  " + line for line in body.splitlines()] if body else []
    return lines + [f"  next: {hint}", ""]


def _last_cell(
    column: str, rid: str, due: dt.date | None, held_by: tuple[str, ...], as_of: dt.date
) -> str:
    if column == "held by":
        return ", ".join("its retention.hold" if holder == rid else holder for holder in held_by)
    return _days(abs((due - as_of).days)) if due else ""


def _step_table(board: Dashboard, items: Sequence[StepItem], column: str | None = None) -> str:
    """One row a record and date; `column` adds "late by", "in" (days) or "held by" (record ids)."""
    rows = []
    for rid, steps, due, held_by in sorted(
        _grouped(items), key=lambda row: (row[2] or dt.date.max, row[0])
    ):
        last = [_last_cell(column, rid, due, held_by, board.as_of)] if column else []
        rows.append((rid, board.name_of(rid), steps, dates.iso(due), *last))
    return output.table(["id", "code name", "steps", "due", *([column] if column else [])], rows)


def _expunge_sections(board: Dashboard) -> list[str]:
    lines: list[str] = []
    if overdue := board.step_list("overdue"):
        body = _step_table(board, overdue, "late by")
        lines += _section(
            "Expunge overdue",
            len(overdue),
            "step",
            body,
            "run `cocrec expunge` (preview with `cocrec expunge --dry-run`)",
        )
    if due := board.step_list("due"):
        lines += _section(
            "Expunge due today", len(due), "step", _step_table(board, due), "run `cocrec expunge`"
        )
    return lines


DEADLINE_HINT = (
    "record it with `cocrec edit ID` (acknowledged_on, the outcome, unilateral_action.reviewed_on)"
)


def _deadline_table(
    board: Dashboard, items: Sequence[DeadlineItem], column: str | None = None
) -> str:
    """One row a deadline; `column` adds "late by" or "in" (days)."""
    rows = [
        (
            i.id,
            board.name_of(i.id),
            i.kind,
            i.due.isoformat(),
            *([_days(abs((i.due - board.as_of).days))] if column else []),
        )
        for i in items
    ]
    return output.table(["id", "code name", "deadline", "due", *([column] if column else [])], rows)


def _deadline_sections(board: Dashboard) -> list[str]:
    lines: list[str] = []
    if missed := board.deadline_list("overdue"):
        body = _deadline_table(board, missed, "late by")
        lines += _section("Deadlines missed", len(missed), "deadline", body, DEADLINE_HINT)
    if today := board.deadline_list("due"):
        body = _deadline_table(board, today)
        lines += _section("Deadlines due today", len(today), "deadline", body, DEADLINE_HINT)
    return lines


def _upcoming_deadlines(board: Dashboard) -> list[str]:
    soon = board.deadline_list("pending")
    if not soon:
        return []
    body = _deadline_table(board, soon, "in")
    hint = "`cocrec due` lists every record's deadlines"
    return _section(f"Deadlines in the next {WITHIN_DAYS} days", len(soon), "deadline", body, hint)


def _repository_sections(board: Dashboard) -> list[str]:
    lines: list[str] = []
    if board.not_encrypted:
        body = output.table(
            ["id", "code name", "why"],
            [
                (rid, board.name_of(rid), REASON_CELLS[reason])
                for rid, reason in board.not_encrypted
            ],
        )
        lines += _section(
            "Not encrypted to the current members",
            len(board.not_encrypted),
            "record",
            body,
            "run `cocrec rekey` (list them with `cocrec rekey --check`)",
        )
    if board.workspace_files:
        lines += _section(
            "Plaintext left in workspace/",
            board.workspace_files,
            "file",
            "",
            "run `cocrec seal` to re-encrypt and remove it",
        )
    if board.leftover_dirs:
        body = "\n".join(board.leftover_dirs)
        hint = "check nothing there is yours to keep, then remove each with `rm -rf PATH`"
        title = "Plaintext left by killed cocrec commands"
        lines += _section(title, len(board.leftover_dirs), "folder", body, hint)
    if board.holds_to_review:
        body = output.table(
            ["id", "code name", "review on"],
            [(rid, board.name_of(rid), dates.iso(day)) for rid, day in board.holds_to_review],
        )
        lines += _section(
            "Holds due for review",
            len(board.holds_to_review),
            "record",
            body,
            "review each hold with `cocrec edit ID`: update or remove retention.hold",
        )
    return lines


def _open_section(board: Dashboard) -> list[str]:
    cases = board.open_cases
    if not cases:
        return []
    stale = sum(c.stale for c in cases)
    rows = [
        (
            c.id,
            board.name_of(c.id),
            c.reported_on.isoformat(),
            c.days_open,
            "stale" if c.stale else "",
        )
        for c in cases
    ]
    body = output.table(["id", "code name", "reported", "days open", ""], rows)
    return _section(
        "Open cases",
        len(cases),
        "case",
        body,
        "record the outcome with `cocrec edit ID`",
        f", {stale} stale" if stale else "",
    )


def _later_sections(board: Dashboard) -> list[str]:
    lines: list[str] = []
    if held := board.step_list("held"):
        body = _step_table(board, held, "held by")
        lines += _section(
            "Held expunge steps",
            len(held),
            "step",
            body,
            "decide the holding open case, or review the record's retention.hold",
        )
    if upcoming := board.step_list("upcoming"):
        body = _step_table(board, upcoming, "in")
        lines += _section(
            f"Falling due in the next {WITHIN_DAYS} days",
            len(upcoming),
            "step",
            body,
            "`cocrec due` shows the whole schedule",
        )
    return lines


def render_table(board: Dashboard) -> str:
    """Sections in order of urgency, each shown only when it has something."""
    day = board.as_of.isoformat()
    counts = f"{board.records} record(s), {board.members} member(s)"
    if board.all_clear:
        return f"All clear as of {day}: {counts}, nothing needs attention."
    lines = [f"cocrec status as of {day}: {counts}", ""]
    lines += _expunge_sections(board) + _deadline_sections(board) + _repository_sections(board)
    lines += _open_section(board) + _later_sections(board) + _upcoming_deadlines(board)
    return "\n".join(lines).rstrip("\n")


# -- the shell ------------------------------------------------------------------------


def run(ctx: Context, as_of: dt.date, fmt: str) -> int:
    store = ctx.store
    loaded = store.load()
    idx = store.read_index()
    encryption = {
        rid: checks.encryption_state(store, idx.entries.get(rid), item.file_sha, None)
        for rid, item in loaded.items()
    }
    for problem in checks.clone_warnings(ctx.repo):
        ctx.err(f"cocrec: warning: {problem}")
    records = {rid: item.record for rid, item in loaded.items()}
    leftovers = [str(item.path) for item in fsutil.leftover_private_dirs()]  # what the sweep left
    schedules = store.schedules(loaded, as_of)
    workspace, members = len(ctx.repo.workspace_files()), len(store.members.current)
    board = build(
        records,
        schedules,
        encryption,
        workspace,
        members,
        as_of,
        store.policy,
        leftovers,
        store.code_names(),
    )
    ctx.out(output.to_json(to_json(board)) if fmt == "json" else render_table(board))
    return EXIT_OK
