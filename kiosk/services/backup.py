"""Backups of the store's database: a checked copy taken while the store keeps selling.

On SQLite the copy comes from SQLite's online backup API (a file copy of a live WAL
database can catch a transaction half-written), lands under a temporary name, passes
``PRAGMA integrity_check``, and only then is renamed to its time-stamped name. On
PostgreSQL the cluster's own backups or ``pg_dump`` do the job; we print the command.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlparse

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
BACKUP_SUFFIX = ".sqlite3"
# As long as the app waits for a write lock: a backup never gives up before a tablet would.
BUSY_SECONDS = 5.0


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why, in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    seconds: float
    kept: int  # backups of this database in the folder, this one included
    removed: list[Path] = field(default_factory=list)


def backup_name(stem: str, at: datetime) -> str:
    """``kiosk-20260310T031500Z.sqlite3``: sorting the names sorts the backups by time."""
    return f"{stem}-{at.astimezone(UTC).strftime(STAMP_FORMAT)}{BACKUP_SUFFIX}"


def backups_in(directory: Path, stem: str) -> list[Path]:
    """This database's backups in ``directory``, oldest first; other files are not ours."""
    pattern = re.compile(rf"{re.escape(stem)}-\d{{8}}T\d{{6}}Z{re.escape(BACKUP_SUFFIX)}")
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if pattern.fullmatch(p.name) and p.is_file())


def integrity_errors(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong; empty when the file is sound."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` survive a power cut (the directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_existing(path: Path, *, timeout: float = BUSY_SECONDS) -> sqlite3.Connection:
    """A connection to a database file that must exist (plain ``connect`` would create it)."""
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout, isolation_level=None
    )


def remove_quietly(path: Path) -> None:
    """Remove a file and the journal files SQLite may have left beside it."""
    for leftover in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def backup_sqlite(
    source: Path, to_dir: Path, *, at: datetime, keep: int | None = None
) -> BackupResult:
    """Copy the live database into ``to_dir``, check the copy, then prune beyond ``keep``."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    try:
        to_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BackupError(f"cannot create {to_dir}: {err.strerror or err}") from err
    final = to_dir / backup_name(source.stem, at)
    if final.exists():
        raise BackupError(f"{final} exists already")
    started = time.monotonic()
    try:
        # Same folder as the final name, so the rename is atomic; 0600, as the file holds
        # customers' names and emails.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=to_dir)
    except OSError as err:
        raise BackupError(f"cannot write to {to_dir}: {err.strerror or err}") from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _copy_checked(source, tmp)
        fsync_file(tmp)
        os.replace(tmp, final)
        fsync_dir(to_dir)
    except BaseException:
        remove_quietly(tmp)
        raise
    seconds = time.monotonic() - started
    removed = prune(to_dir, source.stem, keep) if keep is not None else []
    return BackupResult(
        path=final,
        size=final.stat().st_size,
        seconds=seconds,
        kept=len(backups_in(to_dir, source.stem)),
        removed=removed,
    )


def _copy_checked(source: Path, target: Path) -> None:
    try:
        src = open_existing(source)
        try:
            dst = sqlite3.connect(target, isolation_level=None)
            try:
                # One step (pages=-1) is one read transaction: a consistent snapshot. Under
                # WAL the tablets keep writing meanwhile; a stepwise copy would restart on
                # every write and might never finish on a busy day.
                src.backup(dst, pages=-1)
                # A single self-contained file, whatever mode the live database is in.
                dst.execute("PRAGMA journal_mode=DELETE")
                errors = integrity_errors(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as err:
        raise BackupError(f"cannot copy {source}: {err}") from err
    if errors:
        raise BackupError(f"the copy of {source} failed its integrity check: {errors[0]}")


def prune(directory: Path, stem: str, keep: int) -> list[Path]:
    """Remove the oldest backups beyond the newest ``keep``; return what was removed."""
    found = backups_in(directory, stem)
    old = found[: max(len(found) - keep, 0)]
    for path in old:
        try:
            path.unlink()
        except OSError as err:
            raise BackupError(f"backup written, but {path} could not be removed: {err}") from err
    return old


def pg_dsn(url: str) -> tuple[str, str]:
    """The database's name and a libpq URL for it without the password.

    The password belongs in ``~/.pgpass`` (or the file ``PGPASSFILE`` names), where
    neither the process list nor a cron mail shows it.
    """
    parsed = urlparse(url)
    name = unquote(parsed.path.lstrip("/"))
    host = parsed.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"  # IPv6
    user = f"{quote(unquote(parsed.username), safe='')}@" if parsed.username else ""
    # The rest of the query are libpq options (sslmode, ...): pg_dump takes them as they are.
    options = [(k, v) for k, v in parse_qsl(parsed.query) if k != "password"]
    query = f"?{urlencode(options)}" if options else ""
    return name, f"postgresql://{user}{host}:{parsed.port or 5432}/{quote(name, safe='')}{query}"


def pg_dump_command(url: str, to_dir: Path, at: datetime) -> str:
    """The ``pg_dump`` command for the configured PostgreSQL database, no password in it."""
    name, dsn = pg_dsn(url)
    dump = to_dir / f"{name}-{at.astimezone(UTC).strftime(STAMP_FORMAT)}.dump"
    return shlex.join(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={dsn}"])


def pg_restore_command(url: str, dump: Path) -> str:
    """The ``pg_restore`` command that puts a ``pg_dump`` file back into the configured database."""
    _, dsn = pg_dsn(url)
    return shlex.join(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={dsn}", str(dump)]
    )
