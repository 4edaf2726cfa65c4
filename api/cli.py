"""The `points` command line."""
import os
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="points: payment-eligibility scoring (医保支付资格管理).", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
app.add_typer(import_app, name="import")
token_app = typer.Typer(help="API tokens and keys.", no_args_is_help=True)
app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console()


def _migrate() -> str:
    from api.db.migrate import upgrade
    from api.settings import get_settings

    url = get_settings().url
    if url.startswith("sqlite:///"):
        get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    return url


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema (Alembic migrations to head)."""
    url = _migrate()
    console.print(f"schema at head: {url.split('@')[-1]}")


@app.command()
def serve(host: str = typer.Option(None), port: int = typer.Option(None), reload: bool = False,
          workers: int = typer.Option(None, min=1, help="worker processes (default: the number of cores)")) -> None:
    """Run the HTTP API (uvicorn): N worker processes, each with its own eligibility snapshot."""
    import uvicorn

    from api.request_log import LOG_CONFIG
    from api.settings import get_settings

    settings = get_settings()
    # Every worker gets the same configuration. The parser itself stops at POINTS_MAX_HEADER_BYTES
    # (api/server.py), before a long head is buffered. No access log: the app writes one JSON line per request
    # from a thread (api/request_log.py), and uvicorn's own records go through the same thread.
    uvicorn.run("api.main:app", host=host or settings.host, port=port or settings.port, reload=reload,
                workers=1 if reload else workers or os.cpu_count() or 1, http="api.server:HeadCappedHttpTools",
                h11_max_incomplete_event_size=settings.max_header_bytes, access_log=False, log_config=LOG_CONFIG)


@app.command()
def scheduler(once: bool = typer.Option(False, help="take the lease, run every job whose period is not done, "
                                                    "release the lease and exit: 0 done, 1 a job failed, 3 another "
                                                    "scheduler holds the lease (nothing run)"),
              wait: bool = typer.Option(False, help="with --once: wait up to the lease's TTL (60 s) for another "
                                                    "scheduler's lease, then run (exit 3 if it is still held)")) -> None:
    """Run the scheduled jobs in this process. A second one started by mistake waits on standby."""
    from scheduler.main import run

    status = run(once=once, wait=wait)
    if status:
        raise typer.Exit(code=status)


@app.command()
def demo(people: int = typer.Option(300, min=60, help="how many practitioners")) -> None:
    """Load realistic demo data (once): institutions, practitioners, deductions reaching every threshold."""
    from api.clock import today_in_china
    from api.db.engine import unit_of_work
    from api.demo import demo_tokens, load_demo
    from api.policy import current_policy
    from api.private_files import write_private
    from api.settings import get_settings

    _migrate()
    with unit_of_work() as session:
        report = load_demo(session, current_policy(), today_in_china(), people)
        if report.institutions:
            tokens = demo_tokens(session, _key())
    if report.institutions == 0:
        console.print("demo data already present; nothing loaded")
        return
    console.print(f"loaded {report.institutions} institutions, {report.practitioners} practitioners, "
                  f"{report.records} point records")
    path = get_settings().data_dir / "demo-tokens.txt"  # a national supervisor's token: owner-only (0600)
    write_private(path, "".join(f"{who}\t{token}\n" for who, token in tokens))
    console.print(f"demo tokens (valid 30 days) written to {path}:")
    for who, token in tokens:
        console.print(f"  {who}: [bold]{token}[/bold]", soft_wrap=True)


@contextmanager
def _reported():
    """Domain and app errors end the command with `CODE: message` and exit status 2, not a traceback."""
    from points.errors import DomainError

    try:
        yield
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(code=2) from None


def _key() -> bytes:
    from api.auth.service import signing_key
    from api.settings import get_settings

    return signing_key(get_settings())


@token_app.command("issue")
def token_issue(role: str = typer.Option(..., help="supervisor | institution | practitioner | settlement"),
                scope: str = typer.Option(..., help="region code (000000 national), institution or person code"),
                name: str = typer.Option(..., help="who holds it; recorded as the actor of their changes"),
                days: float = typer.Option(30, min=0.001, max=3650, help="validity")) -> None:
    """Issue a bearer token (settlement systems send it as `X-API-Key` or `Authorization: Bearer`)."""
    from api.auth.service import issue_token
    from api.auth.tokens import Role
    from api.db.engine import unit_of_work

    try:
        parsed = Role(role)
    except ValueError:
        raise typer.BadParameter(f"role must be one of {', '.join(r.value for r in Role)}") from None
    with _reported(), unit_of_work() as session:
        token, row = issue_token(session, _key(), "cli", parsed, scope, name, days)
    console.print(f"token {row.id} for {name} ({row.role} {row.scope}), expires {row.expires_at:%Y-%m-%d %H:%M} UTC")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: str, reason: str = typer.Option(..., help="why; kept in the audit log")) -> None:
    """Revoke a token by its id (effective within seconds)."""
    from api.auth.service import revoke_token
    from api.db.engine import unit_of_work

    with _reported(), unit_of_work() as session:
        revoke_token(session, "cli", token_id, reason)
    console.print(f"token {token_id} revoked")


@token_app.command("list")
def token_list() -> None:
    """Issued tokens (the tokens themselves are not stored)."""
    from sqlalchemy import select

    from api.db.engine import unit_of_work
    from api.db.models import ApiToken

    with unit_of_work() as session:
        for t in session.scalars(select(ApiToken).order_by(ApiToken.issued_at)):
            state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
            console.print(f"{t.id}  {t.role:12} {t.scope:14} {state:20} {t.name}")


@audit_app.command("verify")
def audit_verify(head: list[str] | None = typer.Option(None, "--head", help="a checkpoint line kept by the "
                                                                          "operator (repeatable)")) -> None:
    """Check every entry's keyed hash, and the table against the newest checkpoint in the head file and any
    --head given. Exit 1 if any entry was edited, removed, inserted or rewritten without the key, if entries up
    to a checkpoint are missing or differ, or if entries are still unkeyed."""
    from api.audit_head import verify_log
    from api.db.engine import unit_of_work

    with unit_of_work() as session:
        report = verify_log(session, heads=tuple(head or ()))
    for note in report.notes:
        console.print(note, soft_wrap=True)
    for failure in report.failures:
        console.print(f"[red]FAIL[/red] {failure}", soft_wrap=True)
    if not report.ok:
        raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head and append it to the head file (POINTS_AUDIT_HEAD_FILE); print it to keep elsewhere."""
    from api.audit_head import checkpoint, head_file
    from api.db.engine import unit_of_work

    with unit_of_work() as session:
        point, written = checkpoint(session)
    console.print(f"{'appended to' if written else 'already the newest line of'} {head_file()}:")
    print(point.line())


@audit_app.command("reseal")
def audit_reseal(reason: str = typer.Option("", help="why; kept in the audit log")) -> None:
    """Re-chain entries written before the audit key under it (once they have been checked), then checkpoint.
    Refused, exit 1, when the chain is broken."""
    from api.audit import reseal
    from api.audit_head import checkpoint
    from api.db.engine import unit_of_work
    from api.errors import Conflict

    try:
        with unit_of_work() as session:
            checked = reseal(session, "cli", reason)
    except Conflict as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(code=1) from None
    if not checked.unkeyed:
        console.print(f"nothing to reseal: all {checked.entries} entries are keyed")
        return
    with unit_of_work() as session:
        point, _ = checkpoint(session)
    console.print(f"resealed {checked.entries} entries ({checked.unkeyed} were unkeyed); earlier checkpoints no "
                  "longer match, the new head is:")
    print(point.line())


@audit_app.command("show")
def audit_show(person: str = typer.Option(..., help="the person's code"),
               limit: int = typer.Option(100, min=1, max=1000, help="newest entries to show")) -> None:
    """A person's history, newest first: when, who, what, before → after, why."""
    from rich.table import Table

    from api.audit_history import describe_change, person_history
    from api.db.engine import unit_of_work
    from api.ledger.service import get_practitioner

    with _reported(), unit_of_work() as session:
        code = get_practitioner(session, person).code
        items, more = person_history(session, code, limit, None)
    table = Table(title=f"history of {code}")
    for name in ("at (UTC)", "actor", "action"):
        table.add_column(name, no_wrap=True)
    table.add_column("change", overflow="fold")
    table.add_column("reason", overflow="fold")
    for item in items:
        table.add_row(f"{item.at:%Y-%m-%d %H:%M:%S}", item.actor, item.action, describe_change(item), item.reason)
    (console if console.is_terminal else Console(width=240)).print(table)  # piped: one change per line
    if more:
        console.print(f"(the newest {limit} shown; --limit for more)")


@import_app.command("practitioners")
def import_practitioners(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                    help="CSV (UTF-8 with or without BOM, or GB18030/GBK) or Excel .xlsx"),
        actor: str = typer.Option("import", help="recorded as the author of each row"),
        encoding: str = typer.Option(None, help="the CSV's encoding (default: UTF-8 if it reads as such, else "
                                                "GB18030)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="check every row and write nothing to the database "
                                                              "(the rejected rows are still written out)")) -> None:
    """Import practitioners and registrations from CSV or Excel (.xlsx, first sheet): columns
    code,name,category,institution_code,registered_on[,ends_on] or 编码,姓名,类别,机构编码,登记日期[,终止日期].

    Rows are committed in chunks of well under a second, so the service keeps working meanwhile; running the same
    file again resumes it (rows already imported are counted as already present). Rejected rows go to
    NAME.rejected.csv beside the file, with an `error` column, to be corrected and imported again.

    Exit status: 0 every row imported or already present; 1 some rows rejected, the others imported; 2 nothing
    imported (every row rejected, or the file unreadable or its header wrong).
    """
    import time

    from rich.markup import escape
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    from api.clock import today_in_china
    from api.db.engine import default_engine
    from api.policy import current_policy
    from api.practitioners.importer import ImportFileError, RejectedFile, import_table, open_table, rejected_path

    verb = "checking" if dry_run else "importing"
    last, committed = [time.perf_counter()], [0]

    def progress(report) -> None:  # a line a second at most
        committed[0] = report.registrations_created
        if time.perf_counter() - last[0] >= 1:
            last[0] = time.perf_counter()
            done = report.registrations_created + report.already_present + report.rejected
            print(f"  {done:,} rows{total} done in {report.seconds:.0f} s, "
                  f"{done / max(report.seconds, 1e-3):,.0f} rows/s", flush=True)

    try:
        with open_table(file, encoding) as table, Session(default_engine(), expire_on_commit=False) as session:
            total = f" of {table.total:,}" if table.total is not None else ""
            print(f"{verb} {table.total if table.total is not None else 'the'} rows from {file} ({table.encoding})",
                  flush=True)
            rejected = RejectedFile(rejected_path(file), table.header)
            try:
                report = import_table(session, actor, table, current_policy(), today_in_china(), source=file.name,
                                      dry_run=dry_run, on_chunk=progress, on_rejected=rejected.write)
            finally:
                rejected.close()
    except ImportFileError as exc:
        console.print(f"[red]{exc.code}[/red]: {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    except DBAPIError as exc:  # the chunk under way is rolled back; those before stay
        reason = str(exc.orig or exc).strip().splitlines()[0][:300]
        console.print(f"[red]DATABASE_UNAVAILABLE[/red]: {escape(reason)}; {committed[0]} registrations were "
                      "committed before; run the same file again to resume", soft_wrap=True)
        raise typer.Exit(code=1 if committed[0] else 2) from None
    for error in report.errors[:20]:
        console.print(f"[red]line {error.line}[/red] {error.code}: {escape(error.message)}", soft_wrap=True)
    if report.rejected > 20:
        console.print(f"... and {report.rejected - 20} more")
    console.print(f"{report.rows} rows: {report.practitioners_created} practitioners and "
                  f"{report.registrations_created} registrations {'would be ' if dry_run else ''}created, "
                  f"{report.already_present} already present, {report.rejected} rows rejected"
                  + (" (dry run: nothing written)" if dry_run else ""), soft_wrap=True)
    console.print(f"{report.seconds:.1f} s, {report.rows / max(report.seconds, 1e-3):,.0f} rows/s, "
                  f"{report.chunks} chunk{'' if report.chunks == 1 else 's'}", soft_wrap=True)
    if rejected.rows:
        console.print(f"rejected rows written to {escape(str(rejected.path))}", soft_wrap=True)
    if report.exit_code:
        raise typer.Exit(code=report.exit_code)


if __name__ == "__main__":
    app()
