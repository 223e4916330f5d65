"""Courses, sessions, attendance and certifications, yearly plans, and the reminders sweep.

A passing attendance (score ≥ the course's pass mark, and present) issues a certification dated
the session's end, expiring `validity_months` later (0: never). Reminders go out once per
(member, course, kind, due date): the `TrainingReminder` row is inserted first, in a savepoint,
and only the run whose insert succeeds sends the notification, so a second run, or two at once,
send nothing more.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from training.models import (
    Attendance,
    Certification,
    Course,
    CourseDepartment,
    CourseRole,
    Topic,
    TrainingPlanItem,
    TrainingReminder,
    TrainingSession,
)
from training.services.materials import materials_check
from yuqing.audit.services import audit_record
from yuqing.notify.services import notification_send
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.roles import Permission

EXPIRY_NOTICE_DAYS = 30


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """`when` plus whole months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass
class CourseData:
    title: str
    topic: str = Topic.OTHER
    description: str = ""
    is_required: bool = False
    validity_months: int = 12
    pass_mark: int = 60
    departments: list[Department] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    is_active: bool = True


def _clean_course(tenant: Tenant, data: CourseData, course: Course | None) -> CourseData:
    errors: dict[str, str] = {}
    data.title = (data.title or "").strip()
    if not data.title:
        errors["title"] = _("请填写课程名称。")
    elif len(data.title) > 200:
        errors["title"] = _("课程名称不能超过 200 个字符。")
    elif Course.objects.for_tenant(tenant).filter(title=data.title).exclude(pk=course.pk if course else None).exists():
        errors["title"] = _("已有同名课程。")
    if data.topic not in Topic.values:
        errors["topic"] = _("请选择有效的主题。")
    if not isinstance(data.pass_mark, int) or not 0 <= data.pass_mark <= 100:
        errors["pass_mark"] = _("及格分应在 0 到 100 之间。")
    if not isinstance(data.validity_months, int) or not 0 <= data.validity_months <= 120:
        errors["validity_months"] = _("有效期应在 0 到 120 个月之间（0 表示长期有效）。")
    if any(department.tenant_id != tenant.pk for department in data.departments):
        errors["departments"] = _("部门不属于本机构。")
    if any(role not in Role.values for role in data.roles):
        errors["roles"] = _("请选择有效的角色。")
    if errors:
        raise ValidationError(errors)
    return data


def _set_audience(tenant: Tenant, course: Course, data: CourseData) -> None:
    CourseDepartment.objects.for_tenant(tenant).filter(course=course).exclude(department__in=data.departments).delete()
    CourseRole.objects.for_tenant(tenant).filter(course=course).exclude(role__in=data.roles).delete()
    have = set(
        CourseDepartment.objects.for_tenant(tenant).filter(course=course).values_list("department_id", flat=True)
    )
    CourseDepartment.objects.bulk_create(
        [CourseDepartment(tenant=tenant, course=course, department=d) for d in data.departments if d.pk not in have]
    )
    roles = set(CourseRole.objects.for_tenant(tenant).filter(course=course).values_list("role", flat=True))
    CourseRole.objects.bulk_create(
        [CourseRole(tenant=tenant, course=course, role=r) for r in dict.fromkeys(data.roles) if r not in roles]
    )


def _course_snapshot(course: Course) -> dict[str, object]:
    return {
        "title": course.title,
        "topic": course.topic,
        "is_required": course.is_required,
        "validity_months": course.validity_months,
        "pass_mark": course.pass_mark,
        "is_active": course.is_active,
    }


@tenant_service(Permission.APPROVE)
def course_create(*, tenant: Tenant, actor: User | None, data: CourseData) -> Course:
    data = _clean_course(tenant, data, None)
    course = Course.objects.create(
        tenant=tenant,
        title=data.title,
        topic=data.topic,
        description=data.description,
        is_required=data.is_required,
        validity_months=data.validity_months,
        pass_mark=data.pass_mark,
        is_active=data.is_active,
    )
    _set_audience(tenant, course, data)
    audit_record(
        tenant=tenant, actor=actor, action="training.course_create", target=course, changes=_course_snapshot(course)
    )
    return course


@tenant_service(Permission.APPROVE)
def course_update(*, tenant: Tenant, actor: User | None, course: Course, data: CourseData) -> Course:
    if course.tenant_id != tenant.pk:
        raise ValidationError(_("课程不属于本机构。"))
    data = _clean_course(tenant, data, course)
    before = _course_snapshot(course)
    for name in ("title", "topic", "description", "is_required", "validity_months", "pass_mark", "is_active"):
        setattr(course, name, getattr(data, name))
    course.save()
    _set_audience(tenant, course, data)
    after = _course_snapshot(course)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit_record(tenant=tenant, actor=actor, action="training.course_update", target=course, changes=changes)
    return course


@tenant_service(Permission.APPROVE)
def session_schedule(
    *,
    tenant: Tenant,
    actor: User | None,
    course: Course,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    trainer: Membership | None = None,
    place: str = "",
    online_url: str = "",
    materials: UploadedFile | None = None,
) -> TrainingSession:
    if course.tenant_id != tenant.pk:
        raise ValidationError(_("课程不属于本机构。"))
    errors: dict[str, str] = {}
    place, online_url = (place or "").strip(), (online_url or "").strip()
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = _("结束时间应晚于开始时间。")
    if trainer is not None and (trainer.tenant_id != tenant.pk or not trainer.is_active):
        errors["trainer"] = _("讲师须为本机构的有效成员。")
    if not place and not online_url:
        errors["place"] = _("请填写地点或线上链接。")
    if len(place) > 200:
        errors["place"] = _("地点不能超过 200 个字符。")
    if online_url:
        try:
            URLValidator(schemes=["http", "https"])(online_url)
            if len(online_url) > 500:
                raise ValidationError("long")
        except ValidationError:
            errors["online_url"] = _("请填写以 http:// 或 https:// 开头的有效网址。")
    content_type, sha256 = "", ""
    if materials:
        try:
            content_type, sha256 = materials_check(materials)
        except ValidationError as error:
            errors.update({key: value[0] for key, value in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    session = TrainingSession(
        tenant=tenant,
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        trainer=trainer,
        place=place,
        online_url=online_url,
        materials_type=content_type,
        materials_sha256=sha256,
    )
    if materials:
        session.materials.save(os.path.basename(materials.name), materials, save=False)
    session.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="training.session_schedule",
        target=session,
        changes={"course": course.title, "starts_at": starts_at.isoformat(), "materials_sha256": sha256},
    )
    return session


@dataclass(frozen=True)
class AttendanceEntry:
    member: Membership
    attended: bool
    score: int | None


@tenant_service(Permission.APPROVE)
def attendance_record(
    *, tenant: Tenant, actor: User | None, session: TrainingSession, entries: list[AttendanceEntry]
) -> list[Attendance]:
    """Record (or correct) attendance and scores for a session; each pass issues its certification.

    A pass needs presence and a score at or above the pass mark. A certification once issued for
    an attendance stays (it was true when issued); a corrected fail removes the one of this
    attendance.
    """
    if session.tenant_id != tenant.pk:
        raise ValidationError(_("场次不属于本机构。"))
    course = session.course
    for entry in entries:
        if entry.member.tenant_id != tenant.pk:
            raise ValidationError(_("学员不属于本机构。"))
        if entry.score is not None and (not isinstance(entry.score, int) or not 0 <= entry.score <= 100):
            raise ValidationError({"score": _("成绩应在 0 到 100 之间。")})
        if entry.score is not None and not entry.attended:
            raise ValidationError({"score": _("未出席的学员不能录入成绩。")})
    existing = {a.member_id: a for a in Attendance.objects.for_tenant(tenant).filter(session=session)}
    issued_at = session.ends_at
    expires_at = add_months(issued_at, course.validity_months) if course.validity_months else None
    saved: list[Attendance] = []
    changes: dict[str, object] = {}
    for entry in {e.member.pk: e for e in entries}.values():
        passed = entry.attended and entry.score is not None and entry.score >= course.pass_mark
        attendance = existing.get(entry.member.pk) or Attendance(tenant=tenant, session=session, member=entry.member)
        if attendance.pk and (attendance.attended, attendance.score, attendance.passed) == (
            entry.attended,
            entry.score,
            passed,
        ):
            saved.append(attendance)
            continue
        attendance.attended, attendance.score, attendance.passed = entry.attended, entry.score, passed
        attendance.save()
        if passed:
            Certification.objects.get_or_create(
                tenant=tenant,
                member=entry.member,
                course=course,
                issued_at=issued_at,
                defaults={"attendance": attendance, "expires_at": expires_at},
            )
        else:
            Certification.objects.for_tenant(tenant).filter(attendance=attendance).delete()
        changes[str(entry.member.pk)] = {"attended": entry.attended, "score": entry.score, "passed": passed}
        saved.append(attendance)
    if changes:
        audit_record(tenant=tenant, actor=actor, action="training.attendance_record", target=session, changes=changes)
    return saved


@tenant_service(Permission.APPROVE)
def plan_item_add(
    *, tenant: Tenant, actor: User | None, department: Department, year: int, course: Course, quarter: int
) -> TrainingPlanItem:
    errors: dict[str, str] = {}
    if department.tenant_id != tenant.pk or course.tenant_id != tenant.pk:
        raise ValidationError(_("部门或课程不属于本机构。"))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = _("请填写有效的年度。")
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("季度应为 1 到 4。")
    if (
        not errors
        and TrainingPlanItem.objects.for_tenant(tenant).filter(department=department, year=year, course=course).exists()
    ):
        errors["course"] = _("该部门本年度计划中已有此课程。")
    if errors:
        raise ValidationError(errors)
    item = TrainingPlanItem.objects.create(
        tenant=tenant, department=department, year=year, course=course, quarter=quarter
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="training.plan_item_add",
        target=item,
        changes={"department": department.name, "year": year, "course": course.title, "quarter": quarter},
    )
    return item


# --- who must take what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """A course's audience: its department ids and roles (both empty: everyone)."""

    departments: frozenset[int]
    roles: frozenset[str]

    def includes(self, department_id: int | None, role: str) -> bool:
        if not self.departments and not self.roles:
            return True
        return department_id in self.departments or role in self.roles


def required_audiences(tenant: Tenant) -> dict[int, tuple[Course, Audience]]:
    """Every active required course with its audience, in three queries."""
    courses = list(Course.objects.for_tenant(tenant).filter(is_required=True, is_active=True).order_by("title"))
    departments: dict[int, set[int]] = {c.pk: set() for c in courses}
    roles: dict[int, set[str]] = {c.pk: set() for c in courses}
    for course_id, department_id in (
        CourseDepartment.objects.for_tenant(tenant).filter(course__in=courses).values_list("course_id", "department_id")
    ):
        departments[course_id].add(department_id)
    for course_id, role in (
        CourseRole.objects.for_tenant(tenant).filter(course__in=courses).values_list("course_id", "role")
    ):
        roles[course_id].add(role)
    return {c.pk: (c, Audience(frozenset(departments[c.pk]), frozenset(roles[c.pk]))) for c in courses}


@dataclass
class RemindersResult:
    expiring: int = 0
    missing: int = 0


def _remind(
    tenant: Tenant, member: Membership, course: Course, kind: str, due_date: dt.date, title: str, body: str
) -> bool:
    try:
        with transaction.atomic():
            TrainingReminder.objects.create(tenant=tenant, member=member, course=course, kind=kind, due_date=due_date)
    except IntegrityError:
        return False  # sent before (or by a run at the same time)
    notification_send(
        tenant=tenant,
        recipients=[member],
        kind="training",
        title=title,
        body=body,
        link=reverse("training:my-record"),
        dedupe_key=f"training:{kind}:{course.pk}:{due_date.isoformat()}",
    )
    return True


@tenant_service(None)
def training_reminders_send(*, tenant: Tenant, now: dt.datetime) -> RemindersResult:
    """Certifications expiring within 30 days, and members missing a required course: one notice each.

    The due date of an expiring certification is its expiry day; of a missing course, the day it
    became missing (the last certification's expiry, or the later of the course's creation and
    the member's joining), so each lapse is reminded once, however often the sweep runs.
    """
    result = RemindersResult()
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    members = list(Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user"))
    by_pk = {m.pk: m for m in members}
    certs = (
        Certification.objects.for_tenant(tenant)
        .filter(member__is_active=True)
        .values_list("member_id", "course_id", "expires_at")
    )
    # The furthest expiry per (member, course); None (never expires) beats every date.
    furthest: dict[tuple[int, int], dt.datetime | None] = {}
    for member_id, course_id, expires_at in certs:
        key = (member_id, course_id)
        if key in furthest and (furthest[key] is None or (expires_at is not None and expires_at <= furthest[key])):
            continue
        furthest[key] = expires_at
    courses = {c.pk: c for c in Course.objects.for_tenant(tenant).filter(is_active=True)}
    horizon = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    for (member_id, course_id), expires_at in sorted(furthest.items()):
        course = courses.get(course_id)
        if course is None or expires_at is None or not now < expires_at <= horizon:
            continue
        due = expires_at.astimezone(zone).date()
        if _remind(
            tenant,
            by_pk[member_id],
            course,
            TrainingReminder.Kind.EXPIRING,
            due,
            _("培训证书即将到期：%(course)s") % {"course": course.title},
            _("您的“%(course)s”证书将于 %(date)s 到期，请及时参加培训。") % {"course": course.title, "date": due},
        ):
            result.expiring += 1
    for course_id, (course, audience) in required_audiences(tenant).items():
        for member in members:
            if not audience.includes(member.department_id, member.role):
                continue
            key = (member.pk, course_id)
            if key in furthest and (furthest[key] is None or furthest[key] > now):
                continue  # holds a valid certification
            since = furthest.get(key) or max(course.created_at, member.created_at)
            due = since.astimezone(zone).date()
            if _remind(
                tenant,
                member,
                course,
                TrainingReminder.Kind.MISSING_REQUIRED,
                due,
                _("缺少必修培训：%(course)s") % {"course": course.title},
                _("您尚未取得必修课程“%(course)s”的有效证书，请报名参加最近的场次。") % {"course": course.title},
            ):
                result.missing += 1
    return result
