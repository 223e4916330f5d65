"""In-portal notifications (and, later, deliveries through e-mail and enterprise-chat robots)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.models import Membership, TenantOwned


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
