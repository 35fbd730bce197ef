"""Sending mail: real SMTP when a host is configured, else a folder the developer can open."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def send(to: str, subject: str, body: str) -> EmailMessage | None:
    """Send one mail; return the message when it was handed over, None when it could not be.

    "Handed over" means the SMTP server accepted it (or, without an SMTP host, it was written
    to the outbox folder). A server that is down, slow, refusing or rejecting the address makes
    this return None after a warning in the log, and never raises: callers send after their
    transaction has committed, so the person's work is saved whatever the mail server does,
    and the caller decides what to tell them. Neither log line names the recipient.
    """
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="kiosk.local")
    message.set_content(body)
    try:
        if config["SMTP_HOST"]:
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
                if config["SMTP_STARTTLS"]:
                    smtp.starttls(context=ssl.create_default_context())
                if config["SMTP_USER"]:
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
                smtp.send_message(message)
        else:
            outbox = Path(config["MAIL_OUTBOX_DIR"])
            outbox.mkdir(parents=True, exist_ok=True)
            path = outbox / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(bytes(message))
            current_app.logger.info("mail written to %s (no SMTP host set)", path)
    except (OSError, smtplib.SMTPException) as err:
        current_app.logger.warning(
            "mail %s could not be sent: %s", message["Message-ID"], _describe(err)
        )
        return None
    return message


def _describe(err: Exception) -> str:
    """What went wrong, without the error's own text: SMTP replies may quote the address."""
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{type(err).__name__} (SMTP {err.smtp_code})"
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return f"{type(err).__name__} (SMTP {sorted({c for c, _ in err.recipients.values()})})"
    if isinstance(err, OSError) and err.strerror:
        return f"{type(err).__name__} ({err.strerror})"
    return type(err).__name__
