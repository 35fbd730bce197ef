"""Putting a backup back: checked first, brought to today's schema, recorded, never half-done.

The live file is never renamed or deleted. The restore holds SQLite's exclusive lock on it
from the first look to the end, so no tablet can write meanwhile, and copies the prepared
backup into it with SQLite's backup API: one write transaction, journalled like any other,
so a crash or a power cut half-way leaves the old database as it was, and SQLite itself
looks after the ``-wal`` and ``-shm`` files beside it.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from peewee import SqliteDatabase

from .. import migrate
from ..db import SQLITE_PRAGMAS
from ..models import AuditEvent
from . import audit
from .backup import (
    BUSY_SECONDS,
    STAMP_FORMAT,
    BackupError,
    fsync_file,
    integrity_errors,
    open_existing,
    remove_quietly,
)

RESTORED = "database.restored"
# Long enough for a checkpoint to finish; a running app holds its connections far longer.
IN_USE_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class RestoreResult:
    target: Path
    applied: list[str]  # migrations run on the backup to bring it to today's schema
    backup_newest: datetime | None  # the backup's last recorded write
    replaced: Path | None  # where the database it overwrote is kept


def newest_write(conn: sqlite3.Connection) -> datetime | None:
    """When the database last recorded something: every sensitive action writes an audit event.

    A restore's own event does not count, so restoring the same backup twice needs no --force.
    """
    try:
        row = conn.execute(
            "SELECT MAX(created_at) FROM audit_event WHERE action <> ?", (RESTORED,)
        ).fetchone()
    except sqlite3.OperationalError:
        return None  # no audit table: nothing of ours was ever written there
    if row is None or row[0] is None:
        return None
    return datetime.fromisoformat(row[0]).replace(tzinfo=UTC)


def restore_sqlite(
    backup: Path, target: Path, *, migrations_dir: Path, at: datetime, force: bool = False
) -> RestoreResult:
    """Replace the database at ``target`` with ``backup``, or raise BackupError and change nothing.

    Refused while anything else has the database open, and, without ``force``, when the
    database holds writes newer than the backup's last. The database it overwrites is kept
    beside it (``<name>-replaced-<time>.sqlite3``).
    """
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    existed = target.is_file() and target.stat().st_size > 0
    replaced = (
        target.with_name(
            f"{target.stem}-replaced-{at.astimezone(UTC).strftime(STAMP_FORMAT)}{target.suffix}"
        )
        if existed
        else None
    )
    created = not target.exists()
    try:
        with _exclusive(target) as live:
            live_newest, unreadable = _live_newest(live)
            with _prepared(backup, target.parent, migrations_dir) as (prepared, backup_newest):
                if not force:
                    _refuse_if_newer(target, live_newest, backup_newest, unreadable)
                applied = _migrate_and_record(
                    prepared,
                    migrations_dir,
                    backup=backup.name,
                    replaced=replaced.name if replaced else None,
                    forced=force,
                )
                if replaced is not None:
                    _copy(live, replaced)
                _copy_into(prepared, live)
    except BaseException:
        if created:  # taking the lock made an empty file: a refused restore leaves none
            remove_quietly(target)
        raise
    return RestoreResult(
        target=target, applied=applied, backup_newest=backup_newest, replaced=replaced
    )


@contextmanager
def _exclusive(target: Path) -> Iterator[sqlite3.Connection]:
    """SQLite's exclusive lock on the live database, held until the restore is over.

    Under WAL every open connection keeps a shared lock, even idle ones in a pool, so
    getting this lock proves that no app, worker or shell has the database open.
    """
    try:
        conn = sqlite3.connect(target, timeout=IN_USE_WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as err:
        raise BackupError(f"cannot open {target}: {err}") from err
    try:
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")  # exclusive locking mode keeps the lock after the commit
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise BackupError(
                    f"{target} is in use: stop the kiosk (every gunicorn worker, any shell "
                    "on it), then restore again"
                ) from err
            raise BackupError(
                f"{target} cannot be opened ({err}): move it and its -wal file aside, "
                "then restore again"
            ) from err
        except sqlite3.DatabaseError as err:
            raise BackupError(
                f"{target} is not a SQLite database ({err}): move it aside, then restore again"
            ) from err
        yield conn
    finally:
        conn.close()


def _live_newest(live: sqlite3.Connection) -> tuple[datetime | None, str | None]:
    """The live database's last write, or why it cannot be read (a damaged file)."""
    try:
        return newest_write(live), None
    except (sqlite3.DatabaseError, ValueError) as err:
        return None, str(err)


def _refuse_if_newer(
    target: Path, live: datetime | None, backup: datetime | None, unreadable: str | None
) -> None:
    if unreadable is not None:
        raise BackupError(
            f"{target} cannot be read ({unreadable}), so it may hold newer sales than the "
            "backup: add --force to replace it (it is kept beside it)"
        )
    if live is not None and (backup is None or live > backup):
        raise BackupError(
            f"{target} has writes up to {_when(live)}, newer than the backup's last "
            f"({_when(backup)}): restoring would lose them. Add --force to restore anyway "
            "(the current database is kept beside it)"
        )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "none"


@contextmanager
def _prepared(
    backup: Path, folder: Path, migrations_dir: Path
) -> Iterator[tuple[Path, datetime | None]]:
    """A checked working copy of the backup beside the target, removed afterwards."""
    try:
        fd, name = tempfile.mkstemp(prefix=".restore-", suffix=".sqlite3.tmp", dir=folder)
    except OSError as err:
        raise BackupError(f"cannot write to {folder}: {err.strerror or err}") from err
    prepared = Path(name)
    try:
        with open(fd, "wb") as out, backup.open("rb") as src:
            shutil.copyfileobj(src, out)
        wal = Path(f"{backup}-wal")
        if wal.is_file():  # a raw copy of a WAL database: its last writes are in there
            shutil.copyfile(wal, f"{prepared}-wal")
        yield prepared, _check_backup(prepared, backup, migrations_dir)
    finally:
        remove_quietly(prepared)


def _check_backup(prepared: Path, backup: Path, migrations_dir: Path) -> datetime | None:
    """Integrity, and that it is a kiosk database this version of the kiosk knows.

    Returns the backup's last recorded write.
    """
    try:
        conn = open_existing(prepared, timeout=BUSY_SECONDS)
        try:
            errors = integrity_errors(conn)
            if errors:
                raise BackupError(f"{backup} failed its integrity check: {errors[0]}")
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not {migrate.STATE_TABLE, "audit_event"} <= tables:
                raise BackupError(f"{backup} is not a kiosk database")
            done = {row[0] for row in conn.execute(f"SELECT name FROM {migrate.STATE_TABLE}")}  # noqa: S608
            try:
                newest = newest_write(conn)
            except ValueError:
                newest = None  # a time we cannot read: the backup claims nothing newer
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{backup} is not a SQLite database ({err})") from err
    known = {p.stem for p in migrate.migration_files(migrations_dir)}
    if "0001_initial" not in done:
        raise BackupError(f"{backup} is not a kiosk database")
    unknown = sorted(done - known)
    if unknown:
        raise BackupError(
            f"{backup} comes from a newer kiosk (migration {unknown[-1]} is unknown here): "
            "update the kiosk first"
        )
    return newest


def _migrate_and_record(prepared: Path, migrations_dir: Path, **details: object) -> list[str]:
    """Today's schema on the working copy, and the restore's audit event in it.

    Both happen before the copy goes live: a migration that fails leaves the live database
    untouched, and the event is part of what is restored, never missing from it.
    """
    # The app's connection settings, except WAL: the working copy is read once, then removed.
    pragmas = {k: v for k, v in SQLITE_PRAGMAS.items() if k != "journal_mode"}
    database = SqliteDatabase(str(prepared), pragmas=pragmas)
    database.connect()
    try:
        applied = migrate.upgrade(database, migrations_dir)
        # Bound for this one write: the command runs alone in its process, no request shares it.
        with (
            database.bind_ctx([AuditEvent], bind_refs=False, bind_backrefs=False),
            database.atomic(),
        ):
            audit.record(RESTORED, migrations=applied, **details)
    finally:
        database.close()
    fsync_file(prepared)
    return applied


def _copy_into(prepared: Path, live: sqlite3.Connection) -> None:
    """The working copy into the live file, in one transaction under the lock we hold."""
    try:
        source = open_existing(prepared)
        try:
            source.backup(live)
        finally:
            source.close()
    except sqlite3.Error as err:
        raise BackupError(f"the restore did not complete, nothing was changed: {err}") from err


def _copy(live: sqlite3.Connection, to: Path) -> None:
    """Keep the database a restore overwrites: a restore with --force must be undoable."""
    try:
        kept = sqlite3.connect(to, isolation_level=None)
        try:
            live.backup(kept)
            kept.execute("PRAGMA journal_mode=DELETE")
        finally:
            kept.close()
        fsync_file(to)
    except sqlite3.Error as err:
        remove_quietly(to)
        raise BackupError(f"cannot keep the current database as {to}: {err}") from err
