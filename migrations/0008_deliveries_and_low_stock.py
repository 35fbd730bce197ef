"""Stock coming in: deliveries scanned serial by serial, and the managers' low-stock levels.

- delivery: a supplier's delivery into one store, open while it is being scanned (one open
  delivery per store, a partial unique index), then received or discarded.
- delivery_line: each scan or count of a delivery: a unit by its serial (once per delivery),
  a quantity of a counted product (one line per product), or a refused scan with its reason.
- low_stock_level: per store and product, the level under which the manager's home shows it.

New tables only: nothing existing changes, so no data moves.
"""

from __future__ import annotations

from peewee import Database

SQLITE = [
    'CREATE TABLE "delivery" ("id" INTEGER NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'received\', \'discarded\')), "opened_by_id" INTEGER, "received_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "received_at" DATETIME, "local_date" DATE, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("opened_by_id") REFERENCES "staff" ("id") ON DELETE SET NULL, FOREIGN KEY ("received_by_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "delivery_store_id" ON "delivery" ("store_id")',
    'CREATE INDEX "delivery_opened_by_id" ON "delivery" ("opened_by_id")',
    'CREATE INDEX "delivery_received_by_id" ON "delivery" ("received_by_id")',
    'CREATE UNIQUE INDEX "delivery_one_open" ON "delivery" ("store_id") WHERE status = \'open\'',
    'CREATE TABLE "delivery_line" ("id" INTEGER NOT NULL PRIMARY KEY, "delivery_id" INTEGER NOT NULL, "product_id" INTEGER, "serial" VARCHAR(64), "scanned" VARCHAR(64) NOT NULL, "quantity" INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 9999), "refusal" VARCHAR(300) NOT NULL, "staff_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("delivery_id") REFERENCES "delivery" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "delivery_line_product_id" ON "delivery_line" ("product_id")',
    'CREATE INDEX "delivery_line_staff_id" ON "delivery_line" ("staff_id")',
    'CREATE UNIQUE INDEX "delivery_line_delivery_id_serial" ON "delivery_line" ("delivery_id", "serial")',
    'CREATE INDEX "delivery_line_delivery_id_id" ON "delivery_line" ("delivery_id", "id")',
    'CREATE UNIQUE INDEX "delivery_line_one_count" ON "delivery_line" ("delivery_id", "product_id") WHERE serial IS NULL AND refusal = \'\'',
    'CREATE TABLE "low_stock_level" ("id" INTEGER NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "level" INTEGER NOT NULL CHECK (level BETWEEN 0 AND 100000), FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "low_stock_level_product_id" ON "low_stock_level" ("product_id")',
    'CREATE UNIQUE INDEX "low_stock_level_store_id_product_id" ON "low_stock_level" ("store_id", "product_id")',
]

POSTGRES = [
    'CREATE TABLE "delivery" ("id" SERIAL NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'received\', \'discarded\')), "opened_by_id" INTEGER, "received_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, "received_at" TIMESTAMP, "local_date" DATE, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("opened_by_id") REFERENCES "staff" ("id") ON DELETE SET NULL, FOREIGN KEY ("received_by_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "delivery_store_id" ON "delivery" ("store_id")',
    'CREATE INDEX "delivery_opened_by_id" ON "delivery" ("opened_by_id")',
    'CREATE INDEX "delivery_received_by_id" ON "delivery" ("received_by_id")',
    'CREATE UNIQUE INDEX "delivery_one_open" ON "delivery" ("store_id") WHERE status = \'open\'',
    'CREATE TABLE "delivery_line" ("id" SERIAL NOT NULL PRIMARY KEY, "delivery_id" INTEGER NOT NULL, "product_id" INTEGER, "serial" VARCHAR(64), "scanned" VARCHAR(64) NOT NULL, "quantity" INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 9999), "refusal" VARCHAR(300) NOT NULL, "staff_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("delivery_id") REFERENCES "delivery" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "delivery_line_product_id" ON "delivery_line" ("product_id")',
    'CREATE INDEX "delivery_line_staff_id" ON "delivery_line" ("staff_id")',
    'CREATE UNIQUE INDEX "delivery_line_delivery_id_serial" ON "delivery_line" ("delivery_id", "serial")',
    'CREATE INDEX "delivery_line_delivery_id_id" ON "delivery_line" ("delivery_id", "id")',
    'CREATE UNIQUE INDEX "delivery_line_one_count" ON "delivery_line" ("delivery_id", "product_id") WHERE serial IS NULL AND refusal = \'\'',
    'CREATE TABLE "low_stock_level" ("id" SERIAL NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "level" INTEGER NOT NULL CHECK (level BETWEEN 0 AND 100000), FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "low_stock_level_product_id" ON "low_stock_level" ("product_id")',
    'CREATE UNIQUE INDEX "low_stock_level_store_id_product_id" ON "low_stock_level" ("store_id", "product_id")',
]

SQL = {"sqlite": SQLITE, "postgres": POSTGRES}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
