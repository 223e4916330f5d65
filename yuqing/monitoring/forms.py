"""Forms of the monitoring portal. Choice lists come from the current tenant only; the services
validate again and their Chinese errors land next to the fields (add_service_errors).

The notification settings' forms are here too: channels (the form the admin uses too, with its
write-only webhook URL, secret and mobiles) and warning routes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yuqing.monitoring.models import KeywordRule, Mention, Polarity, Source, WarningPolicy, WarningRoute
from yuqing.monitoring.services.sources import POLICY_FIELDS, validate_thresholds
from yuqing.notify.forms import CHANNEL_FIELDS, ChannelFormBase
from yuqing.notify.models import Channel
from yuqing.tenancy.forms import TenantModelForm
from yuqing.tenancy.models import Membership, Tenant


def _member_label(membership: Membership) -> str:
    return str(membership.user)


def https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Model form fields, with https:// assumed for a URL typed without its scheme."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class SourceForm(TenantModelForm):
    class Meta:
        model = Source
        formfield_callback = https_urls
        fields = ["name", "kind", "weight", "owner", "feed_url", "poll_minutes", "to_simplified", "is_paused"]
        help_texts = {
            "weight": _("权威度：0.1 – 3.0，普通来源为 1.0，全国性媒体可设 2.0 以上。"),
            "feed_url": _("仅 RSS/Atom 订阅类信息源填写，支持 GBK/GB2312 编码的订阅。"),
            "poll_minutes": _("订阅抓取的间隔，5 – 1440 分钟。"),
            "to_simplified": _("繁体中文内容入库时转为简体。"),
        }
        error_messages = {
            "feed_url": {"invalid": _("请输入有效的网址（以 http:// 或 https:// 开头）。")},
            "weight": {
                "max_value": _("权重不能超过 3.0。"),
                "min_value": _("权重不能低于 0.1。"),
                "invalid": _("请输入数字。"),
            },
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = owner.queryset.filter(is_active=True).select_related("user").order_by("user__username")
        owner.label_from_instance = _member_label
        owner.empty_label = _("（未指定）")

    def to_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class KeywordRuleForm(forms.ModelForm):
    class Meta:
        model = KeywordRule
        fields = ["term", "kind", "category", "weight", "field", "is_active"]
        help_texts = {
            "kind": _("敏感词计入风险分；关注词只标记相关；排除词命中即不预警（如招聘、广告）。"),
            "category": _("如 违约、催收、非法金融、维权、监管、曝光、工程。"),
            "weight": _("1 – 100，命中时计入关键词得分的权重。"),
        }
        error_messages = {
            "weight": {"max_value": _("权重不能超过 100。"), "min_value": _("权重至少为 1。")},
        }

    def __init__(self, *args: Any, categories: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.attrs["list"] = "rule-categories"
        self.categories = categories or []

    def to_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("如：采集系统、合作方推送。"))
    source = forms.ModelChoiceField(
        label=_("默认信息源"),
        queryset=Source.objects.none(),
        required=False,
        empty_label=_("（按每条数据指定）"),
        help_text=_("推送的数据未指明信息源时记入此信息源。"),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.for_tenant(tenant).order_by("name")
        self.fields["source"].error_messages["invalid_choice"] = _("请选择本机构的信息源。")


class WarningPolicyForm(forms.ModelForm):
    class Meta:
        model = WarningPolicy
        fields = list(POLICY_FIELDS)
        help_texts = {
            "blue_at": _("风险分达到该分数即为蓝色（IV 级）预警。"),
            "red_at": _("须满足 蓝 < 黄 < 橙 < 红，最高 100。"),
            "story_window_hours": _("同一客户或话题在此时间内的信息归并为一个话题、一条预警。"),
            "vip_boost": _("涉及 VIP 客户时加到风险分上的分数。"),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            validate_thresholds(cleaned)
        except forms.ValidationError as error:
            for field, errors in error.error_dict.items():
                for message in errors:
                    self.add_error(field, message)
        return cleaned

    def to_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


class ManualMentionForm(forms.Form):
    source = forms.ModelChoiceField(label=_("信息源"), queryset=Source.objects.none(), empty_label=None)
    title = forms.CharField(label=_("标题"), max_length=300, required=False)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    url = forms.CharField(
        label=_("原文链接"), max_length=1000, required=False, widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
    published_at = forms.DateTimeField(
        label=_("发布时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("留空则记为当前时间（本机构时区）。"),
        error_messages={"invalid": _("请输入有效的日期和时间。")},
    )
    author = forms.CharField(
        label=_("作者"), max_length=100, required=False, help_text=_("只保存脱敏后的昵称与加盐摘要。")
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = Source.objects.for_tenant(tenant).filter(is_paused=False).order_by("name")
        self.fields["source"].queryset = sources
        self.fields["source"].error_messages["invalid_choice"] = _("请选择本机构未暂停的信息源。")
        manual = next((s for s in sources if s.kind == Source.Kind.MANUAL), None)
        if manual is not None and not self.is_bound:
            self.initial.setdefault("source", manual.pk)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("title") or "").strip() and not (cleaned.get("body") or "").strip():
            raise forms.ValidationError(_("标题和正文至少填写一项。"), code="empty")
        return cleaned

    def item(self) -> dict[str, Any]:
        """The item for mentions_ingest: only what was filled in."""
        data = self.cleaned_data
        item: dict[str, Any] = {
            "title": data["title"].strip(),
            "body": data["body"].strip(),
            "published_at": data["published_at"] or timezone.now(),
        }
        for name in ("url", "author"):
            if data[name].strip():
                item[name] = data[name].strip()
        return item


class CrawlerUploadForm(forms.Form):
    source = forms.ModelChoiceField(label=_("记入信息源"), queryset=Source.objects.none(), empty_label=None)
    file = forms.FileField(
        label=_("采集文件"),
        help_text=_(
            "常见社交媒体采集工具导出的 JSON / JSONL / CSV 文件（微博、小红书、抖音、快手、B站、贴吧、知乎），"
            "UTF-8（含 BOM）或 GBK 编码。"
        ),
        error_messages={"required": _("请选择要导入的文件。"), "empty": _("上传的文件是空的。")},
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.for_tenant(tenant).filter(is_paused=False).order_by("name")
        self.fields["source"].error_messages["invalid_choice"] = _("请选择本机构未暂停的信息源。")
        self.fields["file"].widget.attrs["accept"] = ".json,.jsonl,.csv,.txt"


class TriageForm(forms.Form):
    """The triage buttons of the detail page: an outcome and, optionally, the polarity label."""

    triage = forms.ChoiceField(
        label=_("研判结果"),
        required=False,
        choices=[
            (Mention.Triage.RELEVANT, _("相关")),
            (Mention.Triage.NOT_RELEVANT, _("无关")),
            (Mention.Triage.DISMISSED, _("忽略")),
            (Mention.Triage.NEW, _("恢复待研判")),
        ],
    )
    polarity = forms.ChoiceField(
        label=_("情感标注"), required=False, choices=[("", _("（不修改）")), *Polarity.choices]
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("triage") and not cleaned.get("polarity"):
            raise forms.ValidationError(_("请选择研判结果或情感标注。"), code="empty")
        return cleaned


# ---------------------------------------------------------------- notification settings

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
