"""Switching a connection to the owner role (`DATABASE_OWNER_URL`) for migrations and test setup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from yuqing.tenancy.context import dangerously_all_tenants

# Only the credentials change: the database (NAME) stays, which test setup renames as it goes.
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_settings(connection: BaseDatabaseWrapper) -> dict | None:
    return connection.settings_dict.get("OWNER") or None


def is_owner(connection: BaseDatabaseWrapper) -> bool:
    """True while the connection works as the owner: switched to it, or the only role there is."""
    return owner_settings(connection) is None or getattr(connection, "as_owner", False)


def app_role(connection: BaseDatabaseWrapper) -> str | None:
    """The app role the owner grants to; None when the app itself owns the tables (one role)."""
    if owner_settings(connection) is None:
        return None
    return getattr(connection, "app_user", None) or connection.settings_dict["USER"]


@contextmanager
def as_owner(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Reconnect as the owner for the block, then back as the app; in platform mode throughout,
    since migrations and test setup are platform work (a data migration must see every tenant)."""
    owner = owner_settings(connection)
    if owner is None or getattr(connection, "as_owner", False):
        with dangerously_all_tenants():
            yield
        return
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner[key] for key in CREDENTIALS if key in owner})
    connection.as_owner = True
    connection.app_user = saved["USER"]
    try:
        with dangerously_all_tenants():
            yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        connection.as_owner = False
