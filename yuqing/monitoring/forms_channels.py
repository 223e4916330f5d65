"""Forms of the portal's notification settings: channels (the form the admin uses too, with its
write-only webhook URL, secret and mobiles) and warning routes. Choices come from the current
tenant only; the services check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yuqing.monitoring.models import WarningRoute
from yuqing.notify.forms import CHANNEL_FIELDS, ChannelFormBase
from yuqing.notify.models import Channel
from yuqing.tenancy.forms import TenantModelForm
from yuqing.tenancy.models import Tenant

ROUTE_FIELDS = ("name", "min_level", "channel", "quiet_start", "quiet_end", "quiet_on_non_working_days", "is_active")


class ChannelForm(TenantModelForm, ChannelFormBase):
    """A channel of the current tenant; `channel_data` after is_valid() is what the services take."""

    class Meta(ChannelFormBase.Meta):
        fields = CHANNEL_FIELDS

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["department"].empty_label = _("（不限部门）")
        self.fields["department"].error_messages["invalid_choice"] = _("请选择本机构的部门。")

    def channel_tenant(self) -> Tenant | None:
        return self.tenant


def _time_field(label: str, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": _("请输入有效的时间，如 22:00。")},
    )


class WarningRouteForm(TenantModelForm):
    quiet_start = _time_field(_("免打扰开始"))
    quiet_end = _time_field(
        _("免打扰结束"), _("本机构时区的时间，可跨零点（如 22:00 – 08:00）；红色预警不受免打扰限制。")
    )

    class Meta:
        model = WarningRoute
        fields = list(ROUTE_FIELDS)
        help_texts = {
            "quiet_on_non_working_days": _("周末和法定节假日整天暂缓发送（调休上班日照常发送）。"),
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        channel = self.fields["channel"]
        channel.queryset = Channel.objects.for_tenant(tenant).order_by("name")
        channel.error_messages["invalid_choice"] = _("请选择本机构的通知渠道。")

    def _post_clean(self) -> None:
        # The route is written by the routing services (checks, audit), not by the form.
        pass

    def to_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ROUTE_FIELDS}
