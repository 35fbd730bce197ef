"""Which layer of the stack spends a request's time: cProfile's own time, grouped by file.

Shared by ``bench/hotpath.py --layers`` (which measures) and ``bench/summarize.py`` (which
puts the table next to the goals a run missed). Standard library only, so the summary needs
neither the app nor the profiler.

A function's own time goes to the layer its file belongs to (Peewee, the database driver,
Jinja, ...). The standard library and C builtins have no layer of their own: their time goes
to whoever called them, in proportion to cProfile's per-caller own time, following callers
up until a layer is found (``json.dumps`` under itsdangerous is the session's time, ``zlib``
under Flask-Compress is compression's, ``str.join`` under Peewee is building SQL). A C method
of the driver itself (``sqlite3.Cursor.execute``, psycopg2's) is the driver's.
"""

from __future__ import annotations

import sysconfig
from collections import defaultdict
from pathlib import Path
from typing import Any

# (key, what the summary calls it, the next lever when it is the largest layer)
LAYERS: tuple[tuple[str, str, str], ...] = (
    (
        "peewee",
        "Peewee: building queries, rows into objects",
        "prepare the hottest reads once, select only the columns shown",
    ),
    (
        "driver",
        "database: the driver executing, waiting for the server (sqlite3 / psycopg2)",
        "fewer statements a tap (each is a round trip on PostgreSQL)",
    ),
    ("jinja", "Jinja templates", "render only the fragment that changed"),
    ("forms", "WTForms / Flask-WTF", "build fewer forms per render"),
    (
        "flask",
        "Flask, Werkzeug, session cookie, Flask-Login",
        "less per-request work in hooks and the session cookie",
    ),
    ("compress", "response compression (Flask-Compress)", "skip compressing small fragments"),
    ("babel", "Babel formatting", "format money and dates once per render"),
    ("kiosk", "our kiosk code", "our hottest functions (bench/hotpath.py PATH --self)"),
    ("other", "other (standard library, qrcode, ...)", "see bench/hotpath.py PATH --self"),
)
HARNESS = "harness"  # the test client standing in for gunicorn: reported, not the app's
LABEL = {key: label for key, label, _lever in LAYERS}
LEVER = {key: lever for key, _label, lever in LAYERS}

# (a piece of the file's path, its layer), first match wins; templates before "kiosk".
_BY_PATH: tuple[tuple[str, str], ...] = (
    ("/peewee.py", "peewee"),
    ("/playhouse/", "peewee"),
    ("/sqlite3/", "driver"),
    ("/psycopg2/", "driver"),
    ("/psycopg/", "driver"),
    ("/jinja2/", "jinja"),
    ("/markupsafe/", "jinja"),
    ("/wtforms/", "forms"),
    ("/flask_wtf/", "forms"),
    ("/flask_compress/", "compress"),
    ("/babel/", "babel"),
    ("/flask_babel/", "babel"),
    ("/werkzeug/test.py", HARNESS),
    ("/flask/testing.py", HARNESS),
    ("/flask/", "flask"),
    ("/werkzeug/", "flask"),
    ("/itsdangerous/", "flask"),
    ("/flask_login/", "flask"),
    ("/blinker/", "flask"),
    ("/click/", "flask"),
)
_STDLIB = sysconfig.get_paths()["stdlib"]
_BENCH = str(Path(__file__).resolve().parent) + "/"

Func = tuple[str, int, str]  # cProfile's key: file, line, function name


def direct_layer(func: Func, kiosk_dir: str) -> str | None:
    """The layer a function's file belongs to, or None for the standard library and builtins."""
    filename, _line, name = func
    if filename == "~":  # a C builtin: the driver's own methods count as the driver's
        return "driver" if "sqlite3" in name or "psycopg" in name else None
    path = filename.replace("\\", "/")
    if path.endswith((".html", ".txt", ".xml", ".svg")) or path == "<template>":
        return "jinja"  # a compiled template's code carries the template's file name
    for piece, layer in _BY_PATH:
        if piece in path:
            return layer
    if path.startswith(_BENCH):
        return HARNESS
    if path.startswith(kiosk_dir):
        return "kiosk"
    if "site-packages" in path:
        return "other"
    if path.startswith(_STDLIB) or path.startswith("<"):
        return None  # the standard library, frozen modules, generated code
    return "other"


def seconds_by_layer(stats: dict[Func, Any], kiosk_dir: str) -> dict[str, float]:
    """Own time (``pstats.Stats(...).stats``) summed per layer, as described above."""
    memo: dict[Func, dict[str, float]] = {}

    def shares(func: Func, path: frozenset[Func]) -> dict[str, float]:
        if func in memo:
            return memo[func]
        layer = direct_layer(func, kiosk_dir)
        if layer is not None:
            memo[func] = {layer: 1.0}
            return memo[func]
        callers = stats.get(func, (0, 0, 0.0, 0.0, {}))[4]
        seen = path | {func}
        weights = {c: v[2] for c, v in callers.items() if c not in seen}
        if not sum(weights.values()):  # too quick to time: weigh callers by calls instead
            weights = {c: float(v[1]) for c, v in callers.items() if c not in seen}
        total = sum(weights.values())
        if not total:
            return {"other": 1.0}  # the profiled call itself, or a cycle: no caller to ask
        out: dict[str, float] = defaultdict(float)
        for caller, weight in weights.items():
            for key, share in shares(caller, seen).items():
                out[key] += share * weight / total
        memo[func] = dict(out)
        return memo[func]

    seconds: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, own, _cumulative, _callers) in stats.items():
        for key, share in shares(func, frozenset()).items():
            seconds[key] += own * share
    return dict(seconds)


def largest(layers: dict[str, float]) -> str | None:
    """The app's largest layer (the harness is not the app's)."""
    own = {k: v for k, v in layers.items() if k != HARNESS and v > 0}
    return max(own, key=own.__getitem__) if own else None


def shares(layers: dict[str, float]) -> dict[str, float]:
    """Each layer's share of the app's time (the harness left out), every layer present."""
    app = sum(v for k, v in layers.items() if k != HARNESS) or 1.0
    return {key: layers.get(key, 0.0) / app for key, _label, _lever in LAYERS}


def table(result: dict[str, Any]) -> list[str]:
    """One measured request's layers as Markdown: share of the app's time, and ms a request."""
    lines = ["| layer | share | ≈ ms a request |", "| --- | ---: | ---: |"]
    for key, share in shares(result["layers"]).items():
        lines.append(f"| {LABEL[key]} | {share:.0%} | {share * result['ms_plain']:.2f} |")
    return lines
