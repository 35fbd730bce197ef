"""The catalog import phase: a 5,000-product CSV previewed and imported, on each database.

``python bench/catalog_import.py [--databases "sqlite postgres"] [--products 5000]
[--out results.json]``. For each database: a fresh, migrated throwaway database with two
markets and an admin; then, through the app's whole HTTP stack (the test client: form
parsing, CSRF, the views, the services, the database), the admin

1. uploads a file of new products (names in two languages, prices in both markets, device
   models with serial formats and successors) and waits for the preview,
2. presses Import,
3. uploads the same catalog with every price changed (every row "changed") and imports it.

Each step's wall time is printed; the issue's bound is the import of 5,000 products under
10 s, and the script exits non-zero when an import step misses it or writes a wrong count.
It only talks to 127.0.0.1 and drops what it created.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KIOSK_INSTANCE_PATH", tempfile.mkdtemp(prefix="kiosk-bench-import-"))

from werkzeug.security import generate_password_hash  # noqa: E402

from kiosk import clock, create_app, migrate  # noqa: E402
from kiosk.extensions import db  # noqa: E402
from kiosk.models import Market, Product, ProductPrice, Staff, Store  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
BOUND_SECONDS = 10.0
HEADER = "sku,kind,name,name_sv,serial_pattern,successor_sku,price_SE,vat_SE,price_GB,vat_GB"


def catalog(products: int, bump: int = 0) -> bytes:
    """A chain-sized catalog: one device model in fifty, the rest consumables and accessories."""
    lines = [HEADER]
    for n in range(products):
        sku = f"P{n:05d}"
        if n % 50 == 0:
            successor = f"P{n + 50:05d}" if n + 50 < products else ""
            lines.append(
                f'{sku},device,Heat Device {n},Värmeenhet {n},"HS\\d{{1,4}}X{n}\\d{{7}}",'
                f"{successor},{499 + bump + n % 7}.00,25,{39 + n % 5}.{bump % 100:02d},20"
            )
        else:
            kind = "consumable" if n % 3 else "accessory"
            lines.append(
                f"{sku},{kind},Item {n},Vara {n},,,"
                f"{65 + bump + n % 90}.50,25,{5 + n % 9}.{bump:02d},20"
            )
    return ("\n".join(lines) + "\n").encode()


def _world() -> None:
    now = clock.now_utc()
    sweden = Market.create(
        code="SE", name="Sweden", currency="SEK", vat_rates="2500,1200,600,0", created_at=now
    )
    Market.create(
        code="GB", name="United Kingdom", currency="GBP", vat_rates="2000,500,0", created_at=now
    )
    store = Store.create(code="STO1", name="Bench", market=sweden, created_at=now)
    Staff.create(
        store=store,
        username="root",
        display_name="Root",
        role="admin",
        password_hash=generate_password_hash("bench password"),
        pin_hash=generate_password_hash("9999"),
        created_at=now,
    )


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _import(client, content: bytes, name: str) -> dict[str, float]:  # noqa: ANN001
    page = client.get("/admin/catalog/import")
    started = time.perf_counter()
    preview = client.post(
        "/admin/catalog/import",
        data={"csrf_token": _token(page.text), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    previewed = time.perf_counter()
    if preview.status_code != 200:
        errors = re.findall(r"<tr class=\"row--error\">(.*?)</tr>", preview.text)[:5]
        raise SystemExit(f"bench: preview answered {preview.status_code}: {errors}")
    action = re.search(r'action="(/admin/catalog/import/\d+)"', preview.text).group(1)
    fields = dict(re.findall(r'name="(sha256|plan|csrf_token)" value="([^"]*)"', preview.text))
    done = client.post(action, data=fields)
    imported = time.perf_counter()
    if done.status_code != 302:
        raise SystemExit(f"bench: import answered {done.status_code}")
    return {"preview_s": round(previewed - started, 3), "import_s": round(imported - previewed, 3)}


def run(database: str, products: int) -> dict:
    name = f"kiosk_bench_import_{uuid.uuid4().hex[:8]}"
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="kiosk-bench-import-db-")
        url = f"sqlite:///{folder}/bench.sqlite3"
    else:
        admin = psycopg2.connect(f"{PG}/postgres")
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = f"{PG}/{name}"
    try:
        app = create_app({"DATABASE_URL": url, "SERVER_NAME": "kiosk.bench"})
        with db.connection_context():
            migrate.upgrade(db.obj, ROOT / "migrations")
            _world()
        client = app.test_client()
        page = client.get("/signin")
        client.post(
            "/signin",
            data={
                "username": "root",
                "password": "bench password",
                "csrf_token": _token(page.text),
            },
        )
        result = {"database": database, "products": products}
        result["new"] = _import(client, catalog(products), "catalog.csv")
        result["changed"] = _import(client, catalog(products, bump=1), "catalog-prices.csv")
        with db.connection_context():
            result["rows"] = {
                "product": Product.select().count(),
                "product_price": ProductPrice.select().count(),
            }
            changed = ProductPrice.get(
                (ProductPrice.product == Product.get(Product.sku == "P00001"))
                & (ProductPrice.market == Market.get(Market.code == "SE"))
            )
            # P00001's Swedish price in the second file: (65 + 1 + 1 % 90) kronor and 50 öre.
            result["second_file_applied"] = changed.price == 6750
        return result
    finally:
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        if database == "postgres":
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite postgres")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results, slow = [], []
    for database in args.databases.split():
        result = run(database, args.products)
        results.append(result)
        for step in ("new", "changed"):
            seconds = result[step]["import_s"]
            if seconds >= BOUND_SECONDS:
                slow.append(f"{database} {step}: {seconds} s")
        if not result["second_file_applied"]:
            slow.append(f"{database}: the second file's prices are not in the catalog")
        if result["rows"]["product"] != args.products:
            slow.append(f"{database}: {result['rows']['product']} products, not {args.products}")
    print(
        "| database | products | preview (new) | import (new) | preview (all changed) "
        "| import (all changed) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['database']} | {r['products']:,} | {r['new']['preview_s']} s | "
            f"{r['new']['import_s']} s | {r['changed']['preview_s']} s | "
            f"{r['changed']['import_s']} s |"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    if slow:
        raise SystemExit("bench: catalog import over its bound: " + "; ".join(slow))


if __name__ == "__main__":
    main()
