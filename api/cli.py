"""The `points` command line."""
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

app = typer.Typer(help="points: payment-eligibility scoring (医保支付资格管理).", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
app.add_typer(import_app, name="import")
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
def serve(host: str = typer.Option(None), port: int = typer.Option(None), reload: bool = False) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from api.settings import get_settings

    settings = get_settings()
    uvicorn.run("api.main:app", host=host or settings.host, port=port or settings.port, reload=reload)


@app.command()
def scheduler() -> None:
    """Run the scheduled jobs in this process (run exactly one per deployment)."""
    from scheduler.main import run

    run()


@app.command()
def demo(people: int = typer.Option(300, min=60, help="how many practitioners")) -> None:
    """Load realistic demo data (once): institutions, practitioners, deductions reaching every threshold."""
    from api.clock import today_in_china
    from api.db.engine import unit_of_work
    from api.demo import load_demo
    from api.policy import current_policy

    _migrate()
    with unit_of_work() as session:
        report = load_demo(session, current_policy(), today_in_china(), people)
    if report.institutions == 0:
        console.print("demo data already present; nothing loaded")
    else:
        console.print(f"loaded {report.institutions} institutions, {report.practitioners} practitioners, "
                      f"{report.records} point records")


@import_app.command("practitioners")
def import_practitioners(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
                         actor: str = typer.Option("import", help="recorded as the author of each row")) -> None:
    """Import practitioners and registrations from CSV: code,name,category,institution_code,registered_on."""
    from api.clock import today_in_china
    from api.db.engine import unit_of_work
    from api.policy import current_policy
    from api.practitioners.importer import import_practitioners as run_import

    text = file.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    with Progress(console=console, transient=True) as progress, unit_of_work() as session:
        task = progress.add_task("importing", total=max(len(text) - 1, 0))
        report = run_import(session, actor, text, current_policy(), today_in_china(),
                            on_row=lambda: progress.advance(task))
    for error in report.errors:
        console.print(f"[red]line {error.line}[/red] {error.code}: {error.message}")
    console.print(f"{report.rows} rows: {report.practitioners_created} practitioners and "
                  f"{report.registrations_created} registrations created, {len(report.errors)} rows rejected")
    if report.errors:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
