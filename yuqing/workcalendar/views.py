"""Portal pages of the business calendar: the State Council notices the tenant loaded."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant
from yuqing.workcalendar import selectors, services
from yuqing.workcalendar.forms import NoticeLoadForm
from yuqing.workcalendar.models import HolidayNotice
from yuqing.workcalendar.services.notice import notice_parse


@member_required(Permission.READ)
def notice_list(request: HttpRequest) -> HttpResponse:
    next_year = timezone.localdate().year + 1
    form = NoticeLoadForm(initial={"year": next_year})
    return render(
        request,
        "workcalendar/notice_list.html",
        {"notices": selectors.holiday_notice_list(tenant=request.tenant), "form": form},
    )


@member_required(Permission.READ)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_for_tenant(HolidayNotice.objects.select_related("loaded_by"), tenant=request.tenant, pk=pk)
    return render(request, "workcalendar/notice_detail.html", {"notice": notice})


@member_required(Permission.CONFIGURE)
@require_POST
def notice_load(request: HttpRequest) -> HttpResponse:
    """Preview (action=preview) or store (action=confirm) a notice; the text travels in the form."""
    form = NoticeLoadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "workcalendar/notice_list.html",
            {"notices": selectors.holiday_notice_list(tenant=request.tenant), "form": form},
            status=400,
        )
    year, text = form.cleaned_data["year"], form.cleaned_data["notice_text"]
    if request.POST.get("action") == "confirm":
        try:
            result = services.holiday_notice_load(
                tenant=request.tenant, actor=request.user, year=year, text=text, ip_address=client_ip(request)
            )
        except ValidationError:
            pass  # shown below with the preview, which parses the same text again
        else:
            message = _("已替换 %(year)d 年的放假安排。") if result.replaced else _("已导入 %(year)d 年的放假安排。")
            messages.success(request, message % {"year": year})
            return redirect("workcalendar:notice-detail", pk=result.notice.pk)
    parsed = notice_parse(text, year=year)
    return render(
        request,
        "workcalendar/notice_preview.html",
        {
            "parsed": parsed,
            "year": year,
            "text": text,
            "existing": selectors.holiday_notice_get(tenant=request.tenant, year=year),
        },
        status=200 if parsed.is_valid else 400,
    )
