"""Test databases are created, migrated and dropped as the owner role; the tests then run as the app."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import creation

from yuqing.postgres.owner import as_owner


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args: Any, **kwargs: Any) -> str:
        with as_owner(self.connection):
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args: Any, **kwargs: Any) -> None:
        with as_owner(self.connection):
            super().destroy_test_db(*args, **kwargs)
