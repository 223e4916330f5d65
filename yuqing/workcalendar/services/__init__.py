"""Writes of the business calendar. Each writes its audit event in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from yuqing.audit.services import audit_record
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride, HolidayNotice, parse_years
from yuqing.workcalendar.services.holiday_file import OverrideRow
from yuqing.workcalendar.services.notice import notice_parse


@dataclass(frozen=True)
class OverrideImportResult:
    created: int
    updated: int
    unchanged: int
    years: frozenset[int]


@tenant_service(Permission.CONFIGURE)
def calendar_overrides_import(
    *,
    tenant: Tenant,
    actor: User | None,
    rows: Sequence[OverrideRow],
    complete_years: bool = False,
) -> OverrideImportResult:
    """Create or update one override per row, all in one transaction.

    A date already overridden takes the file's kind and note, so importing the same file twice
    changes nothing. With `complete_years`, the file is the whole official schedule of the years it
    covers: those years are recorded on the tenant's BusinessCalendar (created with default hours
    when missing), and their days no longer count as guessed.
    """
    existing = {
        override.date: override
        for override in CalendarOverride.objects.for_tenant(tenant).filter(date__in=[row.date for row in rows])
    }
    created: list[CalendarOverride] = []
    updated: list[CalendarOverride] = []
    for row in rows:
        override = existing.get(row.date)
        if override is None:
            created.append(CalendarOverride(tenant=tenant, date=row.date, kind=row.kind, note=row.note))
        elif (override.kind, override.note) != (row.kind, row.note):
            override.kind, override.note = row.kind, row.note
            updated.append(override)
    CalendarOverride.objects.bulk_create(created)
    for override in updated:
        override.save(update_fields=["kind", "note", "updated_at"])
    years = frozenset(row.date.year for row in rows)
    if complete_years and years:
        _mark_schedule_years(tenant=tenant, years=years)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="calendar.overrides_import",
        object_type=CalendarOverride._meta.label_lower,
        changes={
            "rows": len(rows),
            "created": len(created),
            "updated": len(updated),
            "first_date": min((row.date for row in rows), default=None),
            "last_date": max((row.date for row in rows), default=None),
            "complete_years": sorted(years) if complete_years else [],
        },
    )
    return OverrideImportResult(
        created=len(created),
        updated=len(updated),
        unchanged=len(rows) - len(created) - len(updated),
        years=years,
    )


def _mark_schedule_years(*, tenant: Tenant, years: frozenset[int]) -> None:
    calendar = BusinessCalendar.objects.for_tenant(tenant).select_for_update().first()
    if calendar is None:
        calendar = BusinessCalendar.objects.create(tenant=tenant)
    merged = sorted(parse_years(calendar.schedule_years) | years)
    calendar.schedule_years = ",".join(str(year) for year in merged)
    calendar.save(update_fields=["schedule_years", "updated_at"])


@dataclass(frozen=True)
class NoticeLoadResult:
    notice: HolidayNotice
    replaced: bool


def _notice_summary(days: list[dict[str, str]]) -> dict[str, list[str]]:
    return {
        "days_off": [day["date"] for day in days if day["kind"] == CalendarOverride.Kind.DAY_OFF],
        "working_days": [day["date"] for day in days if day["kind"] == CalendarOverride.Kind.WORKING_DAY],
    }


@tenant_service(Permission.CONFIGURE)
def holiday_notice_load(
    *, tenant: Tenant, actor: User, year: int, text: str, ip_address: str | None = None
) -> NoticeLoadResult:
    """Store the year's State Council notice for the tenant, replacing one loaded before.

    Only the tenant's admins may (CONFIGURE). The text is parsed again here, whatever a preview
    showed, and a notice with any error stores nothing, so the year's previous notice stays. The
    audit event names the days before and after.
    """
    parsed = notice_parse(text, year=year)
    if not parsed.is_valid:
        raise ValidationError(parsed.errors, code="notice_invalid")
    days = [day.as_json() for day in parsed.days]
    notice = HolidayNotice.objects.for_tenant(tenant).select_for_update().filter(year=year).first()
    before = _notice_summary(notice.days) if notice is not None else None
    now = timezone.now()
    if notice is None:
        notice = HolidayNotice.objects.create(
            tenant=tenant, year=year, text=text, days=days, loaded_by=actor, loaded_at=now
        )
    else:
        notice.text, notice.days, notice.loaded_by, notice.loaded_at = text, days, actor, now
        notice.save(update_fields=["text", "days", "loaded_by", "loaded_at"])
    after = _notice_summary(days)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="calendar.notice_replace" if before is not None else "calendar.notice_load",
        target=notice,
        changes={"year": year, "before": before, "after": after},
        ip_address=ip_address,
    )
    return NoticeLoadResult(notice=notice, replaced=before is not None)
