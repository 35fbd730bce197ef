"""Units after the counter: back to the maker, between stores, and counted on the shelf.

- shipment and shipment_unit: a box of units going back to the maker under its RMA reference;
  a unit is in one shipment ever (unique device_id).
- transfer, transfer_unit, transfer_line: stock sent between stores; a unit is on the road in
  one transfer at a time (a partial unique index on the units in state 'sent').
- stock_count, stock_count_unit: a count of a store's serial units, one open per store.
- sale_line.device_id and swap's device columns lose "once ever" for "once at a time" (see
  RESALE below).
- swap.unit_state: at a money back the desk says whether the unit came back sealed (back on
  the shelf) or opened / faulty (waiting to go back to the maker). Money-back units returned
  before this column existed were never put back on the shelf: they are 'opened'.
"""

from __future__ import annotations

from peewee import Database

UNIT_STATE = (
    'ALTER TABLE "swap" ADD COLUMN "unit_state" VARCHAR(16) '
    "CHECK (unit_state IN ('sealed', 'opened', 'faulty'))"
)
BACKFILL = 'UPDATE "swap" SET "unit_state" = \'opened\' WHERE "outcome" = \'money_back\''

# A sealed return goes back on the shelf and may be sold, swapped and returned again: a unit
# is sold once at a time (the sale's conditional update), and leaves or joins a chain once.
RESALE = [
    'DROP INDEX "sale_line_device_id"',
    'CREATE INDEX "sale_line_device_id" ON "sale_line" ("device_id")',
    # The two unique pairs below serve the foreign keys as well.
    'DROP INDEX "swap_old_device_id"',
    'DROP INDEX "swap_new_device_id"',
    'CREATE UNIQUE INDEX "swap_old_device_id_registration_id" ON "swap" '
    '("old_device_id", "registration_id")',
    'CREATE UNIQUE INDEX "swap_new_device_id_registration_id" ON "swap" '
    '("new_device_id", "registration_id")',
]

SQLITE = [
    'CREATE TABLE "shipment" ("id" INTEGER NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "rma_reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'shipped\', \'credited\')), "created_by_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "shipped_by_id" INTEGER, "shipped_at" DATETIME, "credited_by_id" INTEGER, "credited_at" DATETIME, "credit_reference" VARCHAR(64) NOT NULL, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("created_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("shipped_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("credited_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "shipment_created_by_id" ON "shipment" ("created_by_id")',
    'CREATE INDEX "shipment_shipped_by_id" ON "shipment" ("shipped_by_id")',
    'CREATE INDEX "shipment_credited_by_id" ON "shipment" ("credited_by_id")',
    'CREATE UNIQUE INDEX "shipment_store_id_rma_reference" ON "shipment" ("store_id", "rma_reference")',
    'CREATE TABLE "shipment_unit" ("id" INTEGER NOT NULL PRIMARY KEY, "shipment_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "packed_by_id" INTEGER NOT NULL, "packed_at" DATETIME NOT NULL, FOREIGN KEY ("shipment_id") REFERENCES "shipment" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT, FOREIGN KEY ("packed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "shipment_unit_shipment_id" ON "shipment_unit" ("shipment_id")',
    'CREATE UNIQUE INDEX "shipment_unit_device_id" ON "shipment_unit" ("device_id")',
    'CREATE INDEX "shipment_unit_packed_by_id" ON "shipment_unit" ("packed_by_id")',
    'CREATE TABLE "transfer" ("id" INTEGER NOT NULL PRIMARY KEY, "from_store_id" INTEGER NOT NULL, "to_store_id" INTEGER NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'draft\', \'in_transit\', \'received\', \'cancelled\')), "created_by_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "sent_by_id" INTEGER, "sent_at" DATETIME, "closed_by_id" INTEGER, "closed_at" DATETIME, FOREIGN KEY ("from_store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("to_store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("created_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("sent_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("closed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, CHECK (from_store_id <> to_store_id))',
    'CREATE INDEX "transfer_created_by_id" ON "transfer" ("created_by_id")',
    'CREATE INDEX "transfer_sent_by_id" ON "transfer" ("sent_by_id")',
    'CREATE INDEX "transfer_closed_by_id" ON "transfer" ("closed_by_id")',
    'CREATE INDEX "transfer_to_store_id_status" ON "transfer" ("to_store_id", "status")',
    'CREATE INDEX "transfer_from_store_id_status" ON "transfer" ("from_store_id", "status")',
    'CREATE TABLE "transfer_unit" ("id" INTEGER NOT NULL PRIMARY KEY, "transfer_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "state" VARCHAR(16) NOT NULL CHECK (state IN (\'draft\', \'sent\', \'received\', \'missing\', \'extra\', \'cancelled\')), "updated_at" DATETIME NOT NULL, FOREIGN KEY ("transfer_id") REFERENCES "transfer" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "transfer_unit_device_id" ON "transfer_unit" ("device_id")',
    'CREATE UNIQUE INDEX "transfer_unit_transfer_id_device_id" ON "transfer_unit" ("transfer_id", "device_id")',
    'CREATE UNIQUE INDEX "transfer_unit_one_on_the_road" ON "transfer_unit" ("device_id") WHERE state = \'sent\'',
    'CREATE TABLE "transfer_line" ("id" INTEGER NOT NULL PRIMARY KEY, "transfer_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL CHECK (quantity > 0), "received" INTEGER CHECK (received >= 0), FOREIGN KEY ("transfer_id") REFERENCES "transfer" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "transfer_line_product_id" ON "transfer_line" ("product_id")',
    'CREATE UNIQUE INDEX "transfer_line_transfer_id_product_id" ON "transfer_line" ("transfer_id", "product_id")',
    'CREATE TABLE "stock_count" ("id" INTEGER NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "product_id" INTEGER, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'closed\')), "started_by_id" INTEGER NOT NULL, "started_at" DATETIME NOT NULL, "closed_by_id" INTEGER, "closed_at" DATETIME, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("started_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("closed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_count_store_id" ON "stock_count" ("store_id")',
    'CREATE INDEX "stock_count_product_id" ON "stock_count" ("product_id")',
    'CREATE INDEX "stock_count_started_by_id" ON "stock_count" ("started_by_id")',
    'CREATE INDEX "stock_count_closed_by_id" ON "stock_count" ("closed_by_id")',
    'CREATE UNIQUE INDEX "stock_count_one_open" ON "stock_count" ("store_id") WHERE status = \'open\'',
    'CREATE TABLE "stock_count_unit" ("id" INTEGER NOT NULL PRIMARY KEY, "count_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "scanned_by_id" INTEGER, "scanned_at" DATETIME, "result" VARCHAR(16) CHECK (result IN (\'counted\', \'unexpected\', \'lost\', \'damaged\', \'found_elsewhere\')), "status_before" VARCHAR(16) NOT NULL, FOREIGN KEY ("count_id") REFERENCES "stock_count" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT, FOREIGN KEY ("scanned_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_count_unit_device_id" ON "stock_count_unit" ("device_id")',
    'CREATE INDEX "stock_count_unit_scanned_by_id" ON "stock_count_unit" ("scanned_by_id")',
    'CREATE UNIQUE INDEX "stock_count_unit_count_id_device_id" ON "stock_count_unit" ("count_id", "device_id")',
]

POSTGRES = [
    'CREATE TABLE "shipment" ("id" SERIAL NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "rma_reference" VARCHAR(64) NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'shipped\', \'credited\')), "created_by_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, "shipped_by_id" INTEGER, "shipped_at" TIMESTAMP, "credited_by_id" INTEGER, "credited_at" TIMESTAMP, "credit_reference" VARCHAR(64) NOT NULL, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("created_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("shipped_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("credited_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "shipment_created_by_id" ON "shipment" ("created_by_id")',
    'CREATE INDEX "shipment_shipped_by_id" ON "shipment" ("shipped_by_id")',
    'CREATE INDEX "shipment_credited_by_id" ON "shipment" ("credited_by_id")',
    'CREATE UNIQUE INDEX "shipment_store_id_rma_reference" ON "shipment" ("store_id", "rma_reference")',
    'CREATE TABLE "shipment_unit" ("id" SERIAL NOT NULL PRIMARY KEY, "shipment_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "packed_by_id" INTEGER NOT NULL, "packed_at" TIMESTAMP NOT NULL, FOREIGN KEY ("shipment_id") REFERENCES "shipment" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT, FOREIGN KEY ("packed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "shipment_unit_shipment_id" ON "shipment_unit" ("shipment_id")',
    'CREATE UNIQUE INDEX "shipment_unit_device_id" ON "shipment_unit" ("device_id")',
    'CREATE INDEX "shipment_unit_packed_by_id" ON "shipment_unit" ("packed_by_id")',
    'CREATE TABLE "transfer" ("id" SERIAL NOT NULL PRIMARY KEY, "from_store_id" INTEGER NOT NULL, "to_store_id" INTEGER NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'draft\', \'in_transit\', \'received\', \'cancelled\')), "created_by_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, "sent_by_id" INTEGER, "sent_at" TIMESTAMP, "closed_by_id" INTEGER, "closed_at" TIMESTAMP, FOREIGN KEY ("from_store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("to_store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("created_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("sent_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("closed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, CHECK (from_store_id <> to_store_id))',
    'CREATE INDEX "transfer_created_by_id" ON "transfer" ("created_by_id")',
    'CREATE INDEX "transfer_sent_by_id" ON "transfer" ("sent_by_id")',
    'CREATE INDEX "transfer_closed_by_id" ON "transfer" ("closed_by_id")',
    'CREATE INDEX "transfer_to_store_id_status" ON "transfer" ("to_store_id", "status")',
    'CREATE INDEX "transfer_from_store_id_status" ON "transfer" ("from_store_id", "status")',
    'CREATE TABLE "transfer_unit" ("id" SERIAL NOT NULL PRIMARY KEY, "transfer_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "state" VARCHAR(16) NOT NULL CHECK (state IN (\'draft\', \'sent\', \'received\', \'missing\', \'extra\', \'cancelled\')), "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("transfer_id") REFERENCES "transfer" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "transfer_unit_device_id" ON "transfer_unit" ("device_id")',
    'CREATE UNIQUE INDEX "transfer_unit_transfer_id_device_id" ON "transfer_unit" ("transfer_id", "device_id")',
    'CREATE UNIQUE INDEX "transfer_unit_one_on_the_road" ON "transfer_unit" ("device_id") WHERE state = \'sent\'',
    'CREATE TABLE "transfer_line" ("id" SERIAL NOT NULL PRIMARY KEY, "transfer_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL CHECK (quantity > 0), "received" INTEGER CHECK (received >= 0), FOREIGN KEY ("transfer_id") REFERENCES "transfer" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "transfer_line_product_id" ON "transfer_line" ("product_id")',
    'CREATE UNIQUE INDEX "transfer_line_transfer_id_product_id" ON "transfer_line" ("transfer_id", "product_id")',
    'CREATE TABLE "stock_count" ("id" SERIAL NOT NULL PRIMARY KEY, "store_id" INTEGER NOT NULL, "product_id" INTEGER, "status" VARCHAR(16) NOT NULL CHECK (status IN (\'open\', \'closed\')), "started_by_id" INTEGER NOT NULL, "started_at" TIMESTAMP NOT NULL, "closed_by_id" INTEGER, "closed_at" TIMESTAMP, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("started_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT, FOREIGN KEY ("closed_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_count_store_id" ON "stock_count" ("store_id")',
    'CREATE INDEX "stock_count_product_id" ON "stock_count" ("product_id")',
    'CREATE INDEX "stock_count_started_by_id" ON "stock_count" ("started_by_id")',
    'CREATE INDEX "stock_count_closed_by_id" ON "stock_count" ("closed_by_id")',
    'CREATE UNIQUE INDEX "stock_count_one_open" ON "stock_count" ("store_id") WHERE status = \'open\'',
    'CREATE TABLE "stock_count_unit" ("id" SERIAL NOT NULL PRIMARY KEY, "count_id" INTEGER NOT NULL, "device_id" INTEGER NOT NULL, "scanned_by_id" INTEGER, "scanned_at" TIMESTAMP, "result" VARCHAR(16) CHECK (result IN (\'counted\', \'unexpected\', \'lost\', \'damaged\', \'found_elsewhere\')), "status_before" VARCHAR(16) NOT NULL, FOREIGN KEY ("count_id") REFERENCES "stock_count" ("id") ON DELETE CASCADE, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE RESTRICT, FOREIGN KEY ("scanned_by_id") REFERENCES "staff" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "stock_count_unit_device_id" ON "stock_count_unit" ("device_id")',
    'CREATE INDEX "stock_count_unit_scanned_by_id" ON "stock_count_unit" ("scanned_by_id")',
    'CREATE UNIQUE INDEX "stock_count_unit_count_id_device_id" ON "stock_count_unit" ("count_id", "device_id")',
]

SQL = {
    "sqlite": [UNIT_STATE, BACKFILL, *RESALE, *SQLITE],
    "postgres": [UNIT_STATE, BACKFILL, *RESALE, *POSTGRES],
}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
