"""Customers by mobile number, their addresses, SMS codes, and each store's contact.

- ``customer.email`` may be NULL (an account made with a mobile number alone); the unique
  index stays, and both databases let any number of NULLs through it.
- ``customer.mobile``: the verified number in E.164, unique.
- ``address``: "My details"; a partial unique index allows one default per customer.
- ``one_time_code``: codes sent by SMS, stored as a keyed hash.
- ``store.contact_phone``, ``contact_email``, ``opening_hours``: the customer's help page.

SQLite cannot drop a NOT NULL with ALTER TABLE. The runner could rebuild the table with
foreign keys off (``FOREIGN_KEYS_OFF``, as 0003 does), but that copies every customer for a
change that moves no data. SQLite documents a narrower way for a change that leaves the stored
rows as they are, removing a NOT NULL among them (https://sqlite.org/lang_altertable.html,
"otherwise"): edit the table's text in ``sqlite_master`` and bump the schema version, inside
the transaction, then check integrity.
"""

from __future__ import annotations

from peewee import Database

EMAIL_NOT_NULL = '"email" VARCHAR(254) NOT NULL'
EMAIL_NULL = '"email" VARCHAR(254)'

COMMON = [
    'CREATE UNIQUE INDEX "customer_mobile" ON "customer" ("mobile")',
    'CREATE INDEX "address_customer_id" ON "address" ("customer_id")',
    'CREATE UNIQUE INDEX "address_one_default" ON "address" ("customer_id") WHERE is_default',
    'CREATE INDEX "one_time_code_customer_id" ON "one_time_code" ("customer_id")',
    'CREATE INDEX "one_time_code_expires_at" ON "one_time_code" ("expires_at")',
]

SQL = {
    "sqlite": [
        'ALTER TABLE "customer" ADD COLUMN "mobile" VARCHAR(16)',
        """ALTER TABLE "store" ADD COLUMN "contact_phone" VARCHAR(32) NOT NULL DEFAULT ''""",
        """ALTER TABLE "store" ADD COLUMN "contact_email" VARCHAR(254) NOT NULL DEFAULT ''""",
        """ALTER TABLE "store" ADD COLUMN "opening_hours" VARCHAR(500) NOT NULL DEFAULT ''""",
        'CREATE TABLE "address" ("id" INTEGER NOT NULL PRIMARY KEY, "customer_id" INTEGER NOT NULL, "recipient" VARCHAR(120) NOT NULL, "street" VARCHAR(200) NOT NULL, "extra" VARCHAR(200) NOT NULL, "postal_code" VARCHAR(16) NOT NULL, "city" VARCHAR(100) NOT NULL, "country" VARCHAR(2) NOT NULL, "is_default" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
        'CREATE TABLE "one_time_code" ("id" INTEGER NOT NULL PRIMARY KEY, "purpose" VARCHAR(16) NOT NULL CHECK (purpose IN (\'signin\', \'signup\', \'add_mobile\')), "mobile" VARCHAR(16) NOT NULL, "customer_id" INTEGER, "code_hash" VARCHAR(100) NOT NULL, "details" TEXT NOT NULL, "attempts" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "expires_at" DATETIME NOT NULL, "used_at" DATETIME, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
        *COMMON,
    ],
    "postgres": [
        'ALTER TABLE "customer" ALTER COLUMN "email" DROP NOT NULL',
        'ALTER TABLE "customer" ADD COLUMN "mobile" VARCHAR(16)',
        """ALTER TABLE "store" ADD COLUMN "contact_phone" VARCHAR(32) NOT NULL DEFAULT ''""",
        """ALTER TABLE "store" ADD COLUMN "contact_email" VARCHAR(254) NOT NULL DEFAULT ''""",
        """ALTER TABLE "store" ADD COLUMN "opening_hours" VARCHAR(500) NOT NULL DEFAULT ''""",
        'CREATE TABLE "address" ("id" SERIAL NOT NULL PRIMARY KEY, "customer_id" INTEGER NOT NULL, "recipient" VARCHAR(120) NOT NULL, "street" VARCHAR(200) NOT NULL, "extra" VARCHAR(200) NOT NULL, "postal_code" VARCHAR(16) NOT NULL, "city" VARCHAR(100) NOT NULL, "country" VARCHAR(2) NOT NULL, "is_default" BOOLEAN NOT NULL, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
        'CREATE TABLE "one_time_code" ("id" SERIAL NOT NULL PRIMARY KEY, "purpose" VARCHAR(16) NOT NULL CHECK (purpose IN (\'signin\', \'signup\', \'add_mobile\')), "mobile" VARCHAR(16) NOT NULL, "customer_id" INTEGER, "code_hash" VARCHAR(100) NOT NULL, "details" TEXT NOT NULL, "attempts" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, "expires_at" TIMESTAMP NOT NULL, "used_at" TIMESTAMP, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)',
        *COMMON,
    ],
}


def _sqlite_email_nullable(db: Database) -> None:
    """Drop NOT NULL from customer.email in place (see the module's docstring)."""
    (version,) = db.execute_sql("PRAGMA schema_version").fetchone()
    db.execute_sql("PRAGMA writable_schema = ON")
    try:
        changed = db.execute_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'customer' AND instr(sql, ?) > 0",
            (EMAIL_NOT_NULL, EMAIL_NULL, EMAIL_NOT_NULL),
        ).rowcount
        if changed != 1:
            raise RuntimeError("customer.email is not declared as 0001_initial made it")
        db.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute_sql("PRAGMA writable_schema = OFF")
    problems = [row[0] for row in db.execute_sql("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity check after changing customer.email: {problems}")


def upgrade(db: Database, dialect: str) -> None:
    if dialect == "sqlite":
        _sqlite_email_nullable(db)
    for statement in SQL[dialect]:
        db.execute_sql(statement)
