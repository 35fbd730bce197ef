"""A period's sales by VAT rate and kind, read from an index instead of the whole table.

The manager's sales page adds up a store's sale lines for a period. With only the index on
sale_id, PostgreSQL (once it had statistics) hashed the whole sale_line table for it: 32 ms
on a year of ten stores, and growing with every sale ever made. An index holding the sale
and the columns the sum needs lets it look up just the period's sales' lines (1.5 ms, flat
with history).
"""

from __future__ import annotations

from peewee import Database

STATEMENT = (
    'CREATE INDEX "sale_line_sale_id_product_id_vat_rate_line_total_vat_amount" '
    'ON "sale_line" ("sale_id", "product_id", "vat_rate", "line_total", "vat_amount")'
)
SQL = {"sqlite": [STATEMENT], "postgres": [STATEMENT]}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
