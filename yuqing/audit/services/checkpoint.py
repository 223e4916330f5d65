"""The signed head of each tenant's chain, kept outside the database.

A chain that holds can still have lost its newest events: nothing after them is left to
disagree. So every verification run (`audit_verify`, the nightly `audit_verify_all`) writes the
head it found, per tenant, as a small JSON file signed with the audit key (HMAC-SHA256), and the
next run compares the chain with it: the checkpointed event must still be there with the same
hash. Whoever can write to the database but does not hold the key cannot move the checkpoint
back, and a file they edit or copy from another tenant fails its signature.

One file per tenant, `tenant-<id>.json` in settings.AUDIT_CHECKPOINT_DIR, replaced atomically
(temporary file in the same directory, fsync, rename), so a crash leaves the old or the new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yuqing.audit.models import AuditEvent
from yuqing.audit.services.keys import UnknownAuditKey, current_key, key_by_id
from yuqing.tenancy.models import Tenant

VERSION = 1
_DOMAIN = b"yuqing-audit-checkpoint-v1\n"  # a checkpoint's MAC can never pass for an event's
_FILE_NAME = re.compile(r"^tenant-(\d+)\.json$")
MAX_FILE_BYTES = 64 * 1024  # a checkpoint is a few hundred bytes; anything larger is not one


class CheckpointInvalid(ValueError):
    """The checkpoint file cannot be trusted: unreadable, wrongly signed or not this tenant's."""


@dataclass(frozen=True)
class Checkpoint:
    tenant_id: int
    tenant_slug: str
    sequence: int
    hash: str
    checked_at: dt.datetime
    key_id: str


def checkpoint_path(*, tenant_id: int, directory: Path) -> Path:
    return Path(directory) / f"tenant-{int(tenant_id)}.json"


def _payload(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "version": VERSION,
        "tenant": checkpoint.tenant_id,
        "tenant_slug": checkpoint.tenant_slug,
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "checked_at": checkpoint.checked_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "key_id": checkpoint.key_id,
    }


def _signature(payload: dict[str, Any], secret: bytes) -> str:
    # ASCII JSON: whatever text a tampered file holds (lone surrogates included) gets a signature to fail.
    message = json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret, _DOMAIN + message, hashlib.sha256).hexdigest()


def checkpoint_write(*, tenant: Tenant, sequence: int, head_hash: str, directory: Path) -> Checkpoint:
    """Sign `tenant`'s head with the current key and replace its checkpoint file atomically."""
    key = current_key()
    checkpoint = Checkpoint(
        tenant_id=tenant.pk,
        tenant_slug=tenant.slug,
        sequence=sequence,
        hash=head_hash,
        checked_at=timezone.now(),
        key_id=key.key_id,
    )
    document = {**_payload(checkpoint), "signature": _signature(_payload(checkpoint), key.secret)}
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = checkpoint_path(tenant_id=tenant.pk, directory=directory)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)
    return checkpoint


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); where a directory cannot be opened, the rename still stands."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def checkpoint_read(*, tenant_id: int, directory: Path) -> Checkpoint | None:
    """The tenant's last checkpoint, None when there is none yet; CheckpointInvalid when it cannot be trusted."""
    path = checkpoint_path(tenant_id=tenant_id, directory=directory)
    try:
        text = _read(path)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointInvalid(
            _("链头检查点 %(path)s 无法读取：%(error)s") % {"path": path, "error": error}
        ) from error
    return _parse(text, path=path, tenant_id=tenant_id)


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CheckpointInvalid(_("链头检查点 %(path)s 大于 64 KiB，不是本系统写的检查点") % {"path": path})
    return data.decode("utf-8")


def _parse(text: str, *, path: Path, tenant_id: int | None) -> Checkpoint:
    try:
        document = json.loads(text)
        signature = document.pop("signature")
        checkpoint = Checkpoint(
            tenant_id=_strict_int(document["tenant"]),
            tenant_slug=str(document["tenant_slug"]),
            sequence=_strict_int(document["sequence"]),
            hash=str(document["hash"]),
            checked_at=dt.datetime.fromisoformat(document["checked_at"]),
            key_id=str(document["key_id"]),
        )
        if document.get("version") != VERSION or not isinstance(signature, str):
            raise ValueError("version")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise CheckpointInvalid(_("链头检查点 %(path)s 格式不对，无法读取（被改动或损坏）") % {"path": path}) from error
    try:
        key = key_by_id(checkpoint.key_id)
    except UnknownAuditKey as error:
        raise CheckpointInvalid(
            _("链头检查点 %(path)s 的签名密钥 %(key_id)s 未配置，无法核对签名")
            % {"path": path, "key_id": checkpoint.key_id}
        ) from error
    # The whole document as read must be what was signed: an added or changed field fails too.
    expected = _signature(document, key.secret)
    if not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected.encode()) or document != _payload(
        checkpoint
    ):
        raise CheckpointInvalid(_("链头检查点 %(path)s 的签名无效（文件被改动或伪造）") % {"path": path})
    if tenant_id is not None and checkpoint.tenant_id != tenant_id:
        raise CheckpointInvalid(
            _("链头检查点 %(path)s 签的是另一个租户（编号 %(other)s）的链头（文件被替换）")
            % {"path": path, "other": checkpoint.tenant_id}
        )
    return checkpoint


def _strict_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def checkpoint_problem(*, checkpoint: Checkpoint, tenant: Tenant) -> str | None:
    """How the tenant's stored chain disagrees with its (validly signed) checkpoint, or None."""
    events = AuditEvent.objects.for_tenant(tenant)
    stored = events.filter(sequence=checkpoint.sequence).values_list("hash", flat=True).first()
    facts = {
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "checked_at": checkpoint.checked_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    if stored is None:
        last = events.aggregate(last=Max("sequence"))["last"]
        if last is None or last < checkpoint.sequence:
            return _(
                "审计链比 %(checked_at)s 的检查点短：检查点的链头为序号 %(sequence)s，现在最后一条为序号 %(last)s"
                "（最新的事件被删除）"
            ) % {**facts, "last": last if last is not None else 0}
        return _("检查点记录的序号 %(sequence)s 的事件（%(checked_at)s）已不存在（事件被删除）") % facts
    if stored != checkpoint.hash:
        return _(
            "序号 %(sequence)s 的哈希与 %(checked_at)s 的检查点不符：检查点为 %(hash)s，现为 %(stored)s（事件被改写）"
        ) % {**facts, "stored": stored}
    return None


def checkpoints_without_tenant(*, tenant_ids: set[int], directory: Path) -> list[str]:
    """Checkpoint files whose tenant is no longer in the database: its whole trail went with it."""
    problems = []
    directory = Path(directory)
    if not directory.is_dir():
        return problems
    for path in sorted(directory.iterdir()):
        match = _FILE_NAME.match(path.name)
        if match is None or int(match.group(1)) in tenant_ids:
            continue
        try:
            checkpoint = _parse(_read(path), path=path, tenant_id=int(match.group(1)))
        except (CheckpointInvalid, OSError, UnicodeDecodeError):
            problems.append(_("链头检查点 %(path)s 的租户已不在数据库中（且检查点本身无效）") % {"path": path})
            continue
        problems.append(
            _(
                "租户 %(slug)s（编号 %(id)s）有链头检查点（序号 %(sequence)s），"
                "但已不在数据库中（整个租户的审计链被删除）"
            )
            % {"slug": checkpoint.tenant_slug, "id": checkpoint.tenant_id, "sequence": checkpoint.sequence}
        )
    return problems
