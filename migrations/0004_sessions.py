"""Sessions that end on the server, and claim secrets that need not be kept anywhere.

`web_session`: a row per live sign-in (tablet or customer), found by the hash of the random
key the session cookie carries; signing out deletes it, so a copy of the cookie stops working.
`claim_token.secret_nonce`: the QR secret is derived from it and the sale under the app's key,
so the tablet can show the QR again without keeping the secret in its cookie. Tokens issued
before this have no nonce ('') and simply cannot be shown again; their paper still works.
"""

from __future__ import annotations

from peewee import Database

WEB_SESSION = (
    'CREATE TABLE "web_session" ("id" {id} NOT NULL PRIMARY KEY, "key_hash" VARCHAR(64) NOT NULL, '
    '"staff_id" INTEGER, "customer_id" INTEGER, "created_at" {timestamp} NOT NULL, '
    'FOREIGN KEY ("staff_id") REFERENCES "staff" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE CASCADE)'
)
INDEXES = [
    'CREATE UNIQUE INDEX "web_session_key_hash" ON "web_session" ("key_hash")',
    'CREATE INDEX "web_session_staff_id" ON "web_session" ("staff_id")',
    'CREATE INDEX "web_session_customer_id" ON "web_session" ("customer_id")',
    'CREATE INDEX "web_session_created_at" ON "web_session" ("created_at")',
]
NONCE = 'ALTER TABLE "claim_token" ADD COLUMN "secret_nonce" VARCHAR(32) NOT NULL DEFAULT \'\''
SQL = {
    "sqlite": [WEB_SESSION.format(id="INTEGER", timestamp="DATETIME"), *INDEXES, NONCE],
    "postgres": [WEB_SESSION.format(id="SERIAL", timestamp="TIMESTAMP"), *INDEXES, NONCE],
}


def upgrade(db: Database, dialect: str) -> None:
    for statement in SQL[dialect]:
        db.execute_sql(statement)
