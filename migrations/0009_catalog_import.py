"""Catalog files uploaded in the back office, kept between their preview and their import.

The preview and the import may run on different workers or hosts, so the file's bytes live
in the database with their SHA-256; an imported file stays as the record of the change.
"""

from __future__ import annotations

from peewee import Database

INDEX = 'CREATE INDEX "catalog_import_staff_id" ON "catalog_import" ("staff_id")'
SQL = {
    "sqlite": [
        'CREATE TABLE "catalog_import" ("id" INTEGER NOT NULL PRIMARY KEY, "staff_id" INTEGER, '
        '"filename" VARCHAR(200) NOT NULL, "sha256" VARCHAR(64) NOT NULL, '
        '"content" BLOB NOT NULL, "created_at" DATETIME NOT NULL, "imported_at" DATETIME, '
        '"summary" TEXT NOT NULL, "row_count" INTEGER NOT NULL, '
        'FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
        INDEX,
    ],
    "postgres": [
        'CREATE TABLE "catalog_import" ("id" SERIAL NOT NULL PRIMARY KEY, "staff_id" INTEGER, '
        '"filename" VARCHAR(200) NOT NULL, "sha256" VARCHAR(64) NOT NULL, '
        '"content" BYTEA NOT NULL, "created_at" TIMESTAMP NOT NULL, "imported_at" TIMESTAMP, '
        '"summary" TEXT NOT NULL, "row_count" INTEGER NOT NULL, '
        'FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE SET NULL)',
        INDEX,
    ],
}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
