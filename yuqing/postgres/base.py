"""Django's PostgreSQL backend, keeping the connection's tenant setting in step with the context.

The settings row-level security reads are session settings (`set_config(..., false)`), set lazily
just before the first query that runs under a different tenant context: one `set_config` per
context switch. What was set is remembered per connection and forgotten whenever PostgreSQL may
have undone it: a (savepoint) rollback undoes a `set_config` made inside the rolled-back part, and
a new connection starts empty. A persistent connection (CONN_MAX_AGE) therefore never carries a
tenant into the next request: that request's first query runs with the context it has (none, so
the setting is emptied, before the middleware has even chosen a tenant).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from yuqing.postgres.creation import DatabaseCreation
from yuqing.tenancy.context import database_setting

_UNKNOWN: tuple[str, str] = ("?", "?")  # never a value we set, so the next query sets it
SET_TENANT_SQL = "SELECT set_config('yuqing.tenant_id', %s, false), set_config('yuqing.all_tenants', %s, false)"


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_setting = _UNKNOWN
        self.tenant_setting_paused = False
        # First in the list, so it is the outermost wrapper and also covers other wrappers' queries.
        self.execute_wrappers.insert(0, self._apply_tenant_setting)

    def _apply_tenant_setting(self, execute: Any, sql: str, params: Any, many: bool, context: dict) -> Any:
        wanted = database_setting()
        if wanted != self.tenant_setting and not self.tenant_setting_paused:
            # A plain cursor of its own: the query's cursor may be a server-side (named) one.
            with self.connection.cursor() as cursor:
                cursor.execute(SET_TENANT_SQL, wanted)
            self.tenant_setting = wanted
        return execute(sql, params, many, context)

    def connect(self) -> None:
        self.tenant_setting = _UNKNOWN
        super().connect()

    def _rollback(self) -> None:
        self.tenant_setting = _UNKNOWN
        super()._rollback()

    def _savepoint_rollback(self, sid: str) -> None:
        # ROLLBACK TO SAVEPOINT runs through the wrappers too, in a transaction that may be aborted:
        # no set_config before it; forget what was set once it has run.
        self.tenant_setting_paused = True
        try:
            super()._savepoint_rollback(sid)
        finally:
            self.tenant_setting_paused = False
            self.tenant_setting = _UNKNOWN
