"""The channel form the admin and the monitoring portal share.

Webhook URLs, signing secrets and @-mentioned mobiles are write-only: the form has empty fields
for new values (left blank on an edit, the stored value stays; the clear boxes remove a secret or
the mobiles) and shows only the masked forms. `clean` turns the form into the `ChannelData` the
channel services take (as `form.channel_data`) and puts the services' checks next to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yuqing.notify.models import Channel
from yuqing.notify.services import ChannelData, channel_clean, split_mobiles
from yuqing.tenancy.models import Role, Tenant

# Service field → form field, where the names differ.
FORM_FIELD = {"webhook_url": "new_webhook_url", "secret": "new_secret", "mention_mobiles": "new_mention_mobiles"}

CHANNEL_FIELDS = [
    "name",
    "kind",
    "is_active",
    "sla_escalations",
    "email_recipients",
    "department",
    "target_roles",
    "rate_limit_per_minute",
]


class ChannelFormBase(forms.ModelForm):
    """Subclasses say which tenant the channel belongs to (`channel_tenant`)."""

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

    class Meta:
        model = Channel
        fields = CHANNEL_FIELDS

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

    def channel_tenant(self) -> Tenant | None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tenant = self.channel_tenant()
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
            add_channel_errors(self, error)
        return data

    def _post_clean(self) -> None:
        # The instance is written by the channel services (encryption, audit), not by the form.
        pass


def add_channel_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A channel service's errors next to the form's fields (write-only ones under their new_ names)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        name = FORM_FIELD.get(name, name)
        form.add_error(name if name in form.fields else None, errors)
