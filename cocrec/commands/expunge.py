"""cocrec expunge: remove the personal data whose time is up (SPEC sections 3, 5 and 8).

Which steps: every step that is `due` or `overdue` as of --as-of (held,
pending, never and done steps are left alone), or, with ids, those of the
given records. A given id whose steps are all pending, never or held is
refused (exit 2, nothing changed): the only way to expunge before the term
is the committee's decision written as `retention.override`, which the
schedule already applies, so such a record is then simply due.

The plan is computed, every step verified (no removed value may occur
anywhere in the result) and validated before anything is written. It is
repeated until nothing more is due: expunging a subject can unlink records
that it alone tied to the same person, and their own dates may then be due
already, so a second run always finds nothing to do.

Expunging cannot be undone, so the ids and steps are listed and the member is asked on a
terminal; without a terminal `--yes` is needed (`--dry-run` only shows, and writes nothing).
The as-of date is never after today (cocrec.cli.write_date): done-dates are never in the future.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import drafts, git, message_check, output, prompts, redact, retention
from ..context import Context
from ..errors import EXIT_OK, CocrecError, RepoError, UsageError, ValidationError
from ..model import Record
from ..policy import Policy
from ..prompts import Confirm
from ..retention import RecordSchedule
from ..store import Loaded
from ..vocabulary import StepName

ACTIONABLE = ("due", "overdue")
Doc = dict[str, Any]


@dataclass(frozen=True)
class Done:
    """One step performed on one record."""

    id: str
    result: redact.StepResult


# -- the pure core --------------------------------------------------------------------------------


def actionable_steps(schedule: RecordSchedule) -> list[StepName]:
    return [name for name, step in (schedule.steps or {}).items() if step.state in ACTIONABLE]


def refusal(schedule: RecordSchedule) -> str | None:
    """Why an explicitly given record cannot be expunged now, or None when it can (or already is)."""
    if schedule.steps is None:
        return "an open case has no expunge steps: decide its outcome first"
    states = {step.state for step in schedule.steps.values()}
    if states & {"due", "overdue", "done"}:
        return None
    if "held" in states:
        return f"held by {', '.join(schedule.held_by)}: expunge waits until the hold ends (see `cocrec due`)"
    dues = ", ".join(f"{name} {_due_text(step.due)}" for name, step in schedule.steps.items())
    return f"not due yet ({dues}): to expunge earlier, record the committee's decision as retention.override"


def _due_text(due: dt.date | None) -> str:
    return f"due {due.isoformat()}" if due is not None else "never due"


def plan_steps(
    docs: Mapping[str, Doc], policy: Policy, as_of: dt.date, only: frozenset[str] | None = None
) -> tuple[dict[str, Doc], list[Done]]:
    """Every step to perform as of `as_of` (of `only`, when given), until nothing more is due."""
    current = dict(docs)
    done: list[Done] = []
    while True:
        schedules = retention.schedule(
            [Record.from_doc(doc) for doc in current.values()], policy, as_of
        )
        todo = {
            rid: actionable_steps(s)
            for rid, s in sorted(schedules.items())
            if only is None or rid in only
        }
        todo = {rid: steps for rid, steps in todo.items() if steps}
        if not todo:
            return current, done
        for rid, steps in todo.items():
            results = redact.apply_steps(current[rid], steps, as_of)
            current[rid] = results[-1].doc
            done += [Done(rid, result) for result in results]


def commit_message(
    done: Sequence[Done], as_of: dt.date, code_names: Mapping[str, str | None] = {}
) -> str:
    """Record ids, their code names and step names only: a commit message never names anyone (and the
    commit-msg hook knows this shape: cocrec.message_check)."""
    steps: dict[str, list[str]] = {}
    for item in done:
        steps.setdefault(item.id, []).append(item.result.step)
    return message_check.expunge_message(steps, as_of, code_names)


# -- the shell ------------------------------------------------------------------------------------


def run(
    ctx: Context,
    record_ids: list[str],
    as_of: dt.date,
    dry_run: bool,
    do_commit: bool,
    fmt: str,
    yes: bool = False,
    confirm: Confirm = lambda question: None,
) -> int:
    ctx.yes = yes
    repo = ctx.repo
    if dry_run:
        return _report(ctx, _prepare(ctx, record_ids, as_of)[1], as_of, dry_run, None, fmt)
    with ctx.writing().writer():
        if do_commit:
            _require_committable(ctx)
        loaded, done, after = _prepare(ctx, record_ids, as_of)
        if done and not yes:
            _confirm_plan(ctx, done, as_of, confirm)
        written = ctx.store.save([after[rid] for rid in sorted({d.id for d in done})], loaded)
        _drop_drafts(ctx, written)
        sha = None
        if do_commit and written:
            message = commit_message(done, as_of, ctx.store.code_names())
            sha = git.commit(repo.root, [repo.records_dir], message, env=_hook_env(ctx))
    return _report(ctx, done, as_of, dry_run, sha, fmt)


def _prepare(
    ctx: Context, record_ids: Sequence[str], as_of: dt.date
) -> tuple[dict[str, Loaded], list[Done], dict[str, Doc]]:
    """Load everything, check the given ids, plan and verify; raise before anything is written."""
    store = ctx.store
    ids = frozenset(store.resolve_all(record_ids)) if record_ids else None
    if ids:
        store.require(ids)
    loaded = store.load()
    store.tell_withheld(": what falls due in them is for a member who can open them")
    if ids:
        schedules = store.schedules(loaded, as_of)
        for rid in sorted(ids):
            reason = refusal(schedules[rid])
            if reason:
                raise UsageError(
                    f"{ctx.repo.rel(ctx.repo.record_path(rid))}: {reason}; nothing was changed"
                )
    after, done = plan_steps(
        {rid: item.doc for rid, item in loaded.items()}, store.policy, as_of, ids
    )
    for item in done:
        if item.result.leftover:
            source = ctx.repo.rel(ctx.repo.record_path(item.id))
            raise ValidationError(
                source,
                ", ".join(item.result.leftover),
                f"still holds a value the {item.result.step} step removes (held for the other step too?): "
                "edit the record so it is only where it belongs, then run expunge again; nothing was changed",
            )
    return loaded, done, after


def plan_lines(done: Sequence[Done]) -> list[str]:
    """`ID: step, step` for each record: ids and step names only."""
    steps: dict[str, list[str]] = {}
    for item in done:
        steps.setdefault(item.id, []).append(item.result.step)
    return [f"{rid}: {', '.join(names)}" for rid, names in sorted(steps.items())]


def _confirm_plan(ctx: Context, done: Sequence[Done], as_of: dt.date, confirm: Confirm) -> None:
    """Expunging cannot be undone: list what it does and ask on the terminal; without one, --yes is needed."""
    lines = plan_lines(done)
    for line in lines:
        ctx.err(f"  {line}")
    what = f"{len(done)} step(s) in {len(lines)} record(s)"
    if not prompts.confirmed(
        confirm,
        f"Expunge these {what} as of {as_of.isoformat()}? Personal data is removed for good",
        f"expunge: the {what} listed above remove personal data for good: run again with --yes to "
        "expunge them (--dry-run shows what each removes); nothing was changed",
    ):
        raise CocrecError("expunge cancelled; nothing was changed")


def _drop_drafts(ctx: Context, written: Sequence[str]) -> None:
    """This clone's kept edits of the expunged records hold what was just removed: they go too."""
    for rid in written:
        path = drafts.for_record(ctx.repo.git_dir, rid)
        if path is not None:
            drafts.discard(path)
            ctx.err(f"cocrec: {rid}: your kept edit of it is dropped: it held what was expunged")


def _require_committable(ctx: Context) -> None:
    repo = ctx.repo
    if not git.is_repo(repo.root):
        raise RepoError(
            f"{repo.root}: not a git repository: run without --commit, or `git init` first"
        )
    if git.has_changes(repo.root, "records"):
        raise RepoError(
            "records/: has uncommitted changes: commit them first (or run without --commit); nothing was changed"
        )


def _hook_env(ctx: Context) -> dict[str, str]:
    """The hooks this commit runs decrypt with the identity this command was given."""
    if not ctx.identity_flags:
        return {}
    return {"COCREC_IDENTITY": os.path.abspath(os.path.expanduser(ctx.identity_flags[0]))}


def _report(
    ctx: Context, done: Sequence[Done], as_of: dt.date, dry_run: bool, sha: str | None, fmt: str
) -> int:
    rows = [
        {
            "id": d.id,
            "step": d.result.step,
            "removed": list(d.result.removed),
            "redacted": list(d.result.redacted),
        }
        for d in done
    ]
    if fmt == "json":
        ctx.out(
            output.to_json(
                {"as_of": as_of.isoformat(), "dry_run": dry_run, "steps": rows, "commit": sha}
            )
        )
        return EXIT_OK
    if not rows:
        ctx.out(f"Nothing to expunge as of {as_of.isoformat()}.")
        return EXIT_OK
    ctx.out(
        output.table(
            ["id", "step", "removed", "redacted"],
            [(r["id"], r["step"], r["removed"], r["redacted"]) for r in rows],
        )
    )
    records = len({d.id for d in done})
    verb = "Would expunge" if dry_run else "Expunged"
    ctx.out(
        f"{verb} {len(rows)} step(s) in {records} record(s) as of {as_of.isoformat()}"
        + (" (dry run: nothing changed)." if dry_run else ".")
    )
    if sha:
        ctx.out(f"Committed {sha[:12]}.")
    return EXIT_OK
