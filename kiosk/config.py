"""Settings from the environment: every setting has one home and one name."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def instance_secret_key(instance_path: Path) -> str:
    """Read the deployment's secret key, generating it on first run.

    The key lives in the instance folder (never in the repository), so every
    worker and every restart of one deployment signs sessions the same way.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # O_EXCL: two workers starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


class Config:
    """Defaults, overridden by KIOSK_* environment variables."""

    def __init__(self, instance_path: Path) -> None:
        self.DATABASE_URL = os.environ.get(
            "KIOSK_DATABASE_URL", f"sqlite:///{instance_path / 'kiosk.sqlite3'}"
        )
        self.SECRET_KEY = os.environ.get("KIOSK_SECRET_KEY") or instance_secret_key(instance_path)
        self.MIGRATIONS_DIR = os.environ.get(
            "KIOSK_MIGRATIONS_DIR", str(PROJECT_ROOT / "migrations")
        )
        # Where `flask --app kiosk backup` writes; copy it off the machine (README).
        self.BACKUP_DIR = os.environ.get("KIOSK_BACKUP_DIR", str(instance_path / "backups"))
        # Behind TLS in production; plain http on 127.0.0.1 in development.
        self.SESSION_COOKIE_SECURE = _bool("KIOSK_SECURE_COOKIES", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "kiosk_session"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None  # a kiosk tab stays open all day
        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.SMTP_HOST = os.environ.get("KIOSK_SMTP_HOST", "")
        self.SMTP_PORT = _int("KIOSK_SMTP_PORT", 25)
        self.SMTP_USER = os.environ.get("KIOSK_SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("KIOSK_SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("KIOSK_SMTP_STARTTLS", False)
        self.MAIL_FROM = os.environ.get("KIOSK_MAIL_FROM", "kiosk@localhost")
        # Without an SMTP host, mail is written to this folder for the developer to open.
        self.MAIL_OUTBOX_DIR = os.environ.get("KIOSK_MAIL_OUTBOX", str(instance_path / "outbox"))
        # SMS (sign-in codes): an HTTPS gateway when its URL is set, else files in the outbox.
        self.SMS_GATEWAY_URL = os.environ.get("KIOSK_SMS_GATEWAY_URL", "")
        self.SMS_GATEWAY_USER = os.environ.get("KIOSK_SMS_GATEWAY_USER", "")
        self.SMS_GATEWAY_PASSWORD = os.environ.get("KIOSK_SMS_GATEWAY_PASSWORD", "")
        self.SMS_FROM = os.environ.get("KIOSK_SMS_FROM", "Kiosk")
        self.SMS_FIELD_FROM = os.environ.get("KIOSK_SMS_FIELD_FROM", "from")
        self.SMS_FIELD_TO = os.environ.get("KIOSK_SMS_FIELD_TO", "to")
        self.SMS_FIELD_MESSAGE = os.environ.get("KIOSK_SMS_FIELD_MESSAGE", "message")
        # Short: a person waits on the page while the code is sent.
        self.SMS_TIMEOUT = float(os.environ.get("KIOSK_SMS_TIMEOUT", "4"))
        self.SMS_OUTBOX_DIR = os.environ.get("KIOSK_SMS_OUTBOX", str(instance_path / "outbox"))
        self.PUBLIC_BASE_URL = os.environ.get("KIOSK_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        # How many reverse proxies (the TLS terminator) stand in front and set X-Forwarded-*.
        # 0 trusts none: a client could otherwise forge its address and escape every limit.
        self.PROXY_HOPS = _int("KIOSK_PROXY_HOPS", 0)
        self.DB_POOL_SIZE = _int("KIOSK_DB_POOL_SIZE", 8)
        # gzip only: every tablet and phone browser takes it, and it costs a fraction of a
        # millisecond for a cart fragment (brotli would save a little more for more CPU).
        self.COMPRESS_ALGORITHM = ["gzip"]
        # Static files are streamed, which Flask-Compress does not gzip; browsers send
        # "gzip, deflate" over plain http (br only over https), so deflate it is.
        self.COMPRESS_ALGORITHM_STREAMING = ["deflate"]
        self.COMPRESS_LEVEL = 6
        self.COMPRESS_MIN_SIZE = 500
        self.COMPRESS_MIMETYPES = [
            "text/html",
            "text/css",
            "text/csv",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
        ]
        self.BABEL_DEFAULT_LOCALE = os.environ.get("KIOSK_DEFAULT_LANGUAGE", "en")
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
        self.LANGUAGES = ("en", "sv")
