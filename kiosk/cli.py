"""The operator's commands: ``flask --app kiosk db upgrade | init | demo | staff | purge``,
``backup | restore | check``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import clock, migrate
from .db import is_postgres, sqlite_path
from .extensions import db

db_cli = AppGroup("db", help="Create and migrate the database.")
staff_cli = AppGroup("staff", help="Manage staff accounts.")


def _migrations_dir() -> Path:
    return Path(current_app.config["MIGRATIONS_DIR"])


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (safe to run twice)."""
    with db.connection_context():
        done = migrate.upgrade(db.obj, _migrations_dir())
    click.echo(f"Applied {', '.join(done)}." if done else "Database is up to date.")


@db_cli.command("status")
def db_status() -> None:
    """List pending migrations."""
    with db.connection_context():
        waiting = migrate.pending(db.obj, _migrations_dir())
    click.echo("\n".join(p.stem for p in waiting) or "Nothing pending.")


@db_cli.command("draft")
@click.argument("dialect", type=click.Choice(["sqlite", "postgres"]))
def db_draft(dialect: str) -> None:
    """Print the DDL of the current models, to write a migration from."""
    click.echo(";\n".join(migrate.schema_sql(dialect)) + ";")


@click.command("demo")
@click.option("--days", default=90, show_default=True, help="Days of history to generate.")
@click.option(
    "--stores",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Stores in the chain: STO1 and LON1, then S001, S002, ...",
)
@click.option(
    "--shelf",
    default=40,
    show_default=True,
    type=click.IntRange(min=0),
    help="Units of each device model in each store's stock today.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has stores.")
def demo_command(days: int, stores: int, shelf: int, if_empty: bool) -> None:
    """Load the deterministic demo chain: stores, staff, catalog, stock and history."""
    from .demo import load_demo
    from .models import Store

    with db.connection_context():
        if Store.select().exists():
            if if_empty:
                click.echo("Database has data; demo not loaded.")
                return
            raise click.ClickException("The database already has stores; demo needs an empty one.")
        started = time.monotonic()
        counts = load_demo(days=days, stores=stores, shelf=shelf)
        if is_postgres():
            # A bulk load leaves the planner without statistics until autovacuum comes by
            # (and where it is off, never): plan the demo's first pages on real numbers.
            db.execute_sql("ANALYZE")
    click.echo(
        "Demo loaded: "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + f" in {time.monotonic() - started:.1f} s."
    )


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete old refusals, spent rate-limit counters and stale sessions (run daily)."""
    from .services.retention import purge_expired

    with db.connection_context():
        result = purge_expired()
    for store in result.stores:
        click.echo(
            f"{store.store_code}: {store.refusals_removed} refusals older than "
            f"{store.older_than.isoformat()} removed"
        )
    click.echo(f"{result.rate_limit_hits_removed} rate-limit entries removed")
    click.echo(f"{result.sessions_removed} stale sessions removed")
    click.echo(f"{result.codes_removed} expired SMS codes removed")


@staff_cli.command("create")
@click.option("--store", "store_code", required=True, help="Store code, e.g. STO1.")
@click.option("--username", required=True)
@click.option("--name", "display_name", default="")
@click.option("--role", type=click.Choice(["staff", "manager", "admin"]), default="staff")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--pin", prompt=True, hide_input=True)
def staff_create(
    store_code: str, username: str, display_name: str, role: str, password: str, pin: str
) -> None:
    """Create a staff member for a store."""
    from .models import Store
    from .services import DomainError
    from .services.staff import create_staff

    with db.connection_context():
        store = Store.get_or_none(Store.code == store_code.upper())
        if store is None:
            raise click.ClickException(f"No store with code {store_code!r}.")
        try:
            member = create_staff(
                store,
                username=username,
                display_name=display_name,
                role=role,
                password=password,
                pin=pin,
            )
        except DomainError as err:
            raise click.ClickException(err.message) from err
    click.echo(f"Created {member.role} {member.username} in {store.code}.")


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit status 1: what cron mails to the store's operator."""
    click.echo(message, err=True)
    sys.exit(1)


def _sqlite_file() -> Path | None:
    path = sqlite_path(current_app.config["DATABASE_URL"])
    if path is None:
        return None
    if path in ("", ":memory:"):
        _fail("The database is in memory: there is nothing to back up or restore.")
    return Path(path)


@click.command("backup")
@click.option(
    "--to",
    "to_dir",
    type=click.Path(path_type=Path),
    help="Folder for the backup (default: KIOSK_BACKUP_DIR, instance/backups).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="Keep the newest N backups in the folder and remove older ones.",
)
@with_appcontext
def backup_command(to_dir: Path | None, keep: int | None) -> None:
    """Copy the database while the store keeps selling, check the copy (run daily)."""
    from .services import backup

    folder = to_dir or Path(current_app.config["BACKUP_DIR"])
    source = _sqlite_file()
    if source is None:
        url = current_app.config["DATABASE_URL"]
        click.echo(
            "PostgreSQL: back up with the cluster's own backups (base backups with WAL "
            "archiving, or your provider's snapshots), or pg_dump, for example:"
        )
        click.echo(backup.pg_dump_command(url, folder, clock.now_utc()))
        click.echo(
            "The password comes from ~/.pgpass or the file PGPASSFILE names, never from "
            "the command line."
        )
        return
    try:
        result = backup.backup_sqlite(source, folder, at=clock.now_utc(), keep=keep)
    except backup.BackupError as err:
        _fail(f"Backup failed: {err.message}")
    click.echo(
        f"Backup {result.path} ({result.size / 1_000_000:.1f} MB, integrity ok) in "
        f"{result.seconds:.1f} s; {result.kept} kept, {len(result.removed)} older removed."
    )


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database with writes newer than the backup.")
@with_appcontext
def restore_command(backup_file: Path, force: bool) -> None:
    """Put a backup back in place of the database, migrated to today's schema."""
    from .services import backup, restore

    target = _sqlite_file()
    if target is None:
        url = current_app.config["DATABASE_URL"]
        _fail(
            "Nothing restored: on PostgreSQL, stop the kiosk, then run "
            f"`{backup.pg_restore_command(url, backup_file)}` and "
            "`flask --app kiosk db upgrade` (or restore the cluster's own backup)."
        )
    try:
        result = restore.restore_sqlite(
            backup_file, target, migrations_dir=_migrations_dir(), at=clock.now_utc(), force=force
        )
    except backup.BackupError as err:
        _fail(f"Restore refused: {err.message}")
    newest = result.backup_newest.strftime("%Y-%m-%d %H:%M UTC") if result.backup_newest else "-"
    migrated = ", ".join(result.applied) or "none needed"
    kept = f"; the database it replaced is kept as {result.replaced}" if result.replaced else ""
    click.echo(
        f"Restored {backup_file} into {target} (last write {newest}; migrations: {migrated}){kept}."
    )


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the database: SQLite's integrity and foreign keys, and the product's invariants."""
    from .services.integrity import run_checks

    with db.connection_context():
        report = run_checks(db.obj, _migrations_dir())
    for finding in report.findings:
        if finding.ok:
            click.echo(f"ok      {finding.name}")
            continue
        click.echo(f"BROKEN  {finding.name}: {finding.rule} ({len(finding.rows)} rows)")
        for row in finding.rows[:5]:
            pairs = zip(finding.columns, row, strict=False)
            click.echo("          " + ", ".join(f"{c}={v}" for c, v in pairs))
    broken = len(report.broken)
    click.echo(f"{len(report.findings)} checks, {broken} broken.")
    if broken:
        sys.exit(1)


def _ask(value: str | None, text: str, **prompt: object) -> str:
    """An option given on the command line, or asked for."""
    return value if value is not None else click.prompt(text, **prompt)


@click.command("init")
@click.option("--market", "market_code", help="The first market's country code, e.g. SE.")
@click.option("--market-name", help="Its name (default: the country's name).")
@click.option("--currency", help="Its currency, ISO 4217, e.g. SEK.")
@click.option("--vat-rates", help='Its VAT rates in per cent, standard first: "25, 12, 6, 0".')
@click.option("--store", "store_code", help="The first store's code, e.g. STO1.")
@click.option("--store-name", help="The first store's name.")
@click.option("--timezone", help="The store's time zone, e.g. Europe/Stockholm.")
@click.option("--language", type=click.Choice(["en", "sv"]), help="The store's language.")
@click.option("--username", help="The first admin's username.")
@click.option("--name", "display_name", help="The first admin's name.")
@click.option("--password", help="The admin's password (asked when not given).")
@click.option("--pin", help="The admin's PIN (asked when not given).")
@with_appcontext
def init_command(
    market_code: str | None,
    market_name: str | None,
    currency: str | None,
    vat_rates: str | None,
    store_code: str | None,
    store_name: str | None,
    timezone: str | None,
    language: str | None,
    username: str | None,
    display_name: str | None,
    password: str | None,
    pin: str | None,
) -> None:
    """Make an empty database ready for real use: first market, first store, first admin."""
    from .models import Market, Store
    from .services import DomainError, FieldErrors
    from .services.stores import country_name, init_chain

    with db.connection_context():
        if migrate.pending(db.obj, _migrations_dir()):
            raise click.ClickException("Run `flask --app kiosk db upgrade` first.")
        if Store.select().exists():
            raise click.ClickException(
                "The database already has stores: init is for an empty one. "
                "Create further stores in the back office (/admin/stores)."
            )
        code = _ask(market_code, "Market (country code, e.g. SE)").strip().upper()
        market = {"code": code}
        if not Market.select().where(Market.code == code).exists():
            market |= {
                "name": _ask(market_name, "Market name", default=country_name(code) or ""),
                "currency": _ask(currency, "Currency (ISO 4217, e.g. SEK)"),
                "vat_rates": _ask(vat_rates, "VAT rates in per cent, standard first"),
            }
        store = {
            "code": _ask(store_code, "Store code (e.g. STO1)"),
            "name": _ask(store_name, "Store name"),
            "timezone": _ask(timezone, "Time zone", default="Europe/Stockholm"),
            "language": _ask(language, "Language", type=click.Choice(["en", "sv"]), default="en"),
        }
        login = _ask(username, "Admin username")
        admin = {
            "username": login,
            "display_name": _ask(display_name, "Admin name", default=login),
            "password": _ask(password, "Admin password", hide_input=True, confirmation_prompt=True),
            "pin": _ask(
                pin, "Admin PIN (4 to 8 digits)", hide_input=True, confirmation_prompt=True
            ),
        }
        try:
            first_market, first_store, member = init_chain(market, store, admin)
        except FieldErrors as err:
            raise click.ClickException(
                "; ".join(f"{field}: {message}" for field, message in err.errors.items())
            ) from err
        except DomainError as err:
            raise click.ClickException(err.message) from err
    click.echo(
        f"Ready: market {first_market.code} ({first_market.currency}), store "
        f"{first_store.code} {first_store.name}, admin {member.username}. "
        "Sign in at /signin and open the back office at /admin/."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(check_command)
    app.cli.add_command(init_command)
