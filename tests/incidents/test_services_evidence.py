"""Evidence: allowed types checked by content, the size limit, links, the hash, tenant isolation."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Evidence, TimelineEntry
from incidents.services.evidence import evidence_add
from tests.incidents.factories import open_incident
from yuqing.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<doc/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def incident(tenant_a, admin_a):
    return open_incident(tenant_a, admin_a.user)


def add(tenant, actor, incident, name: str | None, content: bytes = b"", url: str = "", title: str = "微博截图"):
    upload = SimpleUploadedFile(name, content) if name else None
    return evidence_add(tenant=tenant, actor=actor, incident=incident, title=title, file=upload, url=url)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("weibo.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("moving.gif", b"GIF89a" + b"\x00" * 32, "image/gif"),
        ("shot.webp", b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "image/webp"),
        ("notice.pdf", PDF, "application/pdf"),
        (
            "opinion.docx",
            office("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("reach.xlsx", office("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("transcript.txt", "客户来电记录：要求尽快答复。".encode(), "text/plain"),
        ("posts.csv", "平台,链接\n微博,https://weibo.com/1\n".encode("gb18030"), "text/csv"),
    ],
)
def test_allowed_types_are_stored_with_their_hash(tenant_a, admin_a, incident, name, content, content_type) -> None:
    evidence = add(tenant_a, admin_a.user, incident, name, content)
    assert (evidence.content_type, evidence.size) == (content_type, len(content))
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.file.name.startswith(f"evidence/{tenant_a.pk}/{incident.pk}/")
    with evidence.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("fake.png", PDF, "文件内容与扩展名“.png”不符"),
        ("fake.pdf", PNG, "文件内容与扩展名“.pdf”不符"),
        ("renamed.docx", office("xl/workbook.xml"), "文件内容与扩展名“.docx”不符"),
        ("broken.xlsx", b"PK\x03\x04 not a zip", "文件内容与扩展名“.xlsx”不符"),
        ("binary.txt", b"abc\x00def", "文件内容与扩展名“.txt”不符"),
        ("noextension", PNG, "不支持的文件类型"),
        ("empty.txt", b"", "文件是空的"),
    ],
)
def test_files_are_judged_by_content(tenant_a, admin_a, incident, name, content, message) -> None:
    with pytest.raises(ValidationError) as caught:
        add(tenant_a, admin_a.user, incident, name, content)
    assert message in caught.value.message_dict["file"][0]
    assert not Evidence.objects.for_tenant(tenant_a).exists()


def test_files_over_the_limit_are_refused(tenant_a, admin_a, incident, settings) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        add(tenant_a, admin_a.user, incident, "big.pdf", PDF + b"0" * (1024 * 1024))
    assert caught.value.message_dict["file"] == ["文件过大：单个文件不能超过 1 MB。"]


def test_the_default_limit_is_20_mb(settings) -> None:
    from incidents.services.evidence import max_bytes

    if hasattr(settings, "EVIDENCE_MAX_BYTES"):
        del settings.EVIDENCE_MAX_BYTES
    assert max_bytes() == 20 * 1024 * 1024


def test_a_link_alone_is_evidence_and_must_be_http(tenant_a, admin_a, incident) -> None:
    evidence = add(tenant_a, admin_a.user, incident, None, url="https://weibo.com/123/abc")
    assert (evidence.url, evidence.file.name) == ("https://weibo.com/123/abc", "")
    with pytest.raises(ValidationError) as caught:
        add(tenant_a, admin_a.user, incident, None, url="javascript:alert(1)")
    assert "url" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        add(tenant_a, admin_a.user, incident, None, title="")
    assert set(caught.value.message_dict) == {"title", "file"}


def test_adding_evidence_writes_timeline_and_audit(tenant_a, admin_a, incident) -> None:
    evidence = add(tenant_a, admin_a.user, incident, "weibo.png", PNG, url="https://weibo.com/1")
    entry = TimelineEntry.objects.for_tenant(tenant_a).get(incident=incident, kind="evidence")
    assert entry.data["evidence"] == evidence.pk
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="incident.evidence_add")
    assert event.changes["sha256"] == evidence.sha256


def test_evidence_cannot_be_added_to_another_tenants_incident(tenant_a, tenant_b, admin_a, admin_b) -> None:
    foreign = open_incident(tenant_b, admin_b.user)
    with pytest.raises(ValidationError):
        add(tenant_a, admin_a.user, foreign, "weibo.png", PNG)
