"""Admin of notification channels and their deliveries, tenant-scoped.

Webhook URLs, signing secrets and @-mentioned mobiles are write-only: the form has empty fields
for new values (left blank, the stored value stays) and pages show only the masked forms. Saving
goes through the channel services (checks, encryption, audit event with masked values only).
Deliveries are a read-only record; failed ones can be queued again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import (
    ChannelData,
    channel_clean,
    channel_create,
    channel_update,
    deliveries_retry,
    delivery_enqueue,
    split_mobiles,
)
from yuqing.tenancy.access import client_ip
from yuqing.tenancy.admin import TenantScopedAdmin
from yuqing.tenancy.models import Role, Tenant

# Service field → admin form field, where the names differ.
ADMIN_FIELD = {"webhook_url": "new_webhook_url", "secret": "new_secret", "mention_mobiles": "new_mention_mobiles"}


class ChannelAdminForm(forms.ModelForm):
    new_webhook_url = forms.CharField(
        label=_("Webhook 地址"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 80}),
        help_text=_("企业微信、钉钉、飞书机器人填写；编辑时留空则保持不变。"),
    )
    new_secret = forms.CharField(
        label=_("加签密钥"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("钉钉（SEC 开头）或飞书机器人启用“签名校验”时填写；编辑时留空则保持不变。"),
    )
    clear_secret = forms.BooleanField(label=_("清除加签密钥"), required=False)
    new_mention_mobiles = forms.CharField(
        label=_("提醒手机号"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("企业微信、钉钉机器人：消息中 @ 这些手机号的群成员。每行一个或以逗号分隔；编辑时留空则保持不变。"),
    )
    clear_mention_mobiles = forms.BooleanField(label=_("清除提醒手机号"), required=False)
    target_roles = forms.MultipleChoiceField(
        label=_("接收角色"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("站内通知渠道：发给这些角色的成员；主管 + 管理员即值班名单。"),
    )

    admin_tenant: Tenant | None = None  # set by ChannelAdmin.get_form for tenant admins

    class Meta:
        model = Channel
        fields = [
            "tenant",
            "name",
            "kind",
            "is_active",
            "sla_escalations",
            "email_recipients",
            "department",
            "target_roles",
            "rate_limit_per_minute",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.instance
        if channel.pk:
            stored = {
                "new_webhook_url": channel.webhook_url_masked,
                "new_secret": channel.secret_masked,
                "new_mention_mobiles": channel.mention_mobiles_masked,
            }
            for name, masked in stored.items():
                if masked:
                    self.fields[name].help_text = _("已设置：%(masked)s。留空则保持不变。") % {"masked": masked}

    def _tenant(self) -> Tenant | None:
        if self.instance.pk:
            return self.instance.tenant
        return self.admin_tenant or self.cleaned_data.get("tenant")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tenant = self._tenant()
        if tenant is None or self.errors:
            return data
        editing = self.instance.pk is not None
        keep = None if editing else ""
        mobiles_text = data.get("new_mention_mobiles", "")
        if data.get("clear_mention_mobiles"):
            mobiles: list[str] | None = []
        elif mobiles_text.strip():
            mobiles = split_mobiles(mobiles_text)
        else:
            mobiles = None if editing else []
        self.channel_data = ChannelData(
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            webhook_url=data.get("new_webhook_url", "").strip() or keep,
            secret="" if data.get("clear_secret") else (data.get("new_secret") or keep),
            email_recipients=data.get("email_recipients", ""),
            mention_mobiles=mobiles,
            department=data.get("department"),
            target_roles=list(data.get("target_roles") or []),
            rate_limit_per_minute=data.get("rate_limit_per_minute"),
            is_active=bool(data.get("is_active")),
            sla_escalations=bool(data.get("sla_escalations")),
        )
        try:
            channel_clean(tenant=tenant, data=self.channel_data, channel=self.instance if editing else None)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                name = ADMIN_FIELD.get(name, name)
                self.add_error(name if name in self.fields else None, errors)
        return data

    def _post_clean(self) -> None:
        # The instance is written by the channel services (encryption, audit), not by the form.
        pass


@admin.register(Channel)
class ChannelAdmin(TenantScopedAdmin):
    form = ChannelAdminForm
    list_display = [
        "name",
        "kind",
        "webhook_url_masked",
        "secret_masked",
        "mention_mobiles_masked",
        "rate_limit_display",
        "is_active",
        "last_success_at",
        "last_error_code",
        "last_error_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    readonly_fields = [
        "webhook_url_masked",
        "secret_masked",
        "mention_mobiles_masked",
        "last_success_at",
        "last_error_at",
        "last_error_code",
        "last_error_message",
    ]
    actions = ["send_test_message"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "name",
            "kind",
            "is_active",
            "sla_escalations",
            "new_webhook_url",
            "new_secret",
            "clear_secret",
            "new_mention_mobiles",
            "clear_mention_mobiles",
            "email_recipients",
            "department",
            "target_roles",
            "rate_limit_per_minute",
        ]
        if request.user.is_superuser and obj is None:
            fields.insert(0, "tenant")
        if obj is not None:
            fields += self.readonly_fields
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly_fields) if obj is not None else []

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if obj is not None:
            exclude.append("tenant")  # a channel stays in its tenant
        return exclude

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_tenant = self._scope_tenant(request)
        return form

    @admin.display(description=_("每分钟上限"))
    def rate_limit_display(self, channel: Channel) -> str:
        return str(channel.rate_limit) if channel.rate_limit else "—"

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        tenant = obj.tenant if change else form._tenant()
        ip_address = client_ip(request)
        if change:
            saved = channel_update(
                tenant=tenant, actor=request.user, channel=obj, data=form.channel_data, ip_address=ip_address
            )
        else:
            saved = channel_create(tenant=tenant, actor=request.user, data=form.channel_data, ip_address=ip_address)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("发送测试消息"))
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        queued = 0
        for channel in queryset.select_related("tenant"):
            delivery = delivery_enqueue(
                tenant=channel.tenant,
                channel=channel,
                title=str(_("测试消息")),
                body=str(_("这是一条来自舆情系统的测试消息，收到即表示渠道配置正确。")),
            )
            queued += delivery is not None
        self.message_user(
            request,
            ngettext("已为 %(count)d 个渠道排队发送测试消息。", "已为 %(count)d 个渠道排队发送测试消息。", queued)
            % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    """The record of what was sent where: read-only. Failed deliveries can be queued again."""

    list_display = [
        "created_at",
        "channel",
        "title",
        "level",
        "status",
        "attempts",
        "next_attempt_at",
        "error_code",
        "sent_at",
        "digest",
    ]
    list_filter = ["status", "level", "channel__kind"]
    search_fields = ["title", "dedupe_key", "error_code"]
    list_select_related = ["channel", "digest"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("重新发送所选的失败消息"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        by_tenant: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in queryset.filter(status=Delivery.Status.FAILED).select_related("tenant"):
            by_tenant[delivery.tenant_id].append(delivery)
        retried = 0
        for rows in by_tenant.values():
            retried += deliveries_retry(
                tenant=rows[0].tenant, actor=request.user, deliveries=rows, ip_address=client_ip(request)
            )
        self.message_user(
            request,
            ngettext("已重新排队 %(count)d 条消息。", "已重新排队 %(count)d 条消息。", retried) % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )
