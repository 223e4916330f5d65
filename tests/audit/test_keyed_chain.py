"""The chain is keyed: someone with write access to the database and chain.py, but not the key, cannot re-hash it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.audit.support import append_only_suspended
from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.audit.services.chain import GENESIS_HASH, event_hash, event_mac, hashed_fields
from yuqing.audit.services.keys import current_key, development_key, key_id_for
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.django_db

PRODUCTION_KEY = "k7Vq2-production-audit-key-never-in-the-database-0001"
NEXT_KEY = "Zr9Lm-the-key-it-rotates-to-also-outside-the-database-02"


@pytest.fixture(autouse=True)
def _production_key(settings) -> None:
    """Like production: a key of its own, not the one derived from SECRET_KEY (set before the tenants exist)."""
    settings.AUDIT_KEYS = [PRODUCTION_KEY]


def _record(tenant: Tenant, count: int) -> None:
    for number in range(count):
        audit_record(tenant=tenant, actor=None, action="test.step", object_repr=f"第{number}步", changes={"n": number})


def _chain(tenant: Tenant) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_tenant(tenant).order_by("sequence"))


def _verify_command() -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def _store_rewrite(events: list[AuditEvent]) -> None:
    """Write rewritten events over the stored ones, past the triggers, as direct database access allows."""
    with append_only_suspended(), connection.cursor() as cursor:
        for event in events:
            cursor.execute(
                "UPDATE audit_auditevent SET changes = %s, previous_hash = %s, hash = %s, hash_scheme = %s,"
                " hash_key_id = %s WHERE id = %s",
                [
                    json.dumps(event.changes),
                    event.previous_hash,
                    event.hash,
                    event.hash_scheme,
                    event.hash_key_id,
                    event.pk,
                ],
            )


def _legacy_event(tenant: Tenant, *, sequence: int, previous_hash: str, action: str) -> AuditEvent:
    """An event as the code before the keyed chain wrote it, and as migration 0003 left it: scheme sha256."""
    event = AuditEvent(
        tenant=tenant,
        sequence=sequence,
        actor_label="system",
        action=action,
        changes={"n": sequence},
        created_at=timezone.now(),
        previous_hash=previous_hash,
        hash_scheme="sha256",
        hash_key_id="",
    )
    event.hash = event_hash(previous_hash=previous_hash, fields=hashed_fields(event))
    event.save(force_insert=True)
    return event


def test_each_new_event_is_an_hmac_with_the_configured_key(tenant_a: Tenant) -> None:
    _record(tenant_a, 2)

    for event in _chain(tenant_a):
        assert event.hash_scheme == "hmac-sha256"
        assert event.hash_key_id == key_id_for(PRODUCTION_KEY.encode())
        assert event.hash == event_mac(
            previous_hash=event.previous_hash, fields=hashed_fields(event), secret=PRODUCTION_KEY.encode()
        )
    assert chain_verify(tenant=tenant_a).is_intact


def test_the_key_id_names_the_key_without_revealing_it(tenant_a: Tenant) -> None:
    key_id = _chain(tenant_a)[0].hash_key_id

    assert len(key_id) == 16
    assert PRODUCTION_KEY not in key_id
    assert key_id != key_id_for(NEXT_KEY.encode())


def test_without_a_configured_key_development_derives_one_from_secret_key(settings) -> None:
    settings.AUDIT_KEYS = []
    first = current_key()
    settings.SECRET_KEY = "another-development-secret-key-0123456789abcdefghijklmnopq"

    assert current_key().key_id != first.key_id
    assert current_key().secret == development_key(settings.SECRET_KEY).encode()


def test_events_keyed_without_a_configured_key_verify_once_that_key_is_listed_after_a_new_one(settings) -> None:
    """An installation that ran on the derived key moves to its own key without losing its events."""
    settings.AUDIT_KEYS = []
    tenant = tenant_create(slug="was-unkeyed", name="曾用派生密钥的租户")
    settings.AUDIT_KEYS = [PRODUCTION_KEY]
    assert not chain_verify(tenant=tenant).is_intact  # the derived key is not accepted by itself

    settings.AUDIT_KEYS = [PRODUCTION_KEY, development_key(settings.SECRET_KEY)]
    audit_record(tenant=tenant, actor=None, action="test.after_the_switch")

    assert chain_verify(tenant=tenant).is_intact
    assert [event.hash_key_id for event in _chain(tenant)] == [
        key_id_for(development_key(settings.SECRET_KEY).encode()),
        key_id_for(PRODUCTION_KEY.encode()),
    ]


def test_a_rotated_key_keys_new_events_and_the_old_key_still_verifies_its_own(settings) -> None:
    tenant = tenant_create(slug="rotating", name="换密钥的租户")
    _record(tenant, 2)
    settings.AUDIT_KEYS = [NEXT_KEY, PRODUCTION_KEY]  # newest first
    _record(tenant, 2)

    key_ids = [event.hash_key_id for event in _chain(tenant)]
    assert key_ids == [key_id_for(PRODUCTION_KEY.encode())] * 3 + [key_id_for(NEXT_KEY.encode())] * 2
    assert chain_verify(tenant=tenant).is_intact

    # Dropping the old key too soon: its events can no longer be checked, and verification says which.
    settings.AUDIT_KEYS = [NEXT_KEY]
    report = chain_verify(tenant=tenant)
    assert report.first_break.sequence == 1
    assert key_id_for(PRODUCTION_KEY.encode()) in report.first_break.problem
    assert "未配置" in report.first_break.problem


def test_old_unkeyed_events_still_verify_and_new_events_chain_on_from_them() -> None:
    tenant = Tenant.objects.create(slug="upgraded", name="升级前就有记录的租户")
    first = _legacy_event(tenant, sequence=1, previous_hash=GENESIS_HASH, action="legacy.one")
    second = _legacy_event(tenant, sequence=2, previous_hash=first.hash, action="legacy.two")

    following = audit_record(tenant=tenant, actor=None, action="test.after_upgrade")

    assert following.sequence == 3
    assert following.previous_hash == second.hash
    assert following.hash_scheme == "hmac-sha256"
    report = chain_verify(tenant=tenant)
    assert report.is_intact
    assert report.events_checked == 3


def test_an_old_unkeyed_event_that_was_edited_is_still_caught() -> None:
    tenant = Tenant.objects.create(slug="upgraded", name="升级前就有记录的租户")
    first = _legacy_event(tenant, sequence=1, previous_hash=GENESIS_HASH, action="legacy.one")
    _legacy_event(tenant, sequence=2, previous_hash=first.hash, action="legacy.two")
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'legacy.forged' WHERE id = %s", [first.pk])

    report = chain_verify(tenant=tenant)

    assert report.first_break.sequence == 1
    assert "哈希无法复算" in report.first_break.problem


def test_an_unkeyed_event_after_a_keyed_one_is_refused_as_a_downgrade(tenant_a: Tenant) -> None:
    """Appending needs no trigger lifted; a forged event in the old, keyless scheme is still caught."""
    _record(tenant_a, 2)
    head = _chain(tenant_a)[-1]
    forged = _legacy_event(tenant_a, sequence=head.sequence + 1, previous_hash=head.hash, action="test.forged")

    report = chain_verify(tenant=tenant_a)

    assert report.first_break.sequence == forged.sequence
    assert "无密钥的旧算法" in report.first_break.problem


def _rewrite_from(tenant: Tenant, sequence: int, *, rehash) -> list[AuditEvent]:
    """Change the event at `sequence` and re-hash it and every later one so the links all hold again."""
    chain = _chain(tenant)
    previous_hash = chain[sequence - 2].hash if sequence > 1 else GENESIS_HASH
    rewritten = []
    for event in chain[sequence - 1 :]:
        if event.sequence == sequence:
            event.changes = {"n": "篡改后的金额"}
        event.previous_hash = previous_hash
        rehash(event)
        previous_hash = event.hash
        rewritten.append(event)
    _store_rewrite(rewritten)
    return rewritten


def _as_unkeyed(event: AuditEvent) -> None:
    """chain.py's own unkeyed hash, and the event relabelled as an old one."""
    event.hash_scheme, event.hash_key_id = "sha256", ""
    event.hash = event_hash(previous_hash=event.previous_hash, fields=hashed_fields(event))


def _with_a_guessed_key(event: AuditEvent) -> None:
    """chain.py's HMAC, the stored key id kept, and the best guess of a key: the development default."""
    guess = development_key("insecure-development-key-only-for-local-use-0123456789abcdefghijklmnop").encode()
    event.hash = event_mac(previous_hash=event.previous_hash, fields=hashed_fields(event), secret=guess)


@pytest.mark.parametrize("rehash", [_as_unkeyed, _with_a_guessed_key], ids=["unkeyed", "guessed-key"])
def test_a_rewrite_rehashed_without_the_key_fails_and_the_command_names_tenant_and_sequence(
    tenant_a: Tenant, tenant_b: Tenant, rehash
) -> None:
    _record(tenant_a, 5)
    rewritten = _rewrite_from(tenant_a, 3, rehash=rehash)

    report = chain_verify(tenant=tenant_a)
    output, error = _verify_command()

    assert report.first_break.sequence == 3
    assert report.events_checked == 2
    assert error is not None
    assert error.returncode == 1
    assert f"tenant-a: 断链于序号 3（事件编号 {rewritten[0].pk}）" in output
    assert "tenant-b: OK 1 events" in output


def test_a_whole_chain_rewritten_unkeyed_is_caught_by_the_checkpoint(tenant_a: Tenant) -> None:
    """Rewriting from the very first event leaves no keyed event to disagree: the signed head does."""
    _record(tenant_a, 3)
    _output, error = _verify_command()  # writes the checkpoint
    assert error is None

    _rewrite_from(tenant_a, 1, rehash=_as_unkeyed)
    output, error = _verify_command()

    assert chain_verify(tenant=tenant_a).is_intact  # the links alone hold...
    assert error is not None  # ...the checkpoint does not
    assert error.returncode == 1
    assert "tenant-a: 与链头检查点不符：序号 4 的哈希" in output


def test_a_failed_check_never_shows_the_right_hmac_of_the_altered_content(
    tenant_a: Tenant, client_for, auditor_a
) -> None:
    """Shown the HMAC it should have, whoever altered a row could write it in: neither report nor page shows it."""
    _record(tenant_a, 2)
    altered = _chain(tenant_a)[1]
    altered.changes = {"n": "改过"}
    right_hmac = event_mac(
        previous_hash=altered.previous_hash, fields=hashed_fields(altered), secret=PRODUCTION_KEY.encode()
    )
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"n": "改过"}', altered.pk])

    report = chain_verify(tenant=tenant_a)
    output, _error = _verify_command()
    page = client_for(auditor_a).get(f"/audit/{altered.pk}/")

    assert report.first_break.sequence == 2
    assert "哈希无法复算" in report.first_break.problem
    assert right_hmac not in report.first_break.problem
    assert right_hmac not in output
    assert page.status_code == 200
    assert "哈希无法复算" in page.content.decode()
    assert right_hmac not in page.content.decode()


@pytest.mark.parametrize("key_id", ["密钥🔑", "' OR 1=1 --", "x" * 32, ""], ids=["chinese", "sql", "long", "empty"])
def test_an_event_naming_an_unknown_or_odd_key_id_is_reported_not_a_crash(tenant_a: Tenant, key_id: str) -> None:
    head = _chain(tenant_a)[-1]
    forged = AuditEvent(
        tenant=tenant_a,
        sequence=head.sequence + 1,
        actor_label="system",
        action="test.forged",
        created_at=timezone.now(),
        previous_hash=head.hash,
        hash_scheme="hmac-sha256",
        hash_key_id=key_id,
        hash="0" * 64,
    )
    forged.save(force_insert=True)

    report = chain_verify(tenant=tenant_a)
    output, error = _verify_command()

    assert report.first_break.sequence == forged.sequence
    assert "未配置" in report.first_break.problem
    assert error is not None
    assert f"tenant-a: 断链于序号 {forged.sequence}" in output


def test_an_event_with_an_unknown_scheme_is_reported(tenant_a: Tenant) -> None:
    head = _chain(tenant_a)[-1]
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash_scheme = 'md5' WHERE id = %s", [head.pk])

    report = chain_verify(tenant=tenant_a)

    assert report.first_break.sequence == head.sequence
    assert "未知的哈希算法 md5" in report.first_break.problem
