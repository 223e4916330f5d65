"""Evidence of an incident: files (screenshots, documents) and links, with size and type limits.

A file's type is read from its content, not trusted from its name or the browser's header: the
first bytes for images and PDF, the package parts for Word and Excel (a .docx is a ZIP with
word/document.xml), and a clean text decode for .txt and .csv. The extension must agree with what
the content is. The stored name is the upload's own (storage makes it safe and unique); downloads
go through a tenant-scoped view (files live under evidence/<tenant>/<incident>/), never MEDIA_URL.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from incidents.models import Evidence, Incident, TimelineEntry
from incidents.services.common import audit, require_open, timeline_add
from yuqing.platform.files import CONTENT_TYPES, content_matches, upload_digest
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# What evidence may be (the content must agree: yuqing.platform.files).
ALLOWED_TYPES: dict[str, str] = {
    extension: CONTENT_TYPES[extension]
    for extension in ("png", "jpg", "jpeg", "gif", "webp", "pdf", "docx", "xlsx", "txt", "csv")
}


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _check_file(upload: UploadedFile) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload; ValidationError naming the problem otherwise."""
    name = os.path.basename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            {
                "file": _(
                    "不支持的文件类型。可上传：PNG、JPEG、GIF、WebP 图片，"
                    "PDF、Word（.docx）、Excel（.xlsx）、TXT、CSV。"
                )
            }
        )
    limit = max_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": _("文件过大：单个文件不能超过 %(limit)s MB。") % {"limit": f"{limit / 1024 / 1024:g}"}}
        )
    if upload.size == 0:
        raise ValidationError({"file": _("文件是空的。")})
    if not content_matches(upload.file, extension):
        raise ValidationError(
            {"file": _("文件内容与扩展名“.%(ext)s”不符，请上传真实的该类型文件。") % {"ext": extension}}
        )
    return ALLOWED_TYPES[extension], upload_digest(upload)


@tenant_service(Permission.WRITE)
def evidence_add(
    *,
    tenant: Tenant,
    actor: User,
    incident: Incident,
    title: str,
    file: UploadedFile | None = None,
    url: str = "",
) -> Evidence:
    """A file, a link, or both (a screenshot and the post it shows)."""
    if incident.tenant_id != tenant.pk:
        raise ValidationError(_("事件不属于本机构。"))
    require_open(incident)
    if actor is None or not actor.is_authenticated:
        raise ValidationError(_("证据需要记录上传人。"))
    title, url = (title or "").strip(), (url or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("请填写证据标题。")
    if not file and not url:
        errors["file"] = _("请上传文件或填写链接。")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = _("请填写以 http:// 或 https:// 开头的有效网址。")
        if len(url) > Evidence._meta.get_field("url").max_length:
            errors["url"] = _("链接过长（不能超过 1000 个字符）。")
    if errors:
        raise ValidationError(errors)
    content_type, sha256, size = "", "", None
    if file:
        content_type, sha256 = _check_file(file)
        size = file.size
    evidence = Evidence(
        tenant=tenant,
        incident=incident,
        title=title[:200],
        url=url,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    if file:
        evidence.file.save(os.path.basename(file.name), file, save=False)
    evidence.save()
    what = _("文件 %(name)s") % {"name": os.path.basename(evidence.file.name)} if file else _("链接")
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.EVIDENCE,
        actor=actor,
        body=_("添加证据“%(title)s”（%(what)s）") % {"title": evidence.title, "what": what},
        data={"evidence": evidence.pk, "sha256": sha256, "url": url},
    )
    audit(
        tenant,
        actor,
        "incident.evidence_add",
        evidence,
        {"incident": incident.pk, "sha256": sha256, "size": size, "content_type": content_type, "url": url},
    )
    return evidence
