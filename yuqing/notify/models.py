"""In-portal notifications, and deliveries through channels: e-mail, enterprise-chat robots, the portal.

A `Channel` is where a tenant's messages go (a WeCom / DingTalk / Feishu group robot, a list of
e-mail addresses, or members of the portal chosen by department and role). Its webhook URL (the
URL itself is the credential: it holds the robot's key or token), its signing secret and the
mobiles it @-mentions are stored encrypted (yuqing.privacy) beside a masked form, which is all
any page, list or log shows.

A `Delivery` is one message to one channel, from queued to sent or failed; a burst of them is
merged into one digest delivery (see yuqing.notify.services.dispatch).
"""

from __future__ import annotations

import urllib.parse

from django.db import models
from django.utils.translation import gettext_lazy as _

from yuqing import privacy
from yuqing.tenancy.models import Department, Membership, TenantOwned

# The enterprise-chat robots' kinds and what a channel stores of them (their protocol:
# yuqing.notify.services.robots).
WECOM, DINGTALK, FEISHU = "wecom", "dingtalk", "feishu"
ROBOT_KINDS = (WECOM, DINGTALK, FEISHU)
# Messages per minute each platform accepts from one robot.
RATE_LIMITS_PER_MINUTE = {WECOM: 20, DINGTALK: 20, FEISHU: 100}
WEBHOOK_PATHS = {WECOM: "/cgi-bin/webhook/send", DINGTALK: "/robot/send", FEISHU: "/open-apis/bot/v2/hook/"}
LEVEL_LABELS = {
    1: _("红色 I 级"),
    2: _("橙色 II 级"),
    3: _("黄色 III 级"),
    4: _("蓝色 IV 级"),
}


class Notification(TenantOwned):
    """A message to one member, shown in the portal until read.

    `dedupe_key` makes a notification that must be sent once (an SLA warning for one deadline,
    say) unique per recipient: a second sweep that tries again is refused by the database.
    """

    class Kind(models.TextChoices):
        MENTION = "mention", _("提及")
        ASSIGNMENT = "assignment", _("分派")
        SLA_WARNING = "sla_warning", _("时限预警")
        SLA_BREACH = "sla_breach", _("时限超时")
        ESCALATION = "escalation", _("升级")
        WARNING = "warning", _("舆情预警")
        INFO = "info", _("通知")

    recipient = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


def mask_secret(value: str) -> str:
    """SEC****6789: enough to tell two secrets apart, too little to use one."""
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 12 else "****"


def mask_webhook_url(value: str) -> str:
    """The URL with its credential masked: every query value, and a Feishu hook's id."""
    if not value:
        return ""
    parts = urllib.parse.urlsplit(value)
    query = urllib.parse.urlencode(
        [(name, mask_secret(item)) for name, item in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    path = parts.path
    hook = WEBHOOK_PATHS[FEISHU]
    if path.startswith(hook) and len(path) > len(hook):
        path = hook + mask_secret(path[len(hook) :])
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


class Channel(TenantOwned):
    """Where a tenant's alerts go. Deactivate rather than delete: its deliveries are the record."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("电子邮件")
        WECOM = WECOM, _("企业微信群机器人")
        DINGTALK = DINGTALK, _("钉钉自定义机器人")
        FEISHU = FEISHU, _("飞书自定义机器人")
        PORTAL = "portal", _("站内通知")

    # Messages a minute when the channel sets none: the platforms' own limits (DOMAIN.md).
    DEFAULT_RATE_LIMITS = {**RATE_LIMITS_PER_MINUTE, Kind.EMAIL.value: 60}

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    webhook_url_encrypted = models.TextField(blank=True, editable=False)
    webhook_url_masked = models.CharField(_("Webhook 地址"), max_length=300, blank=True, editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    secret_masked = models.CharField(_("加签密钥"), max_length=20, blank=True, editable=False)
    email_recipients = models.TextField(
        _("收件人"), blank=True, help_text=_("电子邮件渠道：每行一个地址，或以逗号分隔。")
    )
    mention_mobiles_encrypted = models.TextField(blank=True, editable=False)
    mention_mobiles_masked = models.CharField(_("提醒手机号"), max_length=500, blank=True, editable=False)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("接收部门"),
        help_text=_("站内通知渠道：发给该部门的成员（可再按角色筛选）。"),
    )
    target_roles = models.JSONField(
        _("接收角色"),
        default=list,
        blank=True,
        help_text=_("站内通知渠道：发给这些角色的成员；主管 + 管理员即值班名单。"),
    )
    rate_limit_per_minute = models.PositiveSmallIntegerField(
        _("每分钟上限"),
        null=True,
        blank=True,
        help_text=_("留空则按平台默认：企业微信 20、钉钉 20、飞书 100 条/分钟。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    # The incidents' SLA sweep sends its breach escalations to these channels too (same robots, same limits).
    sla_escalations = models.BooleanField(
        _("接收时限超时升级"), default=False, help_text=_("事件处置时限超时升级时，也通过此渠道通知。")
    )
    last_success_at = models.DateTimeField(_("最近成功"), null=True, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("最近失败"), null=True, blank=True, editable=False)
    last_error_code = models.CharField(_("最近错误码"), max_length=32, blank=True, editable=False)
    last_error_message = models.CharField(_("最近错误"), max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")
        ordering = ["tenant", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="channel_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_robot(self) -> bool:
        return self.kind in ROBOT_KINDS

    @property
    def rate_limit(self) -> int | None:
        """Messages a minute this channel may send (None: no limit)."""
        return self.rate_limit_per_minute or self.DEFAULT_RATE_LIMITS.get(self.kind)

    def webhook_url(self) -> str:
        return privacy.decrypt(self.webhook_url_encrypted)

    def set_webhook_url(self, value: str) -> None:
        self.webhook_url_encrypted = privacy.encrypt(value)
        self.webhook_url_masked = mask_webhook_url(value)[:300]

    def secret(self) -> str:
        return privacy.decrypt(self.secret_encrypted)

    def set_secret(self, value: str) -> None:
        self.secret_encrypted = privacy.encrypt(value)
        self.secret_masked = mask_secret(value)

    def mention_mobiles(self) -> list[str]:
        stored = privacy.decrypt(self.mention_mobiles_encrypted)
        return stored.split(",") if stored else []

    def set_mention_mobiles(self, mobiles: list[str]) -> None:
        self.mention_mobiles_encrypted = privacy.encrypt(",".join(mobiles))
        self.mention_mobiles_masked = "，".join(privacy.mask_mobile(mobile) for mobile in mobiles)[:500]

    def email_recipient_list(self) -> list[str]:
        names = self.email_recipients.replace("，", ",").replace("\n", ",").split(",")
        return [name.strip() for name in names if name.strip()]


class Delivery(TenantOwned):
    """One message to one channel. With a dedupe_key it is delivered once per channel, whoever asks again.

    `next_attempt_at` is when the row is next due: for queued and retrying rows the time to send
    (now, or after a back-off), for held rows the end of the hold, and for a row being sent the
    end of its lease (a worker that died mid-send leaves it to the sweep after that).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        HELD = "held", _("暂缓（免打扰时段）")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")
        RETRYING = "retrying", _("等待重试")
        MERGED = "merged", _("已并入汇总")

    channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="deliveries", verbose_name=_("渠道"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    level = models.PositiveSmallIntegerField(_("预警级别"), null=True, blank=True, choices=list(LEVEL_LABELS.items()))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    error_code = models.CharField(_("错误码"), max_length=32, blank=True)
    error_message = models.CharField(_("错误信息"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("平台应答"), max_length=500, blank=True)
    is_digest = models.BooleanField(_("汇总消息"), default=False)
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_deliveries",
        verbose_name=_("并入的汇总"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="delivery_once_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__gte=1, level__lte=4),
                name="delivery_level_1_to_4",
            ),
        ]
        indexes = [
            # The sweep, across tenants: due rows by status.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            # The send job: one channel's due rows.
            models.Index(fields=["tenant", "channel", "status", "next_attempt_at"], name="delivery_channel_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title
