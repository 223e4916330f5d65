"""Training pages: courses and sessions, attendance entry, the calendar, my record, readiness.

Reads need READ; course, session and attendance writes need APPROVE (managers and admins). An
object of another tenant answers 404 before a wrong method answers 405.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import mimetypes
import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from training.forms import CourseForm, PlanItemForm, SessionForm
from training.models import Course, TrainingSession
from training.selectors import courses as selectors
from training.selectors.readiness import department_readiness
from training.services import AttendanceEntry, CourseData, attendance_record, plan_item_add, session_schedule
from training.services import course_create as create_course
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission, has_permission
from yuqing.tenancy.selectors import get_for_tenant


def _course(request: HttpRequest, pk: int) -> Course:
    return get_for_tenant(Course, tenant=request.tenant, pk=pk)


def _session(request: HttpRequest, pk: int) -> TrainingSession:
    return get_for_tenant(
        TrainingSession.objects.for_tenant(request.tenant).select_related("course", "trainer__user"),
        tenant=request.tenant,
        pk=pk,
    )


def _may_manage(request: HttpRequest) -> bool:
    return has_permission(request.membership, Permission.APPROVE)


@member_required(Permission.READ)
def course_list(request: HttpRequest) -> HttpResponse:
    return render(request, "training/course_list.html", {"courses": selectors.course_list(tenant=request.tenant)})


@member_required(Permission.APPROVE)
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            course = create_course(
                tenant=request.tenant,
                actor=request.user,
                data=CourseData(
                    title=data["title"],
                    topic=data["topic"],
                    description=data["description"],
                    is_required=data["is_required"],
                    validity_months=data["validity_months"],
                    pass_mark=data["pass_mark"],
                    departments=list(data["departments"]),
                    roles=list(data["roles"]),
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已创建课程“%(title)s”。") % {"title": course.title})
            return redirect("training:course-detail", pk=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/course_form.html", {"form": form}, status=status)


def _course_page(
    request: HttpRequest, course: Course, form: SessionForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "course": course,
        "sessions": selectors.course_sessions(tenant=request.tenant, course=course),
        "departments": [link.department for link in course.audience_departments.select_related("department")],
        "roles": [link.get_role_display() for link in course.audience_roles.all()],
        "session_form": form or SessionForm(tenant=request.tenant),
        "may_manage": _may_manage(request),
    }
    return render(request, "training/course_detail.html", context, status=status)


@member_required(Permission.READ)
@with_tenant_time
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_page(request, _course(request, pk))


@member_required(Permission.APPROVE)
@with_tenant_time
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SessionForm(request.POST, request.FILES, tenant=request.tenant)
    if not form.is_valid():
        return _course_page(request, course, form, status=400)
    data = form.cleaned_data
    try:
        session = session_schedule(
            tenant=request.tenant,
            actor=request.user,
            course=course,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            trainer=data["trainer"],
            place=data["place"],
            online_url=data["online_url"],
            materials=data["materials"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _course_page(request, course, form, status=400)
    messages.success(request, _("已安排培训场次。"))
    return redirect("training:session-detail", pk=session.pk)


def _session_page(request: HttpRequest, session: TrainingSession, errors: dict[int, str] | None = None) -> HttpResponse:
    context = {
        "session": session,
        "course": session.course,
        "roster": selectors.session_roster(tenant=request.tenant, session=session),
        "may_manage": _may_manage(request),
        "row_errors": errors or {},
    }
    return render(request, "training/session_detail.html", context, status=400 if errors else 200)


@member_required(Permission.READ)
@with_tenant_time
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_page(request, _session(request, pk))


@member_required(Permission.APPROVE)
@with_tenant_time
def attendance_save(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole roster in one form: `attended_<member>` checkboxes and `score_<member>` (0–100 or empty)."""
    session = _session(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entries, errors = [], {}
    for member, attendance in selectors.session_roster(tenant=request.tenant, session=session):
        attended = request.POST.get(f"attended_{member.pk}") == "on"
        raw = (request.POST.get(f"score_{member.pk}") or "").strip()
        if not raw and attendance is None and not attended:
            continue
        score = None
        if raw:
            if not raw.isdigit() or not 0 <= int(raw) <= 100:
                errors[member.pk] = _("成绩应为 0 到 100 的整数。")
                continue
            score = int(raw)
            if not attended:
                errors[member.pk] = _("未出席的学员不能录入成绩。")
                continue
        entries.append(AttendanceEntry(member=member, attended=attended, score=score))
    if errors:
        messages.error(request, _("有 %(count)d 行未能保存，请修改后重新提交。") % {"count": len(errors)})
        return _session_page(request, session, errors)
    try:
        attendance_record(tenant=request.tenant, actor=request.user, session=session, entries=entries)
    except ValidationError as error:
        error_message(request, error)
        return _session_page(request, session, {0: str(error)})
    messages.success(request, _("已保存出勤与成绩。"))
    return redirect("training:session-detail", pk=session.pk)


@member_required(Permission.READ)
def materials_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, through Django and only to the tenant's members: never a public MEDIA_URL."""
    session = _session(request, pk)
    if not session.materials:
        raise Http404
    try:
        handle = session.materials.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = os.path.basename(session.materials.name)
    content_type = session.materials_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def _month_of(request: HttpRequest, today: dt.date) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


@member_required(Permission.READ)
@with_tenant_time
def training_calendar(request: HttpRequest) -> HttpResponse:
    """Sessions by month, as weeks of days (the tenant's time zone)."""
    month = _month_of(request, timezone.localdate())
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time(), tzinfo=zone)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    end = dt.datetime.combine(following, dt.time(), tzinfo=zone)
    by_day: dict[dt.date, list[TrainingSession]] = {}
    for session in selectors.sessions_between(tenant=request.tenant, start=start, end=end):
        by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    weeks = [
        [(day, day.month == month.month, by_day.get(day, [])) for day in week]
        for week in month_calendar.Calendar().monthdatescalendar(month.year, month.month)
    ]
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    context = {
        "month": month,
        "weeks": weeks,
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "session_count": sum(len(v) for v in by_day.values()),
    }
    return render(request, "training/calendar.html", context)


@member_required(Permission.READ)
@with_tenant_time
def my_record(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    record = selectors.my_record(tenant=request.tenant, member=request.membership, now=now)
    upcoming = selectors.upcoming_sessions(tenant=request.tenant, courses=record.missing, now=now)
    missing = [(course, upcoming.get(course.pk)) for course in record.missing]
    return render(request, "training/my_record.html", {"record": record, "missing": missing, "now": now})


@member_required(Permission.READ)
@with_tenant_time
def readiness(request: HttpRequest) -> HttpResponse:
    departments = department_readiness(tenant=request.tenant, now=timezone.now())
    members = sum(d.members for d in departments)
    certified = sum(d.certified for d in departments)
    context = {
        "departments": departments,
        "members": members,
        "certified": certified,
        "share_percent": round(certified * 100 / members) if members else 100,
        "overdue": sum(d.overdue for d in departments),
    }
    return render(request, "training/readiness.html", context)


@member_required(Permission.READ)
def training_plan(request: HttpRequest) -> HttpResponse:
    """The yearly training plan per department; managers add lines (POST to the same page)."""
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    form = PlanItemForm(request.POST or None, tenant=request.tenant, initial={"year": year})
    status = 200
    if request.method == "POST":
        if not _may_manage(request):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan_item_add(
                    tenant=request.tenant,
                    actor=request.user,
                    department=data["department"],
                    year=data["year"],
                    course=data["course"],
                    quarter=data["quarter"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已加入年度培训计划。"))
                return redirect(f"{request.path}?year={data['year']}")
        status = 400
    context = {
        "year": year,
        "items": selectors.plan_items(tenant=request.tenant, year=year),
        "form": form,
        "may_manage": _may_manage(request),
    }
    return render(request, "training/plan.html", context, status=status)
