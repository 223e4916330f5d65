"""Training materials: the type is read from the content, never trusted from the name or header."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from yuqing.platform.files import CONTENT_TYPES, content_matches, upload_digest

ALLOWED_TYPES: dict[str, str] = {
    extension: CONTENT_TYPES[extension] for extension in ("pdf", "docx", "pptx", "xlsx", "png", "jpg", "jpeg", "txt")
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def materials_check(upload: UploadedFile) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload; a ValidationError on `materials` otherwise."""
    name = os.path.basename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            {"materials": _("不支持的文件类型。可上传：PDF、Word、PowerPoint、Excel、PNG、JPEG、TXT。")}
        )
    limit = int(getattr(settings, "TRAINING_MATERIALS_MAX_BYTES", DEFAULT_MAX_BYTES))
    if not upload.size or upload.size > limit:
        raise ValidationError(
            {"materials": _("文件为空或过大（不能超过 %(limit)s MB）。") % {"limit": limit // 1048576}}
        )
    if not content_matches(upload.file, extension):
        raise ValidationError(
            {"materials": _("文件内容与扩展名“.%(ext)s”不符，请上传真实的该类型文件。") % {"ext": extension}}
        )
    return ALLOWED_TYPES[extension], upload_digest(upload)
