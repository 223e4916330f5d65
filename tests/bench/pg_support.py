"""What the PostgreSQL benchmarks share: a throwaway database beside DATABASE_URL's, COPY, and p95."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit


def bench_database_url() -> tuple[str, str, str]:
    """(url of the throwaway database, url of the server's maintenance database, the new name)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this benchmark runs on PostgreSQL only.")
    parts = urlsplit(url)
    name = f"{(parts.path.lstrip('/') or 'yuqing')}_bench_{os.getpid()}"
    return (
        urlunsplit(parts._replace(path=f"/{name}")),
        urlunsplit(parts._replace(path="/postgres")),
        name,
    )


def server_command(maintenance_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(sql)


def copy_rows(model: type, rows: Iterable[dict]) -> int:
    """COPY `rows` (attname → value) into `model`'s table; fields left out take their defaults."""
    from django.db import connection

    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in first]
    defaults = {f.attname: f.get_default() for f in fields}
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            count += 1
    return count


def reset_sequence(model: type) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
