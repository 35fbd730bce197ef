"""Markets with their own prices, translated product names, the seller on receipts, and the
life of a unit (more statuses, and one event per step).

- A market is a country with its currency and VAT rates. One market is made for each
  currency the stores use (ISO 4217 codes start with the country's ISO 3166 code: SEK is
  Sweden, GBP the United Kingdom, EUR becomes "EU" until an admin splits it), and today's
  single price and VAT rate of every product becomes its price in every market, so nothing
  sold today costs anything else tomorrow. The stores' currency moves to their market.
- Products lose price and VAT rate (now per market) and gain a serial pattern.
- A unit may now also be in transit, shipped back to the maker, lost or damaged.
- device_event is the unit's life; it is filled from what the database already knows:
  received, sold, registered, swapped out or returned, handed out as a replacement.

SQLite cannot change a column's constraints in place: store, product and device are rebuilt
(the documented 12-step procedure), so this file runs with foreign keys off and the runner
checks them before it commits (FOREIGN_KEYS_OFF).
"""

from __future__ import annotations

from peewee import Database

FOREIGN_KEYS_OFF = True

STATUSES = (
    "'in_stock', 'sold', 'returned', 'replaced_out', 'in_transit', 'shipped', 'lost', 'damaged'"
)
EVENTS = (
    "'received', 'sold', 'registered', 'swapped_out', 'replacement', 'returned', 'restocked', "
    "'packed', 'unpacked', 'shipped', 'credited', 'transfer_sent', 'transfer_received', "
    "'transfer_cancelled', 'counted'"
)
COUNTRY_NAMES = (
    "CASE currency WHEN 'SEK' THEN 'Sweden' WHEN 'GBP' THEN 'United Kingdom' "
    "WHEN 'NOK' THEN 'Norway' WHEN 'DKK' THEN 'Denmark' WHEN 'EUR' THEN 'Euro area' "
    "ELSE currency END"
)


def _markets(now: str, rates: str) -> str:
    return (
        'INSERT INTO "market" ("code", "name", "currency", "vat_rates", "created_at") '
        f"SELECT DISTINCT UPPER(SUBSTR(currency, 1, 2)), {COUNTRY_NAMES}, currency, "
        f"COALESCE(({rates}), '2500'), {now} FROM \"store\""
    )


PRICES = (
    'INSERT INTO "product_price" ("product_id", "market_id", "price", "vat_rate") '
    'SELECT p."id", m."id", p."price", p."vat_rate" FROM "product" p CROSS JOIN "market" m'
)

# The life so far: each unit received, then sold, registered, and swapped or returned.
BACKFILL = [
    'INSERT INTO "device_event" ("device_id", "event", "store_id", "staff_id", "status", '
    '"subject_type", "subject_id", "reference", "created_at") '
    "SELECT d.\"id\", 'received', d.\"store_id\", NULL, 'in_stock', '', NULL, '', "
    'd."received_at" FROM "device" d',
    'INSERT INTO "device_event" ("device_id", "event", "store_id", "staff_id", "status", '
    '"subject_type", "subject_id", "reference", "created_at") '
    'SELECT l."device_id", \'sold\', s."store_id", s."staff_id", \'sold\', \'sale\', s."id", '
    '\'\', s."created_at" FROM "sale_line" l JOIN "sale" s ON s."id" = l."sale_id" '
    'WHERE l."device_id" IS NOT NULL',
    'INSERT INTO "device_event" ("device_id", "event", "store_id", "staff_id", "status", '
    '"subject_type", "subject_id", "reference", "created_at") '
    'SELECT d."id", \'registered\', r."store_id", r."registered_by_id", \'sold\', '
    '\'registration\', r."id", \'\', d."first_registered_at" FROM "device" d '
    'JOIN "registration" r ON r."id" = d."registration_id" '
    'WHERE d."first_registered_at" IS NOT NULL',
    'INSERT INTO "device_event" ("device_id", "event", "store_id", "staff_id", "status", '
    '"subject_type", "subject_id", "reference", "created_at") '
    "SELECT w.\"old_device_id\", CASE WHEN w.\"outcome\" = 'money_back' THEN 'returned' "
    'ELSE \'swapped_out\' END, w."store_id", w."staff_id", CASE WHEN w."outcome" = '
    "'money_back' THEN 'returned' ELSE 'replaced_out' END, 'swap', w.\"id\", '', "
    'w."created_at" FROM "swap" w',
    'INSERT INTO "device_event" ("device_id", "event", "store_id", "staff_id", "status", '
    '"subject_type", "subject_id", "reference", "created_at") '
    'SELECT w."new_device_id", \'replacement\', w."store_id", w."staff_id", \'sold\', '
    '\'swap\', w."id", \'\', w."created_at" FROM "swap" w '
    'WHERE w."new_device_id" IS NOT NULL',
]

SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
SQLITE_RATES = (
    "SELECT group_concat(rate, ',') FROM "
    '(SELECT DISTINCT "vat_rate" AS rate FROM "product" ORDER BY rate DESC)'
)
STORE_COLUMNS = (
    '"id", "code", "name", "brand_name", "timezone", "language", "legal_age", '
    '"challenge_age", "idle_lock_seconds", "claim_token_days", "benefit_discount_percent", '
    '"money_back_limit", "refusal_retention_days", "created_at"'
)
DEVICE_COLUMNS = (
    '"id", "serial", "product_id", "store_id", "status", "registration_id", '
    '"first_registered_at", "fault_code", "notes", "received_at"'
)

SQLITE = [
    'CREATE TABLE "market" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(2) NOT NULL, "name" VARCHAR(80) NOT NULL, "currency" VARCHAR(3) NOT NULL, "vat_rates" VARCHAR(80) NOT NULL, "created_at" DATETIME NOT NULL)',
    'CREATE UNIQUE INDEX "market_code" ON "market" ("code")',
    _markets(SQLITE_NOW, SQLITE_RATES),
    # store: currency moves to the market; the seller's address and numbers for receipts.
    'CREATE TABLE "store_new" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(16) NOT NULL, "name" VARCHAR(120) NOT NULL, "brand_name" VARCHAR(120) NOT NULL, "market_id" INTEGER NOT NULL, "timezone" VARCHAR(64) NOT NULL, "language" VARCHAR(8) NOT NULL, "legal_age" INTEGER NOT NULL CHECK (legal_age BETWEEN 16 AND 25), "challenge_age" INTEGER, "idle_lock_seconds" INTEGER NOT NULL CHECK (idle_lock_seconds >= 30), "claim_token_days" INTEGER NOT NULL CHECK (claim_token_days >= 1), "benefit_discount_percent" INTEGER NOT NULL, "money_back_limit" INTEGER NOT NULL, "refusal_retention_days" INTEGER NOT NULL, "address" VARCHAR(300) NOT NULL, "org_number" VARCHAR(32) NOT NULL, "vat_number" VARCHAR(32) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("market_id") REFERENCES "market" ("id") ON DELETE RESTRICT)',
    f'INSERT INTO "store_new" ({STORE_COLUMNS}, "market_id", "address", "org_number", '
    f'"vat_number") SELECT {STORE_COLUMNS}, (SELECT m."id" FROM "market" m '
    'WHERE m."currency" = "store"."currency"), \'\', \'\', \'\' FROM "store"',
    'DROP TABLE "store"',
    'ALTER TABLE "store_new" RENAME TO "store"',
    'CREATE UNIQUE INDEX "store_code" ON "store" ("code")',
    'CREATE INDEX "store_market_id" ON "store" ("market_id")',
    # product: prices per market, names per language, a device model's serial pattern.
    'CREATE TABLE "product_price" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "market_id" INTEGER NOT NULL, "price" INTEGER NOT NULL CHECK (price >= 0), "vat_rate" INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000), FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, FOREIGN KEY ("market_id") REFERENCES "market" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "product_price_product_id" ON "product_price" ("product_id")',
    'CREATE INDEX "product_price_market_id" ON "product_price" ("market_id")',
    'CREATE UNIQUE INDEX "product_price_product_id_market_id" ON "product_price" ("product_id", "market_id")',
    PRICES,
    'CREATE TABLE "product_new" ("id" INTEGER NOT NULL PRIMARY KEY, "sku" VARCHAR(32) NOT NULL, "name" VARCHAR(120) NOT NULL, "kind" VARCHAR(16) NOT NULL CHECK (kind IN (\'device\', \'consumable\', \'accessory\')), "age_restricted" INTEGER NOT NULL, "min_age" INTEGER, "serial_pattern" VARCHAR(200), "is_active" INTEGER NOT NULL)',
    'INSERT INTO "product_new" ("id", "sku", "name", "kind", "age_restricted", "min_age", "is_active") '
    'SELECT "id", "sku", "name", "kind", "age_restricted", "min_age", "is_active" FROM "product"',
    'DROP TABLE "product"',
    'ALTER TABLE "product_new" RENAME TO "product"',
    'CREATE UNIQUE INDEX "product_sku" ON "product" ("sku")',
    'CREATE INDEX "product_kind_name" ON "product" ("kind", "name")',
    'CREATE TABLE "product_name" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "language" VARCHAR(8) NOT NULL, "name" VARCHAR(120) NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "product_name_product_id" ON "product_name" ("product_id")',
    'CREATE UNIQUE INDEX "product_name_product_id_language" ON "product_name" ("product_id", "language")',
    # device: the statuses of a unit's whole life.
    f'CREATE TABLE "device_new" ("id" INTEGER NOT NULL PRIMARY KEY, "serial" VARCHAR(64) NOT NULL, "product_id" INTEGER NOT NULL, "store_id" INTEGER NOT NULL, "status" VARCHAR(16) NOT NULL CHECK (status IN ({STATUSES})), "registration_id" INTEGER, "first_registered_at" DATETIME, "fault_code" VARCHAR(32), "notes" VARCHAR(500), "received_at" DATETIME NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("registration_id") REFERENCES "registration" ("id") ON DELETE SET NULL)',
    f'INSERT INTO "device_new" ({DEVICE_COLUMNS}) SELECT {DEVICE_COLUMNS} FROM "device"',
    'DROP TABLE "device"',
    'ALTER TABLE "device_new" RENAME TO "device"',
    'CREATE UNIQUE INDEX "device_serial" ON "device" ("serial")',
    'CREATE INDEX "device_product_id" ON "device" ("product_id")',
    'CREATE INDEX "device_store_id" ON "device" ("store_id")',
    'CREATE INDEX "device_registration_id" ON "device" ("registration_id")',
    'CREATE INDEX "device_store_id_status_product_id" ON "device" ("store_id", "status", "product_id")',
    f'CREATE TABLE "device_event" ("id" INTEGER NOT NULL PRIMARY KEY, "device_id" INTEGER NOT NULL, "event" VARCHAR(24) NOT NULL CHECK (event IN ({EVENTS})), "store_id" INTEGER NOT NULL, "staff_id" INTEGER, "status" VARCHAR(16) NOT NULL, "subject_type" VARCHAR(32) NOT NULL, "subject_id" INTEGER, "reference" VARCHAR(64) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE CASCADE, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "device_event_store_id" ON "device_event" ("store_id")',
    'CREATE INDEX "device_event_staff_id" ON "device_event" ("staff_id")',
    'CREATE INDEX "device_event_device_id_id" ON "device_event" ("device_id", "id")',
    *BACKFILL,
]

POSTGRES_NOW = "(now() AT TIME ZONE 'utc')"
POSTGRES_RATES = (
    "SELECT string_agg(rate::text, ',' ORDER BY rate DESC) FROM "
    '(SELECT DISTINCT "vat_rate" AS rate FROM "product") r'
)

POSTGRES = [
    'CREATE TABLE "market" ("id" SERIAL NOT NULL PRIMARY KEY, "code" VARCHAR(2) NOT NULL, "name" VARCHAR(80) NOT NULL, "currency" VARCHAR(3) NOT NULL, "vat_rates" VARCHAR(80) NOT NULL, "created_at" TIMESTAMP NOT NULL)',
    'CREATE UNIQUE INDEX "market_code" ON "market" ("code")',
    _markets(POSTGRES_NOW, POSTGRES_RATES),
    'ALTER TABLE "store" ADD COLUMN "market_id" INTEGER REFERENCES "market" ("id") ON DELETE RESTRICT',
    'UPDATE "store" SET "market_id" = (SELECT m."id" FROM "market" m WHERE m."currency" = "store"."currency")',
    'ALTER TABLE "store" ALTER COLUMN "market_id" SET NOT NULL',
    'ALTER TABLE "store" DROP COLUMN "currency"',
    'ALTER TABLE "store" ADD COLUMN "address" VARCHAR(300) NOT NULL DEFAULT \'\', '
    "ADD COLUMN \"org_number\" VARCHAR(32) NOT NULL DEFAULT '', "
    "ADD COLUMN \"vat_number\" VARCHAR(32) NOT NULL DEFAULT ''",
    'CREATE INDEX "store_market_id" ON "store" ("market_id")',
    'CREATE TABLE "product_price" ("id" SERIAL NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "market_id" INTEGER NOT NULL, "price" INTEGER NOT NULL CHECK (price >= 0), "vat_rate" INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000), FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, FOREIGN KEY ("market_id") REFERENCES "market" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX "product_price_product_id" ON "product_price" ("product_id")',
    'CREATE INDEX "product_price_market_id" ON "product_price" ("market_id")',
    'CREATE UNIQUE INDEX "product_price_product_id_market_id" ON "product_price" ("product_id", "market_id")',
    PRICES,
    'ALTER TABLE "product" DROP COLUMN "price", DROP COLUMN "vat_rate", '
    'ADD COLUMN "serial_pattern" VARCHAR(200)',
    'CREATE TABLE "product_name" ("id" SERIAL NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "language" VARCHAR(8) NOT NULL, "name" VARCHAR(120) NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "product_name_product_id" ON "product_name" ("product_id")',
    'CREATE UNIQUE INDEX "product_name_product_id_language" ON "product_name" ("product_id", "language")',
    'ALTER TABLE "device" DROP CONSTRAINT "device_status_check"',
    f'ALTER TABLE "device" ADD CONSTRAINT "device_status_check" CHECK (status IN ({STATUSES}))',
    f'CREATE TABLE "device_event" ("id" SERIAL NOT NULL PRIMARY KEY, "device_id" INTEGER NOT NULL, "event" VARCHAR(24) NOT NULL CHECK (event IN ({EVENTS})), "store_id" INTEGER NOT NULL, "staff_id" INTEGER, "status" VARCHAR(16) NOT NULL, "subject_type" VARCHAR(32) NOT NULL, "subject_id" INTEGER, "reference" VARCHAR(64) NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("device_id") REFERENCES "device" ("id") ON DELETE CASCADE, FOREIGN KEY ("store_id") REFERENCES "store" ("id") ON DELETE RESTRICT, FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "device_event_store_id" ON "device_event" ("store_id")',
    'CREATE INDEX "device_event_staff_id" ON "device_event" ("staff_id")',
    'CREATE INDEX "device_event_device_id_id" ON "device_event" ("device_id", "id")',
    *BACKFILL,
]

SQL = {"sqlite": SQLITE, "postgres": POSTGRES}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
