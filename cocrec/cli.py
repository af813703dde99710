"""The command line: the only module that imports click. It parses options and dispatches.

Each command's work lives in cocrec/commands/<name>.py, a function that returns an exit code; each
click function below imports its module and calls it with keywords, so that type checkers and "find
usages" follow every call. Importing there, not here, keeps `cocrec --help` fast (pyrage,
jsonschema-rs and git load only when a command needs them). `main` maps every error to one line on
stderr and its exit code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import __version__, dates, output
from .errors import EXIT_INTERRUPTED, EXIT_REPO, EXIT_USAGE, CocrecError, UsageError
from .fsutil import Terminated, signals_as_interrupts
from .vocabulary import COUNT_BY, DEFAULT_PRESET, OUTCOME_TYPES, PRESETS, RECORD_STATUSES

if TYPE_CHECKING:
    from .context import Context

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class DateType(click.ParamType):  # type: ignore[type-arg]
    """A date typed on the command line: YYYY-MM-DD, in the years cocrec reads (cocrec.dates)."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dates.parse_bounded(str(value))
        except ValueError:
            self.fail(f"expected {dates.DATE_FORM}, {dates.RANGE}", param, ctx)


class WrittenDate(DateType):
    """A date that a writing command writes, or writes as of: never after today (`write_date`)."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        option = param.opts[0] if param is not None and param.opts else "--as-of"
        return write_date(super().convert(value, param, ctx), option)


DATE = DateType()
WRITTEN_DATE = WrittenDate()


def _today() -> dt.date:
    return dates.today()  # looked up when called: the date a command runs on, read once per option


def write_date(value: dt.date | None, option: str = "--as-of") -> dt.date:
    """The date a writing command writes or writes as of: today by default, never later (SPEC 8).

    Every date a command writes (its --as-of, --since, --on) passes through here, so that a date
    typed a year off cannot put done-dates, disclosures or memberships in the future. Commands that
    write only with some flag (`expunge` but for --dry-run, `screen --disclose`) call it themselves.
    """
    from .errors import UsageError

    now = dates.today()
    if value is not None and value > now:
        raise UsageError(
            f"{option} {value.isoformat()}: after today ({now.isoformat()}); a command that writes "
            "never writes a later date: give today or an earlier date"
        )
    return value or now


AS_OF_HELP = "Compute as of this date (YYYY-MM-DD); default today."


def as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of for a command that reads: any date, today by default."""
    return click.option("--as-of", type=DATE, default=_today, help=AS_OF_HELP)(func)


def writing_as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of for a command that writes: today by default, never a later date."""
    return click.option("--as-of", type=WRITTEN_DATE, default=_today, help=AS_OF_HELP)(func)


def format_option(choices: Sequence[str]) -> Decorator:
    """--format, from one of cocrec.output's sets of formats; the first is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def ask(question: str) -> bool | None:
    """Yes or no on the member's terminal (no unless they say yes); None without a terminal."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    return bool(click.confirm(question, default=False, err=True))


def ask_resume(question: str) -> bool | None:
    """Whether to resume kept typing: yes unless the member says no (no discards it); None without a terminal."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    return bool(click.confirm(question, default=True, err=True))


def _confirm(question: str) -> bool:
    """Yes or no on the member's terminal; no terminal, no yes (then `--yes` is needed)."""
    return bool(ask(question))


def _always_ask(question: str) -> bool:
    """Yes or no, asked even without a terminal (an answer may be piped in)."""
    return bool(click.confirm(question, default=False, err=True))


def yes_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
    )(func)


NEW_KEYS_HELP = "Encrypt to member keys this clone has not accepted yet, without asking."


def draft_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--resume / --discard-draft: what to do with typing kept from a run that could not write it."""
    func = click.option(
        "--discard-draft",
        is_flag=True,
        help="Discard the text kept from an earlier run that could not write it.",
    )(func)
    return click.option(
        "--resume",
        is_flag=True,
        help="Continue the text kept from an earlier run that could not write it.",
    )(func)


def draft_choice(resume: bool, discard_draft: bool) -> bool | None:
    if resume and discard_draft:
        raise UsageError("--resume and --discard-draft: give one of them")
    return True if resume else False if discard_draft else None


def _context() -> Context:
    """The cocrec Context the group made from the global options."""
    context: Context = click.get_current_context().find_root().obj
    return context


class CocrecGroup(click.Group):
    """The top-level group: its `main` is the one error handler (CliRunner tests run it too)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)

        def call() -> Any:
            remove_leftovers()
            return super(CocrecGroup, self).main(
                argv, prog_name or "cocrec", complete_var, False, **extra
            )

        with cycle_collector_paused(), signals_as_interrupts():
            code = guarded(call, "--debug" in argv)
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=CocrecGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--repo",
    "-C",
    "repo",
    metavar="PATH",
    help="The records repository (default: the nearest parent holding cocrec.yaml).",
)
@click.option(
    "--identity",
    "-i",
    "identities",
    multiple=True,
    metavar="PATH",
    help="An identity file (repeatable); else COCREC_IDENTITY, else ~/.config/cocrec/identity.txt.",
)
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.version_option(__version__, prog_name="cocrec")
@click.pass_context
def cli(
    click_ctx: click.Context, repo: str | None, identities: tuple[str, ...], debug: bool
) -> None:
    """Encrypted, retention-aware incident records for Code of Conduct committees."""
    from .context import Context

    click_ctx.obj = Context(repo_flag=repo, identity_flags=identities, debug=debug)


@cli.result_callback()
def _exit_code(code: int | None, **_options: Any) -> int:
    """A command's exit code; a reading command that left out an unsigned record exits 1."""
    return _context().exit_code(code or 0)


@cli.command()
@click.argument("path")
@click.option(
    "--policy",
    type=click.Choice(list(PRESETS)),
    default=DEFAULT_PRESET,
    show_default=True,
    help="The policy (cocrec.yaml) to start from.",
)
def init(path: str, policy: str) -> int:
    """Create a records repository at PATH (runs git init where needed)."""
    from .commands import init

    return init.run(_context(), path=path, policy=policy)


@cli.command()
@click.option(
    "--repin",
    is_flag=True,
    help="Pin the repository's current trust root in this clone, after showing it.",
)
@click.option("--yes", is_flag=True, help="With --repin: do not ask.")
def setup(repin: bool, yes: bool) -> int:
    """Configure this clone: git hooks in its git directory, the plaintext diff driver,
    index merges (idempotent)."""
    from .commands import setup

    return setup.run(_context(), repin=repin, yes=yes, confirm=_confirm)


@cli.command()
@click.option(
    "--output",
    "-o",
    metavar="PATH",
    help="Where to write the identity (default ~/.config/cocrec/identity.txt).",
)
@click.option("--passphrase", is_flag=True, help="Protect the identity file with a passphrase.")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["ssh-ed25519", "x25519"]),
    default="ssh-ed25519",
    show_default=True,
    help="ssh-ed25519 decrypts and signs; x25519 (a plain age key) only decrypts.",
)
def keygen(output: str | None, passphrase: bool, kind: str) -> int:
    """Make a new identity (private key, mode 0600) and print its public key."""
    from .commands import keygen

    def new_passphrase() -> str:
        asked = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)
        return str(asked)

    return keygen.run(
        _context(),
        output=output,
        passphrase=passphrase,
        ask_new_passphrase=new_passphrase,
        kind=kind,
    )


@cli.group()
def members() -> None:
    """List, add, clear or remove committee members (re-encrypts every record)."""


@members.command("list")
@format_option(output.LISTING)
def members_list(fmt: str) -> int:
    """List current and former members."""
    from .commands import members

    return members.run_list(_context(), fmt=fmt)


@members.command("add")
@click.argument("member_id", metavar="ID")
@click.option("--name", required=True, help="The member's name as the committee knows them.")
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="KEY",
    help="A public key: age1..., ssh-ed25519 or ssh-rsa (repeatable).",
)
@click.option("--since", type=WRITTEN_DATE, default=_today, help="Member since (default today).")
@click.option(
    "--identifier",
    "identifiers",
    multiple=True,
    metavar="X",
    help="The member's own email, username or url (repeatable): a record naming it is never encrypted to them.",
)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
def members_add(
    member_id: str,
    name: str,
    keys: tuple[str, ...],
    since: dt.date,
    identifiers: tuple[str, ...],
    yes: bool,
) -> int:
    """Add a member and re-encrypt every record so they can read all of them
    (with `access.onboarding: declare`, only the records written from now on until `members clear`)."""
    from .commands import members

    return members.run_add(
        _context(),
        member_id=member_id,
        name=name,
        keys=keys,
        since=since,
        yes=yes,
        identifiers=identifiers,
    )


@members.command("clear")
@click.argument("member_id", metavar="ID")
@click.option(
    "--conflicts",
    default="",
    metavar="ID,ID...",
    help="Earlier records the member declared a conflict with: they become recused from them.",
)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
def members_clear(member_id: str, conflicts: str, yes: bool) -> int:
    """Give a pending member (access.onboarding: declare) every earlier record but their conflicts."""
    from .commands import members

    ids = [part.strip() for part in conflicts.split(",") if part.strip()]
    return members.run_clear(_context(), member_id=member_id, conflicts=ids, yes=yes)


@members.command("remove")
@click.argument("member_id", metavar="ID")
@click.option(
    "--on", "on", type=WRITTEN_DATE, default=_today, help="Last day of membership (default today)."
)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
def members_remove(member_id: str, on: dt.date, yes: bool) -> int:
    """Remove a member and re-encrypt every record without their keys."""
    from .commands import members

    return members.run_remove(_context(), member_id=member_id, on=on, yes=yes)


@cli.command()
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only report records not encrypted to the current members (exit 1 if any).",
)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
@as_of_option
def rekey(check_only: bool, yes: bool, as_of: dt.date) -> int:
    """Re-encrypt the records that are not encrypted to the current members."""
    from .commands import rekey

    if not check_only:
        write_date(as_of)
    return rekey.run(_context(), check_only=check_only, yes=yes)


@cli.command()
@click.option(
    "--from",
    "from_file",
    metavar="FILE",
    help="Read the record from a YAML file (plaintext, or age-encrypted), or - for stdin.",
)
@writing_as_of_option
@click.option(
    "--yes",
    is_flag=True,
    help="Do not ask: make it even if the same record exists, and encrypt to member keys "
    "not accepted yet.",
)
@draft_options
def new(from_file: str | None, as_of: dt.date, yes: bool, resume: bool, discard_draft: bool) -> int:
    """Record a new incident; prints its id."""
    from .commands import new

    choice = draft_choice(resume, discard_draft)
    if choice is not None and from_file is not None:
        raise UsageError(
            "--resume and --discard-draft are for the editor (a new record typed there), not --from"
        )
    return new.run(
        _context(),
        from_file=from_file,
        as_of=as_of,
        yes=yes,
        confirm=ask,
        resume=choice,
        ask_resume=ask_resume,
    )


@cli.command("import")
@click.argument("file", metavar="FILE.csv")
@click.option(
    "--mapping",
    "mapping_file",
    metavar="FILE",
    help="A YAML file: columns to rename, cell texts to map, defaults, date_order.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what each row becomes (row, new id, outcome, dates) and write nothing.",
)
@click.option("--yes", is_flag=True, help="Write without asking (needed without a terminal).")
@as_of_option
def import_(file: str, mapping_file: str | None, dry_run: bool, yes: bool, as_of: dt.date) -> int:
    """Import the committee's spreadsheet (CSV), a record a row; nothing is written unless
    every row is valid."""
    from .commands import import_

    return import_.run(
        _context(),
        file=file,
        mapping_file=mapping_file,
        dry_run=dry_run,
        yes=yes,
        as_of=as_of if dry_run else write_date(as_of),
        confirm=_always_ask if sys.stdin is not None and sys.stdin.isatty() else None,
    )


@cli.command()
@click.argument("record_id", metavar="ID")
@click.option("--shareable", is_flag=True, help="Only what may be shared with event organisers.")
@as_of_option
@format_option(output.LISTING)
def show(record_id: str, shareable: bool, as_of: dt.date, fmt: str) -> int:
    """Show one record with its computed retention. ID is its id or its code name."""
    from .commands import show

    return show.run(_context(), record_id=record_id, as_of=as_of, only_shareable=shareable, fmt=fmt)


@cli.command()
@click.argument("record_id", metavar="ID")
@click.argument("member_ids", metavar="MEMBER...", nargs=-1)
@click.option(
    "--reason",
    metavar="TEXT",
    help="Why they are recused (confidential, encrypted with the record).",
)
@click.option(
    "--undo",
    is_flag=True,
    help="Remove the members from the record's recused list (they then see it).",
)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
@writing_as_of_option
def recuse(
    record_id: str,
    member_ids: tuple[str, ...],
    reason: str | None,
    undo: bool,
    yes: bool,
    as_of: dt.date,
) -> int:
    """Recuse members from a record (a conflict of interest): it is re-encrypted without their keys."""
    from .commands import recuse

    return recuse.run(
        _context(), record_id=record_id, member_ids=member_ids, reason=reason, undo=undo, yes=yes
    )


@cli.command("list")
@click.option("--status", type=click.Choice(RECORD_STATUSES))
@click.option("--outcome", type=click.Choice(OUTCOME_TYPES))
@click.option("--year", type=int, help="Year the report was received.")
@click.option("--subject", metavar="Q", help="A subject's name, email, username or url.")
@as_of_option
@format_option(output.LISTING)
def list_(
    status: str | None,
    outcome: str | None,
    year: int | None,
    subject: str | None,
    as_of: dt.date,
    fmt: str,
) -> int:
    """List records, one row each."""
    from .commands import list as list_command

    return list_command.run(
        _context(),
        as_of=as_of,
        status=status,
        outcome=outcome,
        year=year,
        subject=subject,
        fmt=fmt,
    )


@cli.command()
@click.option("--no-decrypt", is_flag=True, help="Check only what needs no key (for CI).")
@as_of_option
@format_option(output.LISTING)
def check(no_decrypt: bool, as_of: dt.date, fmt: str) -> int:
    """Check everything: records, index, recipients, overdue steps, stale cases.
    Exit 1 on any error."""
    from .commands import check

    return check.run(_context(), as_of=as_of, no_decrypt=no_decrypt, fmt=fmt)


@cli.command()
@click.argument("record_ids", nargs=-1, metavar="[ID...]")
@click.option(
    "--all", "show_all", is_flag=True, help="Every record, not only what needs attention."
)
@click.option(
    "--within",
    type=click.IntRange(0, 36500),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Also list steps falling due within DAYS.",
)
@as_of_option
@format_option(output.LISTING)
def due(record_ids: tuple[str, ...], show_all: bool, within: int, as_of: dt.date, fmt: str) -> int:
    """The retention schedule: overdue, due, held, and what falls due soon; with ID...
    (ids or code names), the whole schedule of those records."""
    from .commands import due

    return due.run(
        _context(), as_of=as_of, show_all=show_all, within=within, fmt=fmt, record_ids=record_ids
    )


@cli.group("trust")
def trust_group() -> None:
    """The repository's trust root, its signers, and its signatures for `ssh-keygen -Y verify`."""


@trust_group.command("show")
def trust_show() -> int:
    """Print the trust root (and whether this clone pinned it) and each current member's keys."""
    from .commands import trust

    return trust.run_show(_context())


@trust_group.command("export")
@click.argument("directory", metavar="DIR")
def trust_export(directory: str) -> int:
    """Write every signed statement and its OpenSSH signature to DIR, to check with
    `ssh-keygen -Y verify`."""
    from .commands import trust

    return trust.run_export(_context(), directory=directory)


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask.")
def adopt(yes: bool) -> int:
    """Review what no member signed (records, members.yaml, cocrec.yaml) and sign it as yours."""
    from .commands import adopt

    return adopt.run(_context(), yes=yes, confirm=_confirm)


@cli.command()
@writing_as_of_option
def index(as_of: dt.date) -> int:
    """Regenerate records/index.yaml."""
    from .commands import index

    return index.run(_context())


@cli.command()
@click.argument("record_id", metavar="ID")
@writing_as_of_option
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
@draft_options
def edit(record_id: str, as_of: dt.date, yes: bool, resume: bool, discard_draft: bool) -> int:
    """Edit a record (ID: its id or code name) in $VISUAL/$EDITOR; re-encrypts only if it changed."""
    from .commands import edit

    choice = draft_choice(resume, discard_draft)
    return edit.run(
        _context(), record_id=record_id, as_of=as_of, yes=yes, resume=choice, confirm=ask_resume
    )


@cli.command("open")
@click.argument("record_ids", nargs=-1, metavar="[ID...]")
@as_of_option
def open_(record_ids: tuple[str, ...], as_of: dt.date) -> int:
    """Decrypt records (default all; each ID an id or a code name) into the git-ignored
    workspace/ to edit them; then `cocrec seal`."""
    from .commands import open as open_command

    return open_command.run(_context(), record_ids=list(record_ids), as_of=as_of)


@cli.command()
@writing_as_of_option
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
def seal(as_of: dt.date, yes: bool) -> int:
    """Validate workspace/, re-encrypt what changed and remove the plaintext."""
    from .commands import seal

    return seal.run(_context(), as_of=as_of, yes=yes)


@cli.command()
@click.argument("record_ids", nargs=-1, metavar="[ID...]")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be removed (ids and field paths) and change nothing.",
)
@click.option(
    "--commit",
    "do_commit",
    is_flag=True,
    help="Commit the result (the message names ids and steps only).",
)
@yes_option
@as_of_option
@format_option(output.LISTING)
def expunge(
    record_ids: tuple[str, ...], dry_run: bool, do_commit: bool, yes: bool, as_of: dt.date, fmt: str
) -> int:
    """Remove personal data whose time is up: every due or overdue, non-held step
    (or those of ID..., each an id or a code name).

    Lists the ids and steps and asks on a terminal; without one, --yes is needed.
    """
    from .commands import expunge

    return expunge.run(
        _context(),
        record_ids=list(record_ids),
        as_of=as_of if dry_run else write_date(as_of),
        dry_run=dry_run,
        do_commit=do_commit,
        fmt=fmt,
        yes=yes,
        confirm=ask,
    )


@cli.command()
@click.argument("query")
@as_of_option
@format_option(output.LISTING)
def lookup(query: str, as_of: dt.date, fmt: str) -> int:
    """Is this person flagged or banned? Match a name, email, username or url."""
    from .commands import lookup

    return lookup.run(_context(), query=query, as_of=as_of, fmt=fmt)


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--column", metavar="NAME", help="The CSV column to match (default: detected).")
@click.option(
    "--disclose",
    metavar="TO",
    help="Record in each matched record that its shareable details went to TO.",
)
@as_of_option
@format_option(output.LISTING)
@click.option("--yes", is_flag=True, help=NEW_KEYS_HELP)
def screen(
    file: str, column: str | None, disclose: str | None, as_of: dt.date, fmt: str, yes: bool
) -> int:
    """Match an attendee or speaker list (CSV) against flagged and banned people."""
    from .commands import screen

    return screen.run(
        _context(),
        file=file,
        column=column,
        disclose=disclose,
        as_of=as_of if disclose is None else write_date(as_of),
        fmt=fmt,
        yes=yes,
    )


@cli.command()
@click.argument("query")
@as_of_option
@format_option(output.DOCUMENT)
def export(query: str, as_of: dt.date, fmt: str) -> int:
    """Everything held about one person (subject access request), others redacted."""
    from .commands import export

    return export.run(_context(), query=query, as_of=as_of, fmt=fmt)


@cli.command()
@click.option("--by", type=click.Choice(COUNT_BY), default=COUNT_BY[0], show_default=True)
@as_of_option
@format_option(output.STATISTICS)
def stats(by: str, as_of: dt.date, fmt: str) -> int:
    """Counts for the committee, from all records (expunged ones included)."""
    from .commands import stats

    return stats.run(_context(), by=by, as_of=as_of, fmt=fmt)


@cli.command()
@click.option("--year", type=int, required=True, help="The year reports were received.")
@as_of_option
@format_option(output.REPORT)
@click.option(
    "--with-summaries",
    is_flag=True,
    help="Add the year's shareable outcome summaries, redacted "
    "(left out by default: they can give suppressed counts back).",
)
def report(year: int, as_of: dt.date, fmt: str, with_summaries: bool) -> int:
    """The public transparency report for a year: counts only, small counts suppressed."""
    from .commands import report

    return report.run(_context(), year=year, as_of=as_of, fmt=fmt, with_summaries=with_summaries)


@cli.command()
@click.argument("file", metavar="FILE")
def textconv(file: str) -> int:
    """git diff driver: print a record's plaintext for a member."""
    from .commands import textconv

    return textconv.run(_context(), file=file)


@cli.group()
def hook() -> None:
    """What the git hooks run."""


@hook.command("pre-commit")
def hook_pre_commit() -> int:
    """Refuse plaintext, non-age files, invalid records and a stale index in the staged content."""
    from .commands import hook

    return hook.run_pre_commit(_context())


@hook.command("commit-msg")
@click.argument("file", metavar="FILE")
def hook_commit_msg(file: str) -> int:
    """Refuse a commit message naming anyone in the records."""
    from .commands import hook

    return hook.run_commit_msg(_context(), file=file)


@hook.command("merge-index")
@click.argument("base", metavar="BASE")
@click.argument("ours", metavar="OURS")
@click.argument("theirs", metavar="THEIRS")
def hook_merge_index(base: str, ours: str, theirs: str) -> int:
    """git merge driver of records/index.yaml: merge by record id into OURS;
    a conflict means `cocrec index`."""
    from .commands import hook

    return hook.run_merge_index(_context(), base=base, ours=ours, theirs=theirs)


@cli.group()
def history() -> None:
    """Find and rewrite earlier git versions of expunged records."""


@history.command("audit")
@format_option(output.LISTING)
def history_audit(fmt: str) -> int:
    """Report earlier versions of expunged records that still hold removed data (exit 1 if any)."""
    from .commands import history

    return history.run_audit(_context(), fmt=fmt)


@history.command("purge")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def history_purge(yes: bool) -> int:
    """Rewrite git history so earlier versions of expunged records hold no removed data."""
    from .commands import history

    return history.run_purge(_context(), yes=yes, confirm=_always_ask)


@cli.command()
@as_of_option
@format_option(output.LISTING)
def status(as_of: dt.date, fmt: str) -> int:
    """The dashboard: what needs attention now."""
    from .commands import status

    return status.run(_context(), as_of=as_of, fmt=fmt)


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a command runs (reference counting still frees memory).

    Reading many records allocates millions of containers and no cycles: the collector's full passes
    find nothing and only cost time; peak memory stays the same without them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def guarded(call: Callable[[], Any], debug: bool) -> int:
    """Run the command line: one error line and an exit code, a traceback only with --debug."""
    try:
        result = call()
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        signalled = exc if isinstance(exc, Terminated) else exc.__cause__  # click wraps it in Abort
        if isinstance(signalled, Terminated):
            said = f"stopped by {signalled}; nothing was half-written, no plaintext left behind"
            click.echo(f"cocrec: {said}", err=True)
            return 128 + signalled.signum
        click.echo("cocrec: interrupted; nothing was half-written", err=True)
        return EXIT_INTERRUPTED
    except CocrecError as exc:
        if debug:
            import traceback  # only with --debug: not worth importing on every run

            traceback.print_exc()
        for line in exc.details:
            click.echo(f"cocrec: {line}", err=True)
        click.echo(f"cocrec: {exc}", err=True)
        return exc.exit_code
    except OSError as exc:  # a read or write the disk refused, where no command said more: exit 4
        from .fsutil import io_failure

        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"cocrec: {io_failure(exc)}", err=True)
        return EXIT_REPO
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, no data
        if debug:
            import traceback

            traceback.print_exc()
        said = f"internal error ({type(exc).__name__}); run again with --debug and report it"
        click.echo(f"cocrec: {said}", err=True)
        return 1
    return result if isinstance(result, int) else 0


def remove_leftovers() -> None:
    """What killed cocrec commands left: removed, and said so (`status` lists what could not be)."""
    from . import fsutil

    removed, failed = fsutil.remove_leftovers()
    for item in removed:
        said = f"plaintext left by cocrec process {item.pid}, which was killed"
        click.echo(f"cocrec: removed {item.path}: {said}", err=True)
    for item in failed:
        said = f"plaintext left by killed cocrec process {item.pid}: remove it yourself"
        click.echo(f"cocrec: cannot remove {item.path}, {said}", err=True)


def entry() -> None:
    """The console script."""
    cli.main()
