"""Store Kiosk: counter software for stores selling age-restricted devices."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import PROJECT_ROOT, Config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then the test's overrides."""
    instance_path = Path(os.environ.get("KIOSK_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping({k: v for k, v in vars(Config(instance_path)).items() if k.isupper()})
    if test_config:
        app.config.update(test_config)

    from . import cli, db, web

    db.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        # Behind the proxy every request comes from 127.0.0.1: take the client's address,
        # scheme and host from the headers the trusted proxies add, so each phone and tablet
        # gets its own PIN, password and claim limits.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
