"""Channel settings: checked with Chinese messages, secrets encrypted at rest, masked everywhere, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import DepartmentFactory
from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Channel
from yuqing.notify.selectors import channel_list
from yuqing.notify.services import ChannelData, channel_create, channel_update

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a0c-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=6a1b2c3d4e5f60718293a4b5c6d7e8f9"
FEISHU_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/8f0e2b8c-1234-4c5d-9e8f-0123456789ab"
DING_SECRET = "SECb1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0"


def create(tenant, **fields):
    fields.setdefault("name", "值班群")
    return channel_create(tenant=tenant, actor=None, data=ChannelData(**fields))


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_a_robot_channel_stores_its_webhook_and_secret_encrypted_and_shows_them_masked(tenant_a):
    channel = create(tenant_a, kind="dingtalk", webhook_url=DINGTALK_URL, secret=DING_SECRET)
    row = Channel.objects.for_tenant(tenant_a).values().get(pk=channel.pk)
    stored = " ".join(str(value) for value in row.values())
    assert "6a1b2c3d4e5f60718293a4b5c6d7e8f9" not in stored
    assert DING_SECRET not in stored
    assert row["webhook_url_masked"] == "https://oapi.dingtalk.com/robot/send?access_token=6a1****e8f9"
    assert row["secret_masked"] == "SEC****b9c0"
    assert channel.webhook_url() == DINGTALK_URL
    assert channel.secret() == DING_SECRET


def test_mentioned_mobiles_are_encrypted_and_masked(tenant_a):
    channel = create(tenant_a, kind="wecom", webhook_url=WECOM_URL, mention_mobiles=["13800138000", "13912345678"])
    assert channel.mention_mobiles() == ["13800138000", "13912345678"]
    assert channel.mention_mobiles_masked == "138****8000，139****5678"
    assert "13800138000" not in channel.mention_mobiles_encrypted


def test_the_audit_trail_gets_masked_values_only(tenant_a):
    channel = create(tenant_a, kind="dingtalk", webhook_url=DINGTALK_URL, secret=DING_SECRET)
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="notify.channel_create", object_id=str(channel.pk))
    text = str(event.changes)
    assert "6a1b2c3d4e5f60718293a4b5c6d7e8f9" not in text
    assert DING_SECRET not in text
    assert "SEC****b9c0" in text


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
        ("wecom", "https://evil.example.com/cgi-bin/webhook/send?key=abc"),
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abc"),
        ("dingtalk", "https://oapi.dingtalk.com:8443/robot/send?access_token=abc"),
        ("feishu", "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/abc"),
        ("wecom", "http://127.0.0.1:8000/cgi-bin/webhook/send?key=abc"),  # only with NOTIFY_ALLOW_INSECURE_WEBHOOKS
        ("dingtalk", "https://10.0.0.5/robot/send?access_token=abc"),
    ],
)
def test_production_accepts_only_https_webhooks_on_the_platforms_hosts(tenant_a, kind, url):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind=kind, webhook_url=url)
    assert "Webhook 地址必须以 https:// 开头" in errors_of(excinfo)["webhook_url"][0]


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/other?key=abc"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/"),
        ("feishu", "https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/abc"),
    ],
)
def test_a_webhook_must_have_the_platforms_path_and_credential(tenant_a, kind, url):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind=kind, webhook_url=url)
    assert "Webhook 地址格式不正确" in errors_of(excinfo)["webhook_url"][0]


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("wecom", WECOM_URL),
        ("dingtalk", DINGTALK_URL),
        ("feishu", FEISHU_URL),
        ("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abc-123"),
    ],
)
def test_the_platforms_real_webhook_shapes_are_accepted(tenant_a, kind, url):
    assert create(tenant_a, kind=kind, webhook_url=url).webhook_url() == url


def test_local_http_is_accepted_only_with_the_insecure_setting(tenant_a, settings):
    url = "http://127.0.0.1:8123/cgi-bin/webhook/send?key=abc"
    settings.NOTIFY_ALLOW_INSECURE_WEBHOOKS = True
    assert create(tenant_a, kind="wecom", webhook_url=url).webhook_url() == url
    with pytest.raises(ValidationError):
        create(tenant_a, name="另一个", kind="wecom", webhook_url="http://10.0.0.1/cgi-bin/webhook/send?key=abc")


def test_a_robot_needs_a_webhook(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="feishu", webhook_url="")
    assert errors_of(excinfo)["webhook_url"] == ["请填写机器人的 Webhook 地址。"]


def test_a_dingtalk_secret_starts_with_sec_and_wecom_takes_none(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="dingtalk", webhook_url=DINGTALK_URL, secret="abc")
    assert errors_of(excinfo)["secret"] == ["钉钉机器人的加签密钥以 SEC 开头。"]
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="wecom", webhook_url=WECOM_URL, secret="SECabc")
    assert errors_of(excinfo)["secret"] == ["只有钉钉和飞书机器人使用加签密钥。"]


def test_mobiles_are_checked_and_only_wecom_and_dingtalk_mention_them(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="dingtalk", webhook_url=DINGTALK_URL, mention_mobiles=["1380013800", "12800138000"])
    assert errors_of(excinfo)["mention_mobiles"] == ["手机号格式不正确：1380013800，12800138000"]
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="feishu", webhook_url=FEISHU_URL, mention_mobiles=["13800138000"])
    assert "只有企业微信和钉钉" in errors_of(excinfo)["mention_mobiles"][0]


def test_an_email_channel_needs_valid_recipients(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="email", email_recipients="duty@example.com\nnot-an-address")
    assert errors_of(excinfo)["email_recipients"] == ["电子邮件地址不正确：not-an-address"]
    channel = create(tenant_a, kind="email", email_recipients="duty@example.com， risk@example.com")
    assert channel.email_recipient_list() == ["duty@example.com", "risk@example.com"]


def test_a_portal_channel_needs_a_department_or_roles_of_its_own_tenant(tenant_a, tenant_b):
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="portal")
    assert errors_of(excinfo)["department"] == ["站内通知渠道请选择接收部门或接收角色。"]
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="portal", department=DepartmentFactory(tenant=tenant_b))
    assert errors_of(excinfo)["department"] == ["请选择本机构的部门。"]
    channel = create(tenant_a, kind="portal", target_roles=["manager", "admin"])
    assert channel.target_roles == ["manager", "admin"]


def test_the_rate_limit_defaults_by_kind_and_cannot_exceed_the_platforms(tenant_a):
    assert create(tenant_a, name="企微", kind="wecom", webhook_url=WECOM_URL).rate_limit == 20
    assert create(tenant_a, name="钉钉", kind="dingtalk", webhook_url=DINGTALK_URL).rate_limit == 20
    assert create(tenant_a, name="飞书", kind="feishu", webhook_url=FEISHU_URL).rate_limit == 100
    assert create(tenant_a, name="慢", kind="feishu", webhook_url=FEISHU_URL, rate_limit_per_minute=10).rate_limit == 10
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, name="太快", kind="wecom", webhook_url=WECOM_URL, rate_limit_per_minute=30)
    assert errors_of(excinfo)["rate_limit_per_minute"] == ["不能超过平台上限 20 条/分钟。"]


def test_names_are_unique_per_tenant(tenant_a, tenant_b):
    create(tenant_a, kind="wecom", webhook_url=WECOM_URL)
    create(tenant_b, kind="wecom", webhook_url=WECOM_URL)
    with pytest.raises(ValidationError) as excinfo:
        create(tenant_a, kind="wecom", webhook_url=WECOM_URL)
    assert errors_of(excinfo)["name"] == ["已有同名的通知渠道。"]


def test_an_edit_keeps_the_stored_secrets_unless_new_ones_are_given(tenant_a):
    channel = create(
        tenant_a, kind="dingtalk", webhook_url=DINGTALK_URL, secret=DING_SECRET, mention_mobiles=["13800138000"]
    )
    channel_update(
        tenant=tenant_a,
        actor=None,
        channel=channel,
        data=ChannelData(name="改名", kind="dingtalk", rate_limit_per_minute=5),
    )
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_url(), channel.secret(), channel.mention_mobiles()) == (
        "改名",
        DINGTALK_URL,
        DING_SECRET,
        ["13800138000"],
    )
    channel_update(
        tenant=tenant_a, actor=None, channel=channel, data=ChannelData(name="改名", kind="dingtalk", secret="")
    )
    channel.refresh_from_db()
    assert channel.secret() == ""
    assert channel.secret_masked == ""


def test_changing_the_kind_needs_a_webhook_of_the_new_platform(tenant_a):
    channel = create(tenant_a, kind="wecom", webhook_url=WECOM_URL)
    with pytest.raises(ValidationError) as excinfo:
        channel_update(tenant=tenant_a, actor=None, channel=channel, data=ChannelData(name="值班群", kind="feishu"))
    assert "webhook_url" in errors_of(excinfo)


def test_only_administrators_configure_channels(tenant_a, handler_a, admin_a):
    with pytest.raises(PermissionDenied):
        channel_create(
            tenant=tenant_a, actor=handler_a.user, data=ChannelData(name="x", kind="wecom", webhook_url=WECOM_URL)
        )
    channel = channel_create(
        tenant=tenant_a, actor=admin_a.user, data=ChannelData(name="x", kind="wecom", webhook_url=WECOM_URL)
    )
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="notify.channel_create", actor=admin_a.user).exists()
    assert channel.pk


def test_channel_list_is_the_tenants_active_channels(tenant_a, tenant_b):
    mine = create(tenant_a, kind="wecom", webhook_url=WECOM_URL)
    off = create(tenant_a, name="停用", kind="wecom", webhook_url=WECOM_URL, is_active=False)
    create(tenant_b, kind="wecom", webhook_url=WECOM_URL)
    assert list(channel_list(tenant=tenant_a)) == [mine]
    assert set(channel_list(tenant=tenant_a, active_only=False)) == {mine, off}
