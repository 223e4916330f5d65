"""What the PostgreSQL benchmarks share: a throwaway database beside DATABASE_URL's, COPY, and p95."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any
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


def run_in_production_mode_database(
    run: Callable[[Any], None], args: Any, *, environment: dict[str, str] | None = None
) -> None:
    """`run(args)` against a throwaway PostgreSQL database with production settings (DEBUG off),
    dropped afterwards unless `args.keep`: every PostgreSQL benchmark's frame. `environment` adds
    the benchmark's own settings (audit keys, a checkpoint directory...)."""
    bench_url, maintenance_url, name = bench_database_url()
    server_command(maintenance_url, f'CREATE DATABASE "{name}"')
    print(f"bench database {name} created", flush=True)
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yuqing.settings")
        os.environ["DJANGO_DEBUG"] = "0"
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
        os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
        os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0"
        os.environ.update(environment or {})
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {name}")
        else:
            server_command(maintenance_url, f'DROP DATABASE "{name}" WITH (FORCE)')
            print(f"bench database {name} dropped")
