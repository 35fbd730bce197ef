"""Guessing claim codes: one budget per code however it is typed, and no rows for the refused."""

from __future__ import annotations

from flask import Flask

from kiosk.models import RateLimitHit
from kiosk.services import claiming


def visit(app: Flask, path: str, address: str) -> int:
    return app.test_client().get(path, environ_base={"REMOTE_ADDR": address}).status_code


def test_one_code_typed_five_ways_shares_one_budget_of_tries(app: Flask, shop) -> None:
    # The same code as a phone's keyboard, a person or a script may type it; each try comes
    # from another phone, so only the per-code limit can stop them.
    variants = ["WWXT-JJQX", "WW-XTJJQX", "-WWXTJJQX", "wwxtjjqx", "WWXTJJQX-"]
    tries = [
        visit(app, f"/c/{variant}", f"198.51.100.{n * 2 + k}")
        for n, variant in enumerate(variants)
        for k in range(2)
    ]
    assert len(tries) == claiming.CLAIM_LIMIT_PER_CODE
    assert set(tries) == {404}
    assert visit(app, "/c/WWXTJJ-QX", "198.51.100.99") == 429
    assert visit(app, "/c/wwxt-jjqx", "198.51.100.98") == 429
    # Another code still has its own budget.
    assert visit(app, "/c/WWXT-JJQY", "198.51.100.97") == 404
    # The counter table keeps no code, typed or normalised.
    keys = [hit.key for hit in RateLimitHit.select()]
    assert not any("WWXT" in key.upper() for key in keys), keys


def test_a_client_over_its_limit_adds_no_more_counter_rows(app: Flask, shop) -> None:
    guesser = app.test_client()
    limit = claiming.CLAIM_LIMIT_PER_CLIENT
    statuses = [guesser.get(f"/c/AAAA-{n:04d}").status_code for n in range(limit)]
    assert set(statuses) == {404}
    rows_at_the_limit = RateLimitHit.select().count()
    assert rows_at_the_limit == limit + 1  # one per code tried, and the client's own

    refused = [guesser.get(f"/c/BBBB-{n:04d}").status_code for n in range(20)]

    assert set(refused) == {429}
    assert RateLimitHit.select().count() == rows_at_the_limit
    client_row = RateLimitHit.get(RateLimitHit.key.startswith("claim:client:"))
    assert client_row.hits == limit + 20  # the client's own count goes on
