"""Upgrading a database whose trail predates the keyed chain: its events keep the old scheme and still verify."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.audit.services.chain import GENESIS_HASH, event_hash, hashed_fields
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.models import Tenant

BEFORE = [("audit", "0002_append_only_triggers")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "audit"]


def test_events_written_before_the_upgrade_keep_sha256_verify_and_new_events_chain_on(transactional_db) -> None:
    tenant = Tenant.objects.create(slug="old-install", name="升级前的租户")
    latest = _latest()
    _migrate(BEFORE)
    try:
        old_model = MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model("audit", "AuditEvent")
        previous_hash = GENESIS_HASH
        for sequence in (1, 2):
            # Hashed the way the code before the keyed chain did it.
            values = {
                "tenant_id": tenant.pk,
                "sequence": sequence,
                "actor_label": "system",
                "action": f"legacy.{sequence}",
                "changes": {"n": sequence},
                "created_at": timezone.now(),
                "previous_hash": previous_hash,
            }
            probe = AuditEvent(**values)
            values["hash"] = event_hash(previous_hash=previous_hash, fields=hashed_fields(probe))
            old_model.objects.create(**values)
            previous_hash = values["hash"]
    finally:
        _migrate(latest)

    stored = list(AuditEvent.objects.for_tenant(tenant).order_by("sequence"))
    assert [(event.hash_scheme, event.hash_key_id) for event in stored] == [("sha256", ""), ("sha256", "")]
    following = audit_record(tenant=tenant, actor=None, action="test.after_upgrade")
    assert following.previous_hash == stored[-1].hash
    assert following.hash_scheme == "hmac-sha256"
    report = chain_verify(tenant=tenant)
    assert report.is_intact
    assert report.events_checked == 3
    # The columns were added without losing the append-only triggers (SQLite copies the table).
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.for_tenant(tenant).filter(pk=stored[0].pk).update(action="legacy.forged")
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
