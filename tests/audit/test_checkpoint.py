"""The signed chain head outside the database: deleting the newest events, or editing the checkpoint, is reported."""

from __future__ import annotations

import datetime as dt
import json
import logging
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from tests.audit.support import append_only_suspended
from yuqing.audit.jobs import AuditChainBroken, audit_verify_all
from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.audit.services.checkpoint import checkpoint_path, checkpoint_read, checkpoint_write
from yuqing.audit.services.keys import current_key, key_id_for
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 6, 1, 18, 30, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture
def checkpoints(settings) -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _record(tenant: Tenant, count: int) -> None:
    for number in range(count):
        audit_record(tenant=tenant, actor=None, action="test.step", changes={"n": number})


def _head(tenant: Tenant) -> AuditEvent:
    return AuditEvent.objects.for_tenant(tenant).order_by("-sequence").first()


def _verify_command(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def _delete_newest(tenant: Tenant, count: int) -> None:
    newest = list(AuditEvent.objects.for_tenant(tenant).order_by("-sequence").values_list("pk", flat=True)[:count])
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM audit_auditevent WHERE id IN ({', '.join(['%s'] * len(newest))})", newest)


def _document(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_verify_run_writes_a_signed_head_per_tenant(tenant_a: Tenant, tenant_b: Tenant, checkpoints: Path) -> None:
    _record(tenant_a, 3)

    with time_machine.travel(MOMENT, tick=False):
        _output, error = _verify_command()

    assert error is None
    document = _document(checkpoint_path(tenant_id=tenant_a.pk, directory=checkpoints))
    assert document["tenant"] == tenant_a.pk
    assert document["tenant_slug"] == "tenant-a"
    assert document["sequence"] == 4
    assert document["hash"] == _head(tenant_a).hash
    assert document["checked_at"] == "2026-06-01T18:30:00.123456+00:00"
    assert document["key_id"] == current_key().key_id
    assert len(document["signature"]) == 64
    assert _document(checkpoint_path(tenant_id=tenant_b.pk, directory=checkpoints))["sequence"] == 1
    # Replaced by rename: no temporary file is left beside the checkpoints.
    assert sorted(path.name for path in checkpoints.iterdir()) == sorted(
        [f"tenant-{tenant_a.pk}.json", f"tenant-{tenant_b.pk}.json"]
    )


def test_the_nightly_job_writes_the_checkpoints_too(tenant_a: Tenant, checkpoints: Path) -> None:
    audit_verify_all()

    assert checkpoint_read(tenant_id=tenant_a.pk, directory=checkpoints).sequence == 1


def test_a_chain_that_grew_since_the_checkpoint_is_fine_and_the_checkpoint_moves_on(
    tenant_a: Tenant, checkpoints: Path
) -> None:
    _verify_command()
    _record(tenant_a, 2)

    output, error = _verify_command()

    assert error is None
    assert "tenant-a: OK 3 events" in output
    assert checkpoint_read(tenant_id=tenant_a.pk, directory=checkpoints).sequence == 3


def test_deleting_the_newest_events_is_reported_against_the_checkpoint(
    tenant_a: Tenant, tenant_b: Tenant, checkpoints: Path
) -> None:
    _record(tenant_a, 5)
    with time_machine.travel(MOMENT, tick=False):
        _verify_command()
    _delete_newest(tenant_a, 2)
    assert chain_verify(tenant=tenant_a).is_intact  # what is left links up: only the checkpoint knows

    output, error = _verify_command()

    assert error is not None
    assert error.returncode == 1
    assert (
        "tenant-a: 与链头检查点不符：审计链比 2026-06-01 18:30:00 UTC 的检查点短："
        "检查点的链头为序号 6，现在最后一条为序号 4（最新的事件被删除）"
    ) in output
    assert "tenant-b: OK 1 events" in output
    # The checkpoint is not moved back to the shortened chain: the next run reports it again.
    assert checkpoint_read(tenant_id=tenant_a.pk, directory=checkpoints).sequence == 6
    _output, again = _verify_command()
    assert again is not None


def test_deleting_the_newest_events_and_appending_others_is_reported(tenant_a: Tenant) -> None:
    """The chain is as long as before, but the checkpointed event is another one now."""
    _record(tenant_a, 3)
    _verify_command()
    _delete_newest(tenant_a, 2)
    _record(tenant_a, 2)

    output, error = _verify_command()

    assert error is not None
    assert "tenant-a: 与链头检查点不符：序号 4 的哈希与" in output
    assert "（事件被改写）" in output


def test_a_whole_trail_emptied_is_reported(tenant_a: Tenant) -> None:
    _record(tenant_a, 2)
    _verify_command()
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE tenant_id = %s", [tenant_a.pk])

    output, error = _verify_command()

    assert error is not None
    assert "检查点的链头为序号 3，现在最后一条为序号 0（最新的事件被删除）" in output


def test_the_nightly_job_fails_loudly_when_the_newest_events_are_gone(tenant_a: Tenant, caplog) -> None:
    _record(tenant_a, 2)
    audit_verify_all()
    _delete_newest(tenant_a, 1)

    with caplog.at_level(logging.INFO, logger="yuqing.audit.jobs"), pytest.raises(AuditChainBroken, match="tenant-a"):
        audit_verify_all()

    assert "audit chain CHECKPOINT: tenant=tenant-a" in caplog.text
    assert "最新的事件被删除" in caplog.text


def _lower_the_sequence(document: dict) -> dict:
    """What someone hiding a deletion would do: move the checkpointed head back."""
    return {**document, "sequence": document["sequence"] - 1}


def _add_a_field(document: dict) -> dict:
    return {**document, "note": "ok"}


def _resign_with_a_guessed_key(document: dict) -> dict:
    import hashlib
    import hmac

    guessed = b"a guess at the audit key, not the configured one"
    payload = {key: value for key, value in _lower_the_sequence(document).items() if key != "signature"}
    payload["key_id"] = key_id_for(guessed)
    message = json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()
    signature = hmac.new(guessed, b"yuqing-audit-checkpoint-v1\n" + message, hashlib.sha256).hexdigest()
    return {**payload, "signature": signature}


def _signed_with_odd_text(document: dict) -> dict:
    return {**document, "signature": "\udcff签名\x00", "tenant_slug": "\ud800"}


@pytest.mark.parametrize(
    ("tamper", "reported"),
    [
        (_lower_the_sequence, "的签名无效（文件被改动或伪造）"),
        (_add_a_field, "的签名无效（文件被改动或伪造）"),
        (_resign_with_a_guessed_key, "未配置，无法核对签名"),
        (_signed_with_odd_text, "的签名无效（文件被改动或伪造）"),
    ],
    ids=["sequence-lowered", "field-added", "guessed-key", "odd-text"],
)
def test_a_tampered_checkpoint_is_reported(tenant_a: Tenant, checkpoints: Path, tamper, reported: str) -> None:
    _record(tenant_a, 2)
    _verify_command()
    path = checkpoint_path(tenant_id=tenant_a.pk, directory=checkpoints)
    path.write_text(json.dumps(tamper(_document(path))), encoding="utf-8")

    output, error = _verify_command()

    assert error is not None
    assert error.returncode == 1
    assert f"tenant-a: 与链头检查点不符：链头检查点 {path}" in output
    assert reported in output


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[]", '{"signature": 1}', "\udcff", "[" * 50_000, " " * (65 * 1024) + "{}", "null"],
    ids=["empty", "not-json", "list", "fields-missing", "not-utf8", "deeply-nested", "oversized", "null"],
)
def test_an_unreadable_checkpoint_is_reported_not_a_crash(tenant_a: Tenant, checkpoints: Path, content: str) -> None:
    _verify_command()
    path = checkpoint_path(tenant_id=tenant_a.pk, directory=checkpoints)
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    output, error = _verify_command()

    assert error is not None
    assert error.returncode == 1
    assert "tenant-a: 与链头检查点不符：链头检查点" in output
    assert path.read_bytes() == content.encode("utf-8", "surrogateescape")  # kept for the investigation


def test_another_tenants_checkpoint_copied_over_is_reported(
    tenant_a: Tenant, tenant_b: Tenant, checkpoints: Path
) -> None:
    _verify_command()
    own = checkpoint_path(tenant_id=tenant_a.pk, directory=checkpoints)
    own.write_text(checkpoint_path(tenant_id=tenant_b.pk, directory=checkpoints).read_text())

    output, error = _verify_command()

    assert error is not None
    assert f"签的是另一个租户（编号 {tenant_b.pk}）的链头" in output


def test_a_checkpoint_of_a_tenant_gone_from_the_database_is_reported(tenant_a: Tenant, checkpoints: Path) -> None:
    gone = Tenant(pk=987654, slug="vanished", name="消失的租户")
    checkpoint_write(tenant=gone, sequence=12, head_hash="a" * 64, directory=checkpoints)

    output, error = _verify_command()
    _only_a, error_only_a = _verify_command("--tenant", "tenant-a")

    assert error is not None
    assert "租户 vanished（编号 987654）有链头检查点（序号 12），但已不在数据库中" in output
    assert error_only_a is None  # asked about one tenant: the others' files are not its business
    with pytest.raises(AuditChainBroken, match="checkpoint-without-tenant"):
        audit_verify_all()


def test_a_checkpoint_that_cannot_be_written_fails_the_run(tenant_a: Tenant) -> None:
    with mock.patch("yuqing.audit.services.checkpoint.tempfile.mkstemp", side_effect=PermissionError("read-only")):
        output, error = _verify_command()

    assert error is not None
    assert error.returncode == 1
    assert "tenant-a: 与链头检查点不符：链头检查点无法写入" in output


def test_a_crash_while_writing_leaves_the_old_checkpoint_whole(tenant_a: Tenant, checkpoints: Path) -> None:
    _verify_command()
    path = checkpoint_path(tenant_id=tenant_a.pk, directory=checkpoints)
    before = path.read_bytes()
    _record(tenant_a, 1)

    with mock.patch("yuqing.audit.services.checkpoint.os.replace", side_effect=OSError("disk full")):
        _output, error = _verify_command()

    assert error is not None
    assert path.read_bytes() == before
    assert [entry.name for entry in checkpoints.iterdir()] == [path.name]  # the temporary file is gone


def test_a_checkpoint_signed_with_an_older_key_still_verifies_after_rotation(settings, checkpoints: Path) -> None:
    settings.AUDIT_KEYS = ["the-first-production-audit-key-0123456789"]
    tenant = tenant_create(slug="rotating", name="换密钥的租户")
    _verify_command()
    settings.AUDIT_KEYS = ["the-second-production-audit-key-987654321", "the-first-production-audit-key-0123456789"]

    _output, error = _verify_command()

    assert error is None
    assert checkpoint_read(tenant_id=tenant.pk, directory=checkpoints).key_id == current_key().key_id
