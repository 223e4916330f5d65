"""Training materials: the type is read from the content, never trusted from the name or header."""

from __future__ import annotations

import hashlib
import os
import zipfile
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
}
ZIP_PARTS = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def _zip_has(handle: IO[bytes], part: str) -> bool:
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        handle.seek(0)
    return "[Content_Types].xml" in names and part in names


def content_matches(handle: IO[bytes], extension: str) -> bool:
    handle.seek(0)
    head = handle.read(65536)
    handle.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in ZIP_PARTS:
        return head.startswith(b"PK\x03\x04") and _zip_has(handle, ZIP_PARTS[extension])
    if extension == "txt":
        if b"\x00" in head:
            return False
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                head[: len(head) - 3 if len(head) == 65536 else None].decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


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
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.file.seek(0)
    return ALLOWED_TYPES[extension], digest.hexdigest()
