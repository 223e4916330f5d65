"""audit_record: what an event holds, and one gap-free chain per tenant."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy

from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record, changes_between
from yuqing.audit.services.chain import GENESIS_HASH, event_hash, event_mac, hashed_fields
from yuqing.audit.services.keys import current_key
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.models import Membership, Tenant

pytestmark = pytest.mark.django_db


def _chain(tenant: Tenant) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_tenant(tenant).order_by("sequence"))


def test_it_records_who_did_what_to_which_object_and_when(tenant_a: Tenant, admin_a: Membership) -> None:
    moment = dt.datetime(2026, 5, 4, 1, 2, 3, 456789, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        event = audit_record(
            tenant=tenant_a,
            actor=admin_a.user,
            action="membership.update",
            target=admin_a,
            changes=changes_between({"role": "handler"}, {"role": "admin"}),
            ip_address="10.1.2.3",
        )

    stored = AuditEvent.objects.for_tenant(tenant_a).get(pk=event.pk)
    assert stored.actor == admin_a.user
    assert stored.actor_label == str(admin_a.user)
    assert stored.action == "membership.update"
    assert stored.object_type == "tenancy.membership"
    assert stored.object_id == str(admin_a.pk)
    assert stored.object_repr == str(admin_a)
    assert stored.changes == {"role": {"before": "handler", "after": "admin"}}
    assert stored.ip_address == "10.1.2.3"
    assert stored.created_at == moment
    # Keyed: an HMAC with the newest audit key, which the event names; not the unkeyed SHA-256.
    assert stored.hash_scheme == "hmac-sha256"
    assert stored.hash_key_id == current_key().key_id
    fields = hashed_fields(stored)
    assert stored.hash == event_mac(previous_hash=stored.previous_hash, fields=fields, secret=current_key().secret)
    assert stored.hash != event_hash(previous_hash=stored.previous_hash, fields=fields)


def test_an_event_without_a_signed_in_actor_is_the_systems(tenant_a: Tenant) -> None:
    by_nobody = audit_record(tenant=tenant_a, actor=None, action="sweep.run")
    by_anonymous = audit_record(tenant=tenant_a, actor=AnonymousUser(), action="sweep.run")

    for event in (by_nobody, by_anonymous):
        assert event.actor is None
        assert event.actor_label == "system"


def test_sequences_are_consecutive_and_each_event_links_to_the_one_before(tenant_a: Tenant) -> None:
    for number in range(5):
        audit_record(tenant=tenant_a, actor=None, action="test.step", object_id=str(number))

    chain = _chain(tenant_a)
    assert [event.sequence for event in chain] == list(range(1, len(chain) + 1))
    assert chain[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.previous_hash == before.hash


def test_two_tenants_chains_are_independent(tenant_a: Tenant, tenant_b: Tenant) -> None:
    for _ in range(3):
        audit_record(tenant=tenant_a, actor=None, action="test.a")
    audit_record(tenant=tenant_b, actor=None, action="test.b")

    chain_a, chain_b = _chain(tenant_a), _chain(tenant_b)
    # tenant_create wrote each tenant's first event.
    assert [event.sequence for event in chain_a] == [1, 2, 3, 4]
    assert [event.sequence for event in chain_b] == [1, 2]
    assert chain_b[0].previous_hash == GENESIS_HASH
    assert chain_b[1].previous_hash == chain_b[0].hash
    assert {event.tenant_id for event in chain_a} == {tenant_a.pk}


def test_changes_between_keeps_only_the_fields_that_differ() -> None:
    changes = changes_between(
        {"role": "handler", "is_active": True, "limit": decimal.Decimal("1.50")},
        {"role": "admin", "is_active": True, "limit": decimal.Decimal("2.00")},
    )

    assert changes == {"role": {"before": "handler", "after": "admin"}, "limit": {"before": "1.50", "after": "2.00"}}


def test_hashes_recompute_after_the_database_round_trip_of_awkward_values(tenant_a: Tenant) -> None:
    """JSON numbers, sets, lazy text, IPv6 spellings and datetimes come back from the database as hashed."""
    audit_record(
        tenant=tenant_a,
        actor=None,
        action="test.awkward",
        changes={
            "big": 1e20,
            "whole": 3.0,
            "tiny": 1e-7,
            "huge": 1.5e300,
            "not_a_number": float("nan"),
            "amount": decimal.Decimal("12345678901234567890.01"),
            "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "tags": {"暴雷", "逾期"},
            "label": gettext_lazy("审计"),
            "nested": {"b": [1, {"c": None}], "a": "中文\n换行"},
            7: "integer key",
        },
        ip_address="2001:0DB8:0000:0000:0000:0000:0000:0001",
    )
    audit_record(tenant=tenant_a, actor=None, action="test.mapped", ip_address="::ffff:192.0.2.7")
    audit_record(tenant=tenant_a, actor=None, action="test.zone", ip_address="fe80::1%eth0")

    stored = _chain(tenant_a)
    assert stored[1].ip_address == "2001:db8::1"
    assert stored[2].ip_address == "192.0.2.7"
    assert stored[3].ip_address == "fe80::1"
    assert chain_verify(tenant=tenant_a).is_intact


def test_an_unreadable_client_address_is_dropped_not_fatal(tenant_a: Tenant) -> None:
    event = audit_record(tenant=tenant_a, actor=None, action="test.ip", ip_address="unknown, 10.0.0.1")

    assert AuditEvent.objects.for_tenant(tenant_a).get(pk=event.pk).ip_address is None
