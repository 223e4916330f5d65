"""Emergency plans (应急预案): one per scenario and severity, versioned, reviewed and approved.

A plan's versions are numbered 1, 2, 3 … without gaps (the service locks the plan row while it
takes a number). A version is drafted, submitted for review, then approved by someone other than
its author (maker-checker) or rejected back to draft. An approved version is immutable: the
services refuse to change it and so does `save()`; the only change it ever sees is being
superseded when the next version is approved. Exactly one approved version is in force per plan
(a partial unique constraint on `is_in_force`).
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity
from yuqing.tenancy.context import database_scope
from yuqing.tenancy.models import Department, TenantOwned

TITLE_MAX = 200
TEXT_MAX = 4000
TARGET_MINUTES_MAX = 60 * 24 * 30  # a month: a step due later is not an emergency step


def validate_clean_text(value: str) -> None:
    """No NUL, no lone surrogates, no control characters other than line breaks and tabs."""
    if not isinstance(value, str):
        return
    for char in value:
        if char in "\n\r\t":
            continue
        # U+FFFD is what a form decodes invalid UTF-8 (an encoded lone surrogate) to.
        if "\ud800" <= char <= "\udfff" or char == "\ufffd" or unicodedata.category(char) == "Cc":
            raise ValidationError(
                _("内容含有无法识别的字符（如空字符或孤立代理字符），请删除后重试。"), code="bad_chars"
            )


class Scenario(models.TextChoices):
    NEWS_WAVE = "news_wave", _("负面新闻集中爆发")
    MASS_COMPLAINT = "mass_complaint", _("客户集体投诉·维权")
    DATA_LEAK = "data_leak", _("数据泄露")
    SOLVENCY_RUMOUR = "solvency_rumour", _("偿付能力谣言")
    REGULATORY_PENALTY = "regulatory_penalty", _("监管处罚公开")
    OTHER = "other", _("其他")


class EmergencyPlan(TenantOwned):
    scenario = models.CharField(_("场景"), max_length=32, choices=Scenario.choices)
    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices)
    title = models.CharField(_("预案名称"), max_length=TITLE_MAX, validators=[validate_clean_text])
    next_review_at = models.DateField(_("下次评审日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("应急预案")
        verbose_name_plural = _("应急预案")
        ordering = ["severity", "scenario", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "scenario", "severity"], name="plan_unique_scenario_severity_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PlanVersion(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        IN_REVIEW = "in_review", _("审核中")
        APPROVED = "approved", _("已批准")
        SUPERSEDED = "superseded", _("已被替代")

    OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW)
    FINAL_STATUSES = (Status.APPROVED, Status.SUPERSEDED)

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    is_in_force = models.BooleanField(_("现行版本"), default=False)
    change_note = models.TextField(
        _("修订说明"), blank=True, max_length=TEXT_MAX, validators=[validate_clean_text, MaxLengthValidator(TEXT_MAX)]
    )
    reject_reason = models.TextField(
        _("退回原因"), blank=True, max_length=TEXT_MAX, validators=[validate_clean_text, MaxLengthValidator(TEXT_MAX)]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("替代时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预案版本")
        verbose_name_plural = _("预案版本")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "plan", "number"], name="plan_version_unique_number"),
            models.UniqueConstraint(
                fields=["tenant", "plan"], condition=models.Q(is_in_force=True), name="plan_version_one_in_force"
            ),
            models.UniqueConstraint(
                fields=["tenant", "plan"],
                condition=models.Q(status__in=["draft", "in_review"]),
                name="plan_version_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(is_in_force=False) | models.Q(status="approved"),
                name="plan_version_in_force_is_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    # What being superseded may change on an approved version; everything else is frozen.
    _SUPERSEDE_FIELDS = frozenset({"status", "is_in_force", "superseded_at"})

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.pk is not None:
            with database_scope(self.tenant_id):  # RLS on PostgreSQL: this row's tenant, whatever is current
                stored = type(self)._base_manager.filter(pk=self.pk, tenant_id=self.tenant_id).first()
            if stored is not None and stored.status in self.FINAL_STATUSES:
                changed = {
                    f.attname
                    for f in self._meta.concrete_fields
                    if getattr(stored, f.attname) != getattr(self, f.attname)
                }
                superseding = (
                    stored.status == self.Status.APPROVED
                    and self.status == self.Status.SUPERSEDED
                    and changed <= self._SUPERSEDE_FIELDS
                )
                if changed and not superseding:
                    raise ValidationError(_("已批准的预案版本不可修改，请起草新版本。"), code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.status in self.FINAL_STATUSES:
            raise ValidationError(_("已批准的预案版本不可修改，请起草新版本。"), code="immutable")
        return super().delete(*args, **kwargs)


class PlanStep(TenantOwned):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    department_kind = models.CharField(_("责任部门类别"), max_length=32, choices=Department.Kind.choices)
    title = models.CharField(_("步骤"), max_length=TITLE_MAX, validators=[validate_clean_text])
    description = models.TextField(
        _("说明"), blank=True, max_length=TEXT_MAX, validators=[validate_clean_text, MaxLengthValidator(TEXT_MAX)]
    )
    target_minutes = models.PositiveIntegerField(_("目标时限（分钟）"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("预案步骤")
        verbose_name_plural = _("预案步骤")
        ordering = ["version", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version", "order"], name="plan_step_unique_order"),
            models.CheckConstraint(condition=models.Q(target_minutes__gt=0), name="plan_step_target_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def _require_draft(self) -> None:
        with database_scope(self.tenant_id):
            versions = PlanVersion._base_manager.filter(pk=self.version_id, tenant_id=self.tenant_id)
            status = versions.values_list("status", flat=True).first()
        if status is not None and status != PlanVersion.Status.DRAFT:
            raise ValidationError(_("只有草稿版本的步骤可以编辑。"), code="not_draft")

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._require_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_draft()
        return super().delete(*args, **kwargs)
