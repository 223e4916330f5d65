"""A tenant's business calendar: working hours, and dated overrides of the statutory calendar."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.models import TenantOwned

_YEAR_LIST = re.compile(r"^\s*(\d{4}\s*([,，、\s]\s*\d{4}\s*)*)?$")


def parse_years(value: str) -> frozenset[int]:
    return frozenset(int(year) for year in re.findall(r"\d{4}", value or ""))


def validate_year_list(value: str) -> None:
    if not _YEAR_LIST.match(value or ""):
        raise ValidationError(_("请填写四位年份，用逗号分隔，例如：2027,2028"))
    if any(not 2000 <= year <= 2100 for year in parse_years(value)):
        raise ValidationError(_("年份应在 2000 到 2100 之间。"))


class DeadlineBasis(models.TextChoices):
    """What a stored deadline's working days rested on when it was computed (deadlines.Basis)."""

    ANNOUNCED = "", _("已公布的放假安排")
    COMPUTED = "computed", _("含推算节假日")
    FALLBACK = "fallback", _("按周一至周五推算")


def deadline_basis_field(verbose_name: str | object = _("期限依据")) -> models.CharField:
    """The column other apps add next to a computed deadline, so lists can say so without recomputing."""
    return models.CharField(
        verbose_name, max_length=16, blank=True, default=DeadlineBasis.ANNOUNCED, choices=DeadlineBasis.choices
    )


class BusinessCalendar(TenantOwned):
    """Working hours of the tenant's office; the time zone is the tenant's own."""

    work_start = models.TimeField(_("上班时间"), default=dt.time(9, 0))
    work_end = models.TimeField(_("下班时间"), default=dt.time(17, 30))
    lunch_start = models.TimeField(_("午休开始"), null=True, blank=True)
    lunch_end = models.TimeField(_("午休结束"), null=True, blank=True)
    schedule_years = models.CharField(
        _("已完整导入放假安排的年份"),
        max_length=200,
        blank=True,
        validators=[validate_year_list],
        help_text=_(
            "这些年份的国务院放假安排已全部作为调整日期导入，计算时不再提示“按周一至周五推算”。"
            "用逗号分隔，例如：2027,2028"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                name="business_calendar_one_per_tenant",
                violation_error_message=_("本租户已有工作日历，请修改现有的那一份。"),
            ),
            models.CheckConstraint(
                condition=Q(work_start__lt=models.F("work_end")),
                name="business_calendar_start_before_end",
                violation_error_message=_("上班时间必须早于下班时间。"),
            ),
            models.CheckConstraint(
                condition=Q(lunch_start__isnull=True, lunch_end__isnull=True)
                | Q(
                    lunch_start__isnull=False,
                    lunch_end__isnull=False,
                    lunch_start__gte=models.F("work_start"),
                    lunch_start__lt=models.F("lunch_end"),
                    lunch_end__lte=models.F("work_end"),
                ),
                name="business_calendar_lunch_inside_hours",
                violation_error_message=_("午休须同时填写开始和结束，且在上下班时间之内。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_start:%H:%M}–{self.work_end:%H:%M}"

    def clean(self) -> None:
        # Field-level messages; the check constraints say the same for rows written elsewhere.
        errors: dict[str, str] = {}
        if self.work_start is not None and self.work_end is not None and self.work_start >= self.work_end:
            errors["work_end"] = _("下班时间必须晚于上班时间。")
        if (self.lunch_start is None) != (self.lunch_end is None):
            errors["lunch_end" if self.lunch_end is None else "lunch_start"] = _("午休开始和结束须同时填写。")
        elif self.lunch_start is not None and self.lunch_end is not None and not errors:
            if self.lunch_start >= self.lunch_end:
                errors["lunch_end"] = _("午休结束必须晚于午休开始。")
            elif self.lunch_start < self.work_start or self.lunch_end > self.work_end:
                errors["lunch_start"] = _("午休必须在上下班时间之内。")
        if errors:
            raise ValidationError(errors)

    @property
    def schedule_year_set(self) -> frozenset[int]:
        return parse_years(self.schedule_years)


class CalendarOverride(TenantOwned):
    """One date the tenant turns into a working day or a day off, whatever the statutory calendar says."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("休息日")
        WORKING_DAY = "working_day", _("工作日")

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["tenant", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "date"],
                name="calendar_override_unique_date_per_tenant",
                violation_error_message=_("该日期已有调整记录，请修改原记录。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    @property
    def is_working(self) -> bool:
        return self.kind == self.Kind.WORKING_DAY


class HolidayNotice(TenantOwned):
    """The State Council's 调休 notice for one year, as the tenant's admin loaded it.

    `text` is what was pasted or uploaded, kept for the record; `days` is what the parser read from
    it and the admin confirmed: [{"date": "2026-01-01", "kind": "day_off" | "working_day",
    "name": "元旦"}, ...]. Loading the year again replaces both.
    """

    year = models.PositiveSmallIntegerField(_("年份"))
    text = models.TextField(_("通知原文"))
    days = models.JSONField(_("放假与上班日期"), default=list)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    loaded_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("国务院放假安排通知")
        verbose_name_plural = _("国务院放假安排通知")
        ordering = ["tenant", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "year"],
                name="holiday_notice_one_per_year_per_tenant",
                violation_error_message=_("该年份已导入放假安排，请使用“替换”。"),
            ),
        ]

    def __str__(self) -> str:
        return _("%(year)d 年放假安排") % {"year": self.year}

    def day_map(self) -> dict[dt.date, bool]:
        return {
            dt.date.fromisoformat(day["date"]): day["kind"] == CalendarOverride.Kind.WORKING_DAY for day in self.days
        }

    @property
    def days_off_count(self) -> int:
        return sum(1 for day in self.days if day["kind"] == CalendarOverride.Kind.DAY_OFF)

    @property
    def working_days_count(self) -> int:
        return sum(1 for day in self.days if day["kind"] == CalendarOverride.Kind.WORKING_DAY)

    def day_rows(self) -> list[dict[str, object]]:
        return [
            {
                "date": dt.date.fromisoformat(day["date"]),
                "kind_label": CalendarOverride.Kind(day["kind"]).label,
                "name": day.get("name", ""),
            }
            for day in self.days
        ]
