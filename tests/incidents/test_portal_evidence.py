"""Evidence in the portal: uploads checked by content, links, and downloads only through Django,
only to the incident's tenant."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Evidence, Incident, Phase
from incidents.services.evidence import evidence_add
from tests.incidents.factories import open_incident
from tests.incidents.portal_support import html, messages_of

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def incident(tenant_a, admin_a) -> Incident:
    return open_incident(tenant_a, admin_a.user, title="疑似客户信息泄露")


@pytest.fixture
def screenshot(incident, admin_a) -> Evidence:
    return evidence_add(
        tenant=incident.tenant,
        actor=admin_a.user,
        incident=incident,
        title="论坛截图",
        file=SimpleUploadedFile("论坛截图.png", PNG, content_type="image/png"),
    )


def upload(client, incident: Incident, **data):
    posted = {f"evidence-{name}": value for name, value in data.items()}
    return client.post(reverse("incidents:evidence-add", args=[incident.pk]), posted, follow=True)


def test_uploading_a_screenshot(client_a, tenant_a, incident):
    response = upload(client_a, incident, title="微博截图", file=SimpleUploadedFile("weibo.png", PNG))
    assert "已添加证据“微博截图”。" in messages_of(response)
    evidence = Evidence.objects.for_tenant(tenant_a).get()
    assert (evidence.content_type, evidence.size) == ("image/png", len(PNG))
    assert f'href="{reverse("incidents:evidence-download", args=[evidence.pk])}"' in html(response)
    assert "/media/" not in html(response)  # never a public file URL


def test_a_link_alone_is_evidence_too(client_a, tenant_a, incident):
    response = upload(client_a, incident, title="原帖", url="https://weibo.com/123/abc")
    assert "已添加证据“原帖”。" in messages_of(response)
    assert Evidence.objects.for_tenant(tenant_a).get().url == "https://weibo.com/123/abc"


def test_neither_file_nor_link_is_refused(client_a, tenant_a, incident):
    response = upload(client_a, incident, title="空证据")
    assert response.status_code == 400 and "请上传文件或填写链接。" in html(response)


def test_a_file_that_is_not_what_its_name_says_is_refused(client_a, tenant_a, incident):
    response = upload(client_a, incident, title="伪装", file=SimpleUploadedFile("fake.png", b"MZ\x90\x00 not a png"))
    assert "文件内容与扩展名“.png”不符，请上传真实的该类型文件。" in html(response)
    assert not Evidence.objects.for_tenant(tenant_a).exists()


def test_an_executable_is_refused(client_a, tenant_a, incident):
    response = upload(client_a, incident, title="程序", file=SimpleUploadedFile("tool.exe", b"MZ\x90\x00"))
    assert "不支持的文件类型。" in html(response)


def test_a_file_over_the_limit_is_refused(client_a, settings, incident):
    settings.EVIDENCE_MAX_BYTES = 32
    response = upload(client_a, incident, title="大图", file=SimpleUploadedFile("big.png", PNG))
    assert "文件过大" in html(response)


def test_a_bad_link_is_refused(client_a, incident):
    response = upload(client_a, incident, title="原帖", url="javascript:alert(1)")
    assert "请填写有效的网址。" in html(response)


def test_a_closed_incident_takes_no_evidence(client_a, tenant_a, incident):
    Incident.objects.for_tenant(tenant_a).filter(pk=incident.pk).update(phase=Phase.CLOSED)
    response = upload(client_a, incident, title="迟到的证据", url="https://example.com/a")
    assert "事件已关闭，不能再修改；如需继续处置，请先退回到处置阶段。" in messages_of(response)


def test_the_download_is_the_file_as_an_attachment(client_a, screenshot):
    response = client_a.get(reverse("incidents:evidence-download", args=[screenshot.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]  # the Chinese name survives
    assert response["Cache-Control"] == "private, no-store"


def test_a_viewer_of_the_tenant_may_download(client_for, viewer_a, screenshot):
    assert client_for(viewer_a).get(reverse("incidents:evidence-download", args=[screenshot.pk])).status_code == 200


def test_another_tenant_gets_a_404(client_b, screenshot):
    assert client_b.get(reverse("incidents:evidence-download", args=[screenshot.pk])).status_code == 404


def test_a_link_has_no_download(client_a, incident, admin_a):
    link = evidence_add(tenant=incident.tenant, actor=admin_a.user, incident=incident, title="原帖", url="https://x.cn")
    assert client_a.get(reverse("incidents:evidence-download", args=[link.pk])).status_code == 404


def test_a_missing_file_is_a_404_not_an_error(client_a, screenshot):
    screenshot.file.storage.delete(screenshot.file.name)
    assert client_a.get(reverse("incidents:evidence-download", args=[screenshot.pk])).status_code == 404


def test_downloading_needs_a_login(client, screenshot):
    response = client.get(reverse("incidents:evidence-download", args=[screenshot.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
