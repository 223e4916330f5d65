"""The portal's notification settings: channels (write-only secrets, test message, deliveries and
their retry) and warning routes (tenant-scoped channel choice, update, deactivate, audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.monitoring.portal_support import html
from yuqing.audit.models import AuditEvent
from yuqing.monitoring.models import Level, WarningRoute
from yuqing.monitoring.services.warnings.routing import warning_route_create, warning_route_update
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import ChannelData, channel_create
from yuqing.tenancy.models import Role

WECOM_KEY = "5f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
WECOM_URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
DINGTALK_TOKEN = "6a1b2c3d4e5f60718293a4b5c6d7e8f9"
DINGTALK_URL = f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}"
SECRET = "SECb1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0"
MOBILE = "13800138000"


def channel_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "值班企业微信群",
        "kind": "wecom",
        "is_active": "on",
        "new_webhook_url": WECOM_URL,
        "new_secret": "",
        "new_mention_mobiles": MOBILE,
        "email_recipients": "",
        "department": "",
        "rate_limit_per_minute": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def dingtalk_a(tenant_a) -> Channel:
    return channel_create(
        tenant=tenant_a,
        actor=None,
        data=ChannelData(
            name="值班钉钉群", kind="dingtalk", webhook_url=DINGTALK_URL, secret=SECRET, mention_mobiles=[MOBILE]
        ),
    )


@pytest.fixture
def portal_b(tenant_b) -> Channel:
    return Channel.objects.create(tenant=tenant_b, name="乙方站内", kind=Channel.Kind.PORTAL, target_roles=["admin"])


# ---------------------------------------------------------------- channels


def test_an_admin_creates_a_wecom_channel_and_its_key_is_never_shown(client_a, tenant_a):
    assert 'data-form="channel"' in html(client_a.get(reverse("monitoring:channel-create")))
    response = client_a.post(reverse("monitoring:channel-create"), channel_form(sla_escalations="on"))
    assert response.status_code == 302
    channel = Channel.objects.for_tenant(tenant_a).get(name="值班企业微信群")
    assert channel.webhook_url() == WECOM_URL
    assert channel.mention_mobiles() == [MOBILE]
    assert channel.sla_escalations
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="notify.channel_create").exists()
    for url in (
        reverse("monitoring:channel-list"),
        reverse("monitoring:channel-detail", args=[channel.pk]),
        reverse("monitoring:channel-edit", args=[channel.pk]),
    ):
        page = html(client_a.get(url))
        assert WECOM_KEY not in page and MOBILE not in page, url
    listing = html(client_a.get(reverse("monitoring:channel-list")))
    assert channel.webhook_url_masked in listing
    assert "企业微信群机器人" in listing


def test_a_rejected_create_does_not_echo_the_secret(client_a, tenant_a):
    response = client_a.post(
        reverse("monitoring:channel-create"),
        channel_form(name="钉钉", kind="dingtalk", new_webhook_url="http://evil.example.com/x", new_secret=SECRET),
    )
    assert response.status_code == 200
    page = html(response)
    assert "Webhook 地址必须以 https:// 开头" in page
    assert SECRET not in page
    assert not Channel.objects.for_tenant(tenant_a).exists()


def test_editing_with_blank_secret_fields_keeps_the_stored_values(client_a, tenant_a, dingtalk_a):
    page = html(client_a.get(reverse("monitoring:channel-edit", args=[dingtalk_a.pk])))
    assert dingtalk_a.secret_masked in page and SECRET not in page and DINGTALK_TOKEN not in page
    assert "清除加签密钥" in page
    response = client_a.post(
        reverse("monitoring:channel-edit", args=[dingtalk_a.pk]),
        channel_form(name="值班钉钉群（新）", kind="dingtalk", new_webhook_url="", new_mention_mobiles=""),
    )
    assert response.status_code == 302
    dingtalk_a.refresh_from_db()
    assert dingtalk_a.name == "值班钉钉群（新）"
    assert dingtalk_a.webhook_url() == DINGTALK_URL
    assert dingtalk_a.secret() == SECRET
    assert dingtalk_a.mention_mobiles() == [MOBILE]


def test_the_clear_boxes_remove_the_secret_and_mobiles(client_a, dingtalk_a):
    response = client_a.post(
        reverse("monitoring:channel-edit", args=[dingtalk_a.pk]),
        channel_form(
            name="值班钉钉群",
            kind="dingtalk",
            new_webhook_url="",
            new_mention_mobiles="",
            clear_secret="on",
            clear_mention_mobiles="on",
        ),
    )
    assert response.status_code == 302
    dingtalk_a.refresh_from_db()
    assert dingtalk_a.secret() == "" and dingtalk_a.secret_masked == ""
    assert dingtalk_a.mention_mobiles() == []
    assert dingtalk_a.webhook_url() == DINGTALK_URL


def test_the_test_message_is_queued(client_a, tenant_a, dingtalk_a):
    response = client_a.post(reverse("monitoring:channel-test", args=[dingtalk_a.pk]))
    assert response.status_code == 302
    delivery = Delivery.objects.for_tenant(tenant_a).get(channel=dingtalk_a)
    assert delivery.title == "测试消息"
    assert delivery.status == Delivery.Status.QUEUED
    assert client_a.get(reverse("monitoring:channel-test", args=[dingtalk_a.pk])).status_code == 405


def test_a_failed_delivery_is_listed_and_retried(client_a, tenant_a, dingtalk_a):
    failed = Delivery.objects.create(
        tenant=tenant_a,
        channel=dingtalk_a,
        title="橙色预警",
        status=Delivery.Status.FAILED,
        attempts=5,
        error_code="310000",
        error_message="sign not match",
    )
    sent = Delivery.objects.create(tenant=tenant_a, channel=dingtalk_a, title="蓝色预警", status=Delivery.Status.SENT)
    page = html(client_a.get(reverse("monitoring:channel-detail", args=[dingtalk_a.pk])))
    assert f'data-delivery="{failed.pk}"' in page and f'data-delivery="{sent.pk}"' in page
    assert "310000" in page
    assert reverse("monitoring:delivery-retry", args=[failed.pk]) in page
    assert reverse("monitoring:delivery-retry", args=[sent.pk]) not in page
    response = client_a.post(reverse("monitoring:delivery-retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.QUEUED and failed.attempts == 0 and failed.error_code == ""
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="notify.delivery_retry").exists()


def test_a_viewer_and_a_manager_cannot_write(client_for, tenant_a, dingtalk_a):
    viewer = client_for(MembershipFactory(tenant=tenant_a, user=UserFactory(username="v1"), role=Role.VIEWER))
    manager = client_for(MembershipFactory(tenant=tenant_a, user=UserFactory(username="m1"), role=Role.MANAGER))
    failed = Delivery.objects.create(tenant=tenant_a, channel=dingtalk_a, title="x", status=Delivery.Status.FAILED)
    assert viewer.get(reverse("monitoring:channel-list")).status_code == 403
    listing = manager.get(reverse("monitoring:channel-list"))
    assert listing.status_code == 200 and reverse("monitoring:channel-create") not in html(listing)
    for client in (viewer, manager):
        assert client.post(reverse("monitoring:channel-create"), channel_form()).status_code == 403
        assert client.post(reverse("monitoring:channel-test", args=[dingtalk_a.pk])).status_code == 403
        assert client.post(reverse("monitoring:delivery-retry", args=[failed.pk])).status_code == 403
        assert client.post(reverse("monitoring:route-create"), {}).status_code == 403
    assert not Channel.objects.for_tenant(tenant_a).exclude(pk=dingtalk_a.pk).exists()
    assert not Delivery.objects.for_tenant(tenant_a).filter(status=Delivery.Status.QUEUED).exists()


def test_another_tenants_channel_and_delivery_are_404(client_a, tenant_b, portal_b):
    delivery = Delivery.objects.create(tenant=tenant_b, channel=portal_b, title="x", status=Delivery.Status.FAILED)
    for name in ("channel-detail", "channel-edit"):
        assert client_a.get(reverse(f"monitoring:{name}", args=[portal_b.pk])).status_code == 404
    assert client_a.post(reverse("monitoring:channel-test", args=[portal_b.pk])).status_code == 404
    assert client_a.post(reverse("monitoring:delivery-retry", args=[delivery.pk])).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_the_settings_tabs_link_to_channels_and_routes(client_a):
    page = html(client_a.get(reverse("monitoring:source-list")))
    assert reverse("monitoring:channel-list") in page and reverse("monitoring:route-list") in page


# ---------------------------------------------------------------- warning routes


def route_form(channel: Channel, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "橙色以上推送值班群",
        "min_level": str(Level.ORANGE),
        "channel": str(channel.pk),
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "quiet_on_non_working_days": "on",
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_an_admin_creates_a_route_to_a_channel_of_the_tenant(client_a, tenant_a, dingtalk_a):
    response = client_a.post(reverse("monitoring:route-create"), route_form(dingtalk_a))
    assert response.status_code == 302
    route = WarningRoute.objects.for_tenant(tenant_a).get()
    assert route.channel == dingtalk_a and route.min_level == Level.ORANGE
    assert route.quiet_start == dt.time(22) and route.quiet_end == dt.time(8)
    assert route.quiet_on_non_working_days
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="warning_route.create").exists()
    page = html(client_a.get(reverse("monitoring:route-list")))
    assert f'data-route="{route.pk}"' in page and "22:00 – 08:00" in page


def test_another_tenants_channel_cannot_be_chosen(client_a, tenant_a, dingtalk_a, portal_b):
    page = html(client_a.get(reverse("monitoring:route-create")))
    assert "乙方站内" not in page
    response = client_a.post(reverse("monitoring:route-create"), route_form(portal_b))
    assert response.status_code == 200
    assert "请选择本机构的通知渠道。" in html(response)
    assert not WarningRoute.objects.for_tenant(tenant_a).exists()


def test_half_a_quiet_period_is_refused(client_a, tenant_a, dingtalk_a):
    response = client_a.post(reverse("monitoring:route-create"), route_form(dingtalk_a, quiet_end=""))
    assert response.status_code == 200
    assert "免打扰时段需要同时填写开始和结束时间。" in html(response)
    assert not WarningRoute.objects.for_tenant(tenant_a).exists()


def test_an_admin_edits_and_deactivates_a_route(client_a, tenant_a, dingtalk_a):
    route = warning_route_create(tenant=tenant_a, actor=None, name="黄色推送", channel=dingtalk_a)
    response = client_a.post(
        reverse("monitoring:route-edit", args=[route.pk]),
        route_form(dingtalk_a, name="红色推送", min_level=str(Level.RED), quiet_start="", quiet_end=""),
    )
    assert response.status_code == 302
    route.refresh_from_db()
    assert route.name == "红色推送" and route.min_level == Level.RED and route.quiet_start is None
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="warning_route.update")
    assert event.changes["name"] == {"before": "黄色推送", "after": "红色推送"}
    assert client_a.post(reverse("monitoring:route-toggle", args=[route.pk]), {"active": "0"}).status_code == 302
    route.refresh_from_db()
    assert not route.is_active


def test_another_tenants_route_is_404(client_a, tenant_b, portal_b):
    route = warning_route_create(tenant=tenant_b, actor=None, name="乙方推送", channel=portal_b)
    assert client_a.get(reverse("monitoring:route-edit", args=[route.pk])).status_code == 404
    assert client_a.post(reverse("monitoring:route-toggle", args=[route.pk]), {"active": "0"}).status_code == 404
    route.refresh_from_db()
    assert route.is_active


def test_the_route_update_service_checks_tenant_and_permission(tenant_a, tenant_b, dingtalk_a, portal_b, viewer_a):
    route = warning_route_create(tenant=tenant_a, actor=None, name="黄色推送", channel=dingtalk_a)
    fields = {"name": "黄色推送", "min_level": Level.YELLOW}
    with pytest.raises(ValidationError):
        warning_route_update(tenant=tenant_a, actor=None, route=route, channel=portal_b, **fields)
    with pytest.raises(PermissionDenied):
        warning_route_update(tenant=tenant_a, actor=viewer_a.user, route=route, channel=dingtalk_a, **fields)
