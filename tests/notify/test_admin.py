"""The Django admin of channels and deliveries: write-only secrets, masked lists, services, isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import ChannelData, channel_create, delivery_enqueue

DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=6a1b2c3d4e5f60718293a4b5c6d7e8f9"
NEW_DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=ffffeeeeddddccccbbbbaaaa99998888"
SECRET = "SECb1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0"
CLEAR_PARTS = ("6a1b2c3d4e5f60718293a4b5c6d7e8f9", SECRET, "13800138000")


@pytest.fixture
def staff_a(client_for, admin_a):
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


@pytest.fixture
def channel_a(tenant_a) -> Channel:
    return channel_create(
        tenant=tenant_a,
        actor=None,
        data=ChannelData(
            name="值班钉钉群", kind="dingtalk", webhook_url=DINGTALK_URL, secret=SECRET, mention_mobiles=["13800138000"]
        ),
    )


def form_data(**overrides: object) -> dict[str, object]:
    return {
        "name": "值班钉钉群",
        "kind": "dingtalk",
        "is_active": "on",
        "new_webhook_url": "",
        "new_secret": "",
        "new_mention_mobiles": "",
        "email_recipients": "",
        "rate_limit_per_minute": "",
        **overrides,
    }


def test_the_lists_and_the_form_show_secrets_masked_only(staff_a, channel_a):
    for url in (
        reverse("admin:notify_channel_changelist"),
        reverse("admin:notify_channel_change", args=[channel_a.pk]),
    ):
        html = staff_a.get(url).content.decode()
        assert "access_token=6a1****e8f9" in html
        assert "SEC****b9c0" in html
        assert "138****8000" in html
        for clear in CLEAR_PARTS:
            assert clear not in html, url


def test_adding_a_channel_goes_through_the_service(staff_a, tenant_a, admin_a):
    response = staff_a.post(
        reverse("admin:notify_channel_add"),
        form_data(new_webhook_url=DINGTALK_URL, new_secret=SECRET, new_mention_mobiles="13800138000\n13912345678"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    channel = Channel.objects.for_tenant(tenant_a).get(name="值班钉钉群")
    assert (channel.webhook_url(), channel.secret(), channel.mention_mobiles()) == (
        DINGTALK_URL,
        SECRET,
        ["13800138000", "13912345678"],
    )
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="notify.channel_create")
    assert event.actor == admin_a.user
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="admin.add").exists()
    for clear in CLEAR_PARTS:
        assert clear not in str(event.changes)


def test_admin_errors_are_the_services_chinese_messages(staff_a):
    response = staff_a.post(
        reverse("admin:notify_channel_add"),
        form_data(new_webhook_url="http://oapi.dingtalk.com/robot/send?access_token=x", new_secret="abc"),
    )
    errors = response.context["adminform"].form.errors
    assert "Webhook 地址必须以 https:// 开头" in errors["new_webhook_url"][0]
    assert errors["new_secret"] == ["钉钉机器人的加签密钥以 SEC 开头。"]


def test_saving_with_blank_secret_fields_keeps_the_stored_ones(staff_a, tenant_a, channel_a):
    response = staff_a.post(
        reverse("admin:notify_channel_change", args=[channel_a.pk]), form_data(rate_limit_per_minute="10")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    channel_a.refresh_from_db()
    assert (channel_a.webhook_url(), channel_a.secret(), channel_a.mention_mobiles(), channel_a.rate_limit) == (
        DINGTALK_URL,
        SECRET,
        ["13800138000"],
        10,
    )


def test_new_values_replace_and_the_clear_boxes_remove(staff_a, channel_a):
    staff_a.post(
        reverse("admin:notify_channel_change", args=[channel_a.pk]),
        form_data(new_webhook_url=NEW_DINGTALK_URL, clear_secret="on", clear_mention_mobiles="on"),
    )
    channel_a.refresh_from_db()
    assert (channel_a.webhook_url(), channel_a.secret(), channel_a.mention_mobiles()) == (NEW_DINGTALK_URL, "", [])


def test_the_delivery_record_is_read_only(staff_a, tenant_a, channel_a):
    delivery = delivery_enqueue(tenant=tenant_a, channel=channel_a, title="只读的发送记录")
    assert "只读的发送记录" in staff_a.get(reverse("admin:notify_delivery_changelist")).content.decode()
    url = reverse("admin:notify_delivery_change", args=[delivery.pk])
    assert staff_a.get(url).status_code == 200
    staff_a.post(url, {"title": "改过"})
    assert Delivery.objects.for_tenant(tenant_a).get(pk=delivery.pk).title == "只读的发送记录"
    assert staff_a.get(reverse("admin:notify_delivery_add")).status_code == 403


def test_failed_deliveries_can_be_queued_again(staff_a, tenant_a, channel_a):
    delivery = delivery_enqueue(tenant=tenant_a, channel=channel_a, title="失败的")
    Delivery.objects.for_tenant(tenant_a).filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED, attempts=1, error_code="310000"
    )
    staff_a.post(
        reverse("admin:notify_delivery_changelist"),
        {"action": "retry_failed", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error_code) == (Delivery.Status.QUEUED, 0, "")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="notify.delivery_retry").exists()


def test_another_tenants_channel_and_deliveries_are_404_in_the_admin(staff_a, tenant_b):
    channel_b = channel_create(
        tenant=tenant_b, actor=None, data=ChannelData(name="乙方群", kind="dingtalk", webhook_url=DINGTALK_URL)
    )
    delivery_b = delivery_enqueue(tenant=tenant_b, channel=channel_b, title="乙方的发送记录")
    assert staff_a.get(reverse("admin:notify_channel_change", args=[channel_b.pk])).status_code == 404
    assert staff_a.get(reverse("admin:notify_delivery_change", args=[delivery_b.pk])).status_code == 404
    html = staff_a.get(reverse("admin:notify_channel_changelist")).content.decode()
    assert "乙方群" not in html
    assert "乙方的发送记录" not in staff_a.get(reverse("admin:notify_delivery_changelist")).content.decode()
