"""Sending SMS: an HTTPS gateway when one is configured, else a folder the developer can open.

Both senders keep one promise, as ``mail.send`` does: ``send`` returns whether the message
was handed over and never raises. A gateway that is down, slow or answering an error costs
the request at most ``SMS_TIMEOUT`` seconds and leaves a warning in the log (never the
number or the text: it carries a code); the caller tells the person and lets them ask again.
"""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app

from .. import clock


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> bool:
        """Hand one message to ``to`` (E.164) over; True when it was taken."""
        ...


@dataclass(frozen=True)
class OutboxSender:
    """Development: each message is a text file in the outbox, beside the mail."""

    folder: Path

    def send(self, to: str, text: str) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Named by the time it was written, so a listing reads in the order they were sent.
        path = self.folder / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.sms"
        stamp = clock.now_utc().isoformat()
        path.write_text(f"To: {to}\nDate: {stamp}\n\n{text}\n", encoding="utf-8")
        current_app.logger.info("SMS written to %s (no SMS gateway set)", path)
        return True


@dataclass(frozen=True)
class GatewaySender:
    """An HTTPS SMS API: one form POST per message, with basic auth.

    The field names are configurable because every provider names them its own way
    (46elks: ``from``, ``to``, ``message``); see the README for a worked example.
    """

    url: str
    user: str
    password: str
    sender: str
    field_from: str
    field_to: str
    field_text: str
    timeout: float

    def send(self, to: str, text: str) -> bool:
        form = {self.field_to: to, self.field_text: text}
        if self.field_from:
            form[self.field_from] = self.sender
        request = urllib.request.Request(  # noqa: S310 - the operator configures the URL
            self.url, data=urllib.parse.urlencode(form).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if self.user:
            secret = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {secret}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read(4096)
                ok = 200 <= response.status < 300
                if not ok:
                    current_app.logger.warning("SMS gateway answered HTTP %s", response.status)
                return ok
        except urllib.error.HTTPError as err:
            current_app.logger.warning("SMS gateway answered HTTP %s", err.code)
        except OSError as err:  # URLError and timeouts are OSErrors too
            reason = getattr(err, "reason", err)
            current_app.logger.warning("SMS gateway unreachable: %s", type(reason).__name__)
        return False


def sender() -> SmsSender:
    """The sender the configuration names: the gateway when its URL is set."""
    config = current_app.config
    if config["SMS_GATEWAY_URL"]:
        return GatewaySender(
            url=config["SMS_GATEWAY_URL"],
            user=config["SMS_GATEWAY_USER"],
            password=config["SMS_GATEWAY_PASSWORD"],
            sender=config["SMS_FROM"],
            field_from=config["SMS_FIELD_FROM"],
            field_to=config["SMS_FIELD_TO"],
            field_text=config["SMS_FIELD_MESSAGE"],
            timeout=float(config["SMS_TIMEOUT"]),
        )
    return OutboxSender(Path(config["SMS_OUTBOX_DIR"]))


def send(to: str, text: str) -> bool:
    """Send one SMS with the configured sender; False (and a warning) when it was not taken."""
    try:
        return sender().send(to, text)
    except OSError as err:  # the outbox folder cannot be written
        current_app.logger.warning("SMS could not be written: %s", type(err).__name__)
        return False
