"""SMS in tests: the development outbox read back, and a real HTTP server playing the gateway.

The gateway is a plain ``http.server`` on loopback that keeps every form POST it gets (with its
headers), and can be told to answer late or with an error, as a provider's API would on a bad
day. The app talks to it exactly as to 46elks: a form POST with basic auth.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class Gateway:
    """What the fake provider received, and how it answers the next request."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering
    status: int = 200

    def last_to(self, number: str) -> Received:
        found = [r for r in self.received if r.form.get("to") == number]
        assert found, f"the gateway got nothing for {number}: {self.received}"
        return found[-1]

    def code_for(self, number: str) -> str:
        text = self.last_to(number).form["message"]
        match = CODE.search(text)
        assert match, f"no code in: {text}"
        return match.group(1)


@contextmanager
def gateway_server(**options: object) -> Iterator[Gateway]:
    state = Gateway(**options)  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            if state.delay:
                time.sleep(state.delay)
            state.received.append(Received(self.path, dict(self.headers.items()), form))
            payload = b'{"status": "created"}'
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the app gave up waiting (its timeout): as a real slow provider sees it

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_port}/a1/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def refused_url() -> str:
    """A loopback URL where nobody listens: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/a1/sms"


def gateway_config(url: str, **extra: object) -> dict[str, object]:
    """The app's settings for the gateway, shaped like 46elks' API."""
    return {
        "SMS_GATEWAY_URL": url,
        "SMS_GATEWAY_USER": "u0123456789",
        "SMS_GATEWAY_PASSWORD": "gateway-secret",
        "SMS_FROM": "KioskTest",
        "SMS_FIELD_FROM": "from",
        "SMS_FIELD_TO": "to",
        "SMS_FIELD_MESSAGE": "message",
        **extra,
    }


class SmsOutbox:
    """The development outbox: one ``.sms`` file per message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self, number: str) -> list[str]:
        found = []
        for path in sorted(self.folder.glob("*.sms")):
            head, _sep, body = path.read_text(encoding="utf-8").partition("\n\n")
            if f"To: {number}" in head.splitlines():
                found.append(body.strip())
        return found

    def last_to(self, number: str) -> str:
        found = self.messages(number)
        assert found, f"no SMS to {number} in {self.folder}"
        return found[-1]

    def code_for(self, number: str) -> str:
        text = self.last_to(number)
        match = CODE.search(text)
        assert match, f"no code in: {text}"
        return match.group(1)
