"""What an uploaded file really is: its type read from the content, never trusted from its name or
the browser's header. The first bytes for images and PDF, the package parts for Word, PowerPoint and
Excel (a .docx is a ZIP with word/document.xml), and a clean text decode for .txt and .csv.

Each upload path keeps its own list of allowed extensions (incident evidence, training materials)
and asks here whether the content agrees with the extension; `upload_digest` is the SHA-256 they store.
"""

from __future__ import annotations

import hashlib
import zipfile
from typing import IO

from django.core.files.uploadedfile import UploadedFile

CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
    "csv": "text/csv",
}
_PACKAGE_PARTS = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}
TEXT_SAMPLE_BYTES = 64 * 1024


def _head(handle: IO[bytes], size: int = 16) -> bytes:
    handle.seek(0)
    data = handle.read(size)
    handle.seek(0)
    return data


def _package_has(handle: IO[bytes], part: str) -> bool:
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        handle.seek(0)
    return "[Content_Types].xml" in names and part in names


def _is_text(handle: IO[bytes]) -> bool:
    handle.seek(0)
    sample = handle.read(TEXT_SAMPLE_BYTES)
    handle.seek(0)
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # The sample may cut a multi-byte character in two: judge all but its last 3 bytes.
            sample[: len(sample) - 3 if len(sample) == TEXT_SAMPLE_BYTES else None].decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def content_matches(handle: IO[bytes], extension: str) -> bool:
    """Whether the content really is what the extension (lower case, no dot) says."""
    head = _head(handle)
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension in _PACKAGE_PARTS:
        return head.startswith(b"PK\x03\x04") and _package_has(handle, _PACKAGE_PARTS[extension])
    if extension in ("txt", "csv"):
        return _is_text(handle)
    return False


def upload_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.file.seek(0)
    return digest.hexdigest()
