"""`migrate`, run as the owner role when DATABASE_OWNER_URL is set (the app role may not alter tables)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections

from yuqing.postgres.owner import as_owner


class Command(DjangoMigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            super().handle(*args, **options)
            return
        # Also in platform mode, so a data migration sees every tenant's rows under FORCE'd policies.
        with as_owner(connection):
            super().handle(*args, **options)
