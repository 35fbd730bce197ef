"""The ceiling: the least a Flask view can do for a tablet's tap, under the kiosk's gunicorn.

``gunicorn -c gunicorn.conf.py --pythonpath bench ceiling:app`` (bench/run.sh does it).
One view renders a template the size of the cart fragment from values in memory: no
session, no CSRF check, no database. Each hot path of the kiosk is reported as a share
of this app's requests per second on the same machine, workers and load. Not shipped.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

DOCUMENTS = [
    ("id_card", "ID card"),
    ("passport", "Passport"),
    ("driving_licence", "Driving licence"),
    ("other_official", "Other official ID"),
]


@app.get("/")
def cart() -> str:
    return render_template(
        "ceiling.html",
        token=secrets.token_urlsafe(64),
        key=secrets.token_hex(16),
        lines=[{"id": 3, "name": "Heat Device One", "serial": "HS5ON0018589", "total": "€499.00"}],
        vat="€99.80",
        total="€499.00",
        age=18,
        documents=DOCUMENTS,
    )
