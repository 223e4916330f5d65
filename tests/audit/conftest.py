"""The audit tests tamper with the trail as someone with direct database access would: the owner.

On PostgreSQL with two roles (DATABASE_OWNER_URL set) the app role may not even try (it has no
UPDATE, DELETE or TRUNCATE on the trail, and cannot touch its trigger: tests/test_database_roles.py
shows that), so each test here connects as the owner before its transaction starts, and the
triggers are what refuses the change, as for a DBA.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from yuqing.postgres.owner import as_owner, owner_settings


@pytest.fixture
def _audit_as_owner(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if connection.vendor != "postgresql" or owner_settings(connection) is None or transactional:
        yield
        return
    with as_owner(connection):
        yield


@pytest.fixture
def _django_db_helper(_audit_as_owner: None, _django_db_helper: None) -> None:
    """pytest-django's own helper (the test transaction), opened once the connection is the owner's."""
