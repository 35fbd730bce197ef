"""The operator's commands: ``flask --app kiosk db upgrade | demo | staff create | purge``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import migrate
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
    click.echo(
        "Demo loaded: "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + f" in {time.monotonic() - started:.1f} s."
    )


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete refusals past each store's retention and spent rate-limit counters (run daily)."""
    from .services.retention import purge_expired

    with db.connection_context():
        result = purge_expired()
    for store in result.stores:
        click.echo(
            f"{store.store_code}: {store.refusals_removed} refusals older than "
            f"{store.older_than.isoformat()} removed"
        )
    click.echo(f"{result.rate_limit_hits_removed} rate-limit entries removed")
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


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(purge_command)
