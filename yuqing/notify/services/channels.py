"""Notification channels: their settings, checked, stored with secrets encrypted, and audited.

Only https webhooks on the platforms' own hosts are accepted (DOMAIN.md): the webhook URL is the
robot's credential, and the check also keeps the server from being aimed at the intranet. The
setting NOTIFY_ALLOW_INSECURE_WEBHOOKS (tests, a local robot stand-in) also accepts
http://127.0.0.1 with the same path.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record, changes_between
from yuqing.notify.models import Channel
from yuqing.notify.services import robots
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Role, Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MAX_MENTION_MOBILES = 20


@dataclass
class ChannelData:
    """What a channel is set to. For an edit, None keeps the stored webhook URL, secret or mobiles;
    an empty secret or mobile list removes them."""

    name: str
    kind: str
    webhook_url: str | None = None
    secret: str | None = None
    email_recipients: str = ""
    mention_mobiles: list[str] | None = None
    department: Department | None = None
    target_roles: list[str] = field(default_factory=list)
    rate_limit_per_minute: int | None = None
    is_active: bool = True
    sla_escalations: bool = False


def split_mobiles(text: str) -> list[str]:
    """Mobiles typed one a line or separated by commas (full-width too) or spaces."""
    return [item for item in re.split(r"[\s,，;；、]+", text or "") if item]


def webhook_url_error(kind: str, url: str) -> str | None:
    """Why `url` cannot be this kind of robot's webhook, or None.

    Production accepts only https on the platform's own hosts (DOMAIN.md), which also keeps the
    server from being pointed at the intranet. NOTIFY_ALLOW_INSECURE_WEBHOOKS (tests) also
    accepts http://127.0.0.1 with the same path.
    """
    label = Channel.Kind(kind).label
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return _("Webhook 地址格式不正确。")
    local = (
        getattr(settings, "NOTIFY_ALLOW_INSECURE_WEBHOOKS", False)
        and parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
    )
    hosts = robots.KNOWN_HOSTS[kind]
    if not local and (parts.scheme != "https" or parts.hostname not in hosts or port not in (None, 443)):
        return _("%(kind)s的 Webhook 地址必须以 https:// 开头，且位于 %(hosts)s。") % {
            "kind": label,
            "hosts": " / ".join(hosts),
        }
    if parts.username or parts.password or parts.fragment:
        return _("Webhook 地址格式不正确。")
    path = robots.WEBHOOK_PATHS[kind]
    query = dict(urllib.parse.parse_qsl(parts.query))
    credential = robots.CREDENTIAL_PARAMS.get(kind)
    if kind == robots.FEISHU:
        well_formed = parts.path.startswith(path) and len(parts.path) > len(path) and "/" not in parts.path[len(path) :]
    else:
        well_formed = parts.path == path and bool(query.get(credential or ""))
    if kind == robots.DINGTALK and ("sign" in query or "timestamp" in query):
        well_formed = False  # the signature is added at each send
    if not well_formed:
        example = {
            robots.WECOM: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
            robots.DINGTALK: "https://oapi.dingtalk.com/robot/send?access_token=…",
            robots.FEISHU: "https://open.feishu.cn/open-apis/bot/v2/hook/…",
        }[kind]
        return _("Webhook 地址格式不正确，应形如 %(example)s") % {"example": example}
    return None


def channel_clean(*, tenant: Tenant, data: ChannelData, channel: Channel | None = None) -> ChannelData:
    """Check a channel's settings; raise ValidationError keyed by field. Returns the data tidied."""
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    data.name = (data.name or "").strip()
    if not data.name:
        error("name", _("请填写渠道名称。"))
    else:
        same_name = Channel.objects.for_tenant(tenant).filter(name=data.name)
        if channel is not None:
            same_name = same_name.exclude(pk=channel.pk)
        if same_name.exists():
            error("name", _("已有同名的通知渠道。"))
    if data.kind not in Channel.Kind.values:
        error("kind", _("请选择渠道类型。"))
        raise ValidationError(errors)

    is_robot = data.kind in robots.ROBOT_KINDS
    webhook = data.webhook_url.strip() if data.webhook_url is not None else None
    stored = ""
    if webhook is None and channel is not None and channel.kind == data.kind:
        try:
            stored = channel.webhook_url()
        except ValueError:  # stored under a key no longer configured: it has to be entered again
            stored = ""
    if is_robot:
        effective = webhook if webhook else stored
        if not effective:
            error("webhook_url", _("请填写机器人的 Webhook 地址。"))
        elif webhook:
            problem = webhook_url_error(data.kind, webhook)
            if problem:
                error("webhook_url", problem)
        data.webhook_url = webhook or None
    secret = data.secret.strip() if data.secret is not None else None
    if secret:
        if data.kind == robots.DINGTALK and not secret.startswith("SEC"):
            error("secret", _("钉钉机器人的加签密钥以 SEC 开头。"))
        elif data.kind not in (robots.DINGTALK, robots.FEISHU):
            error("secret", _("只有钉钉和飞书机器人使用加签密钥。"))
    data.secret = secret

    if data.mention_mobiles is not None:
        mobiles = list(dict.fromkeys(mobile.strip() for mobile in data.mention_mobiles if mobile.strip()))
        bad = [mobile for mobile in mobiles if not MOBILE_RE.match(mobile)]
        if mobiles and data.kind not in (robots.WECOM, robots.DINGTALK):
            error("mention_mobiles", _("只有企业微信和钉钉机器人可以按手机号提醒群成员。"))
        elif bad:
            error("mention_mobiles", _("手机号格式不正确：%(value)s") % {"value": "，".join(bad)})
        elif len(mobiles) > MAX_MENTION_MOBILES:
            error("mention_mobiles", _("最多提醒 %(count)s 个手机号。") % {"count": MAX_MENTION_MOBILES})
        data.mention_mobiles = mobiles

    data.email_recipients = (data.email_recipients or "").strip()
    if data.kind == Channel.Kind.EMAIL:
        addresses = Channel(email_recipients=data.email_recipients).email_recipient_list()
        if not addresses:
            error("email_recipients", _("请填写至少一个收件人地址。"))
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                error("email_recipients", _("电子邮件地址不正确：%(value)s") % {"value": address})

    data.target_roles = list(dict.fromkeys(data.target_roles or []))
    if data.department is not None and data.department.tenant_id != tenant.pk:
        error("department", _("请选择本机构的部门。"))
    if any(role not in Role.values for role in data.target_roles):
        error("target_roles", _("请选择有效的角色。"))
    if data.kind == Channel.Kind.PORTAL and data.department is None and not data.target_roles:
        error("department", _("站内通知渠道请选择接收部门或接收角色。"))

    platform_limit = robots.RATE_LIMITS_PER_MINUTE.get(data.kind)
    if data.rate_limit_per_minute is not None:
        if data.rate_limit_per_minute < 1:
            error("rate_limit_per_minute", _("每分钟上限至少为 1。"))
        elif platform_limit and data.rate_limit_per_minute > platform_limit:
            error(
                "rate_limit_per_minute",
                _("不能超过平台上限 %(limit)s 条/分钟。") % {"limit": platform_limit},
            )
    if errors:
        raise ValidationError(errors)
    return data


def _snapshot(channel: Channel) -> dict[str, Any]:
    """What the audit trail keeps of a channel: secrets and mobiles masked only."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "webhook_url": channel.webhook_url_masked,
        "secret": channel.secret_masked,
        "email_recipients": channel.email_recipients,
        "mention_mobiles": channel.mention_mobiles_masked,
        "department": channel.department_id,
        "target_roles": list(channel.target_roles),
        "rate_limit_per_minute": channel.rate_limit_per_minute,
        "is_active": channel.is_active,
        "sla_escalations": channel.sla_escalations,
    }


def _assign(channel: Channel, data: ChannelData) -> None:
    kind_changed = channel.kind != data.kind
    channel.name = data.name
    channel.kind = data.kind
    channel.email_recipients = data.email_recipients if data.kind == Channel.Kind.EMAIL else ""
    channel.department = data.department if data.kind == Channel.Kind.PORTAL else None
    channel.target_roles = data.target_roles if data.kind == Channel.Kind.PORTAL else []
    channel.rate_limit_per_minute = data.rate_limit_per_minute
    channel.is_active = data.is_active
    channel.sla_escalations = data.sla_escalations
    if data.kind not in robots.ROBOT_KINDS:
        channel.set_webhook_url("")
        channel.set_secret("")
        channel.set_mention_mobiles([])
        return
    if data.webhook_url:
        channel.set_webhook_url(data.webhook_url)
    if data.secret is not None or kind_changed:
        channel.set_secret(data.secret or "")
    if data.mention_mobiles is not None:
        channel.set_mention_mobiles(data.mention_mobiles)
    elif kind_changed and data.kind not in (robots.WECOM, robots.DINGTALK):
        channel.set_mention_mobiles([])


def _save(channel: Channel) -> None:
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ValidationError({"name": _("已有同名的通知渠道。")})


@tenant_service(Permission.CONFIGURE)
def channel_create(*, tenant: Tenant, actor: User | None, data: ChannelData, ip_address: str | None = None) -> Channel:
    data = channel_clean(tenant=tenant, data=data)
    channel = Channel(tenant=tenant)
    _assign(channel, data)
    _save(channel)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="notify.channel_create",
        target=channel,
        changes=changes_between({}, _snapshot(channel)),
        ip_address=ip_address,
    )
    return channel


@tenant_service(Permission.CONFIGURE)
def channel_update(
    *, tenant: Tenant, actor: User | None, channel: Channel, data: ChannelData, ip_address: str | None = None
) -> Channel:
    locked = get_for_tenant(Channel.objects.for_tenant(tenant).select_for_update(), tenant=tenant, pk=channel.pk)
    data = channel_clean(tenant=tenant, data=data, channel=locked)
    before = _snapshot(locked)
    _assign(locked, data)
    _save(locked)
    changes = changes_between(before, _snapshot(locked))
    if data.webhook_url and "webhook_url" not in changes:
        changes["webhook_url"] = {"before": before["webhook_url"], "after": _("已更换")}
    if changes:
        audit_record(
            tenant=tenant,
            actor=actor,
            action="notify.channel_update",
            target=locked,
            changes=changes,
            ip_address=ip_address,
        )
    return locked
