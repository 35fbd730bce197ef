"""Fixtures the HTTP tests of the counter share."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.http.test_counter import Counter


@pytest.fixture
def counter(client: FlaskClient, auth: AuthActions, shop) -> Counter:  # noqa: ANN001
    """Erik's tablet at the counter, signed in."""
    auth.sign_in("erik")
    return Counter(client)
