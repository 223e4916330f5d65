"""Manual entry of one mention and the upload of a crawler output file: both through the one
ingestion service (yuqing.monitoring.services.ingestion.mentions_ingest), which validates, normalises and
de-duplicates; its per-item reason becomes the form's error."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yuqing.monitoring.forms import CrawlerUploadForm, ManualMentionForm
from yuqing.monitoring.models import Mention
from yuqing.monitoring.services.crawler_files import crawler_file_import
from yuqing.monitoring.services.ingestion import mentions_ingest
from yuqing.platform.http import add_service_errors, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission

REJECTED_SHOWN = 500


@member_required(Permission.WRITE)
@with_tenant_time
def mention_create(request: HttpRequest) -> HttpResponse:
    form = ManualMentionForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            report = mentions_ingest(
                tenant=request.tenant,
                source=form.cleaned_data["source"],
                items=[form.item()],
                via=Mention.Via.MANUAL,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            result = report.results[0]
            if result.status == "accepted":
                messages.success(request, _("已录入，系统正在评分。"))
                return redirect("monitoring:mention-detail", pk=result.mention_id)
            if result.status == "duplicate":
                messages.info(request, _("这条信息已在库中（重复内容计为一次转载）。"))
                if result.mention_id:
                    return redirect("monitoring:mention-detail", pk=result.mention_id)
                return redirect("monitoring:mention-list")
            form.add_error(None, result.reason or _("未能录入这条信息。"))
    return render(request, "monitoring/mention_form.html", {"form": form})


@member_required(Permission.WRITE)
@with_tenant_time
def crawler_upload(request: HttpRequest) -> HttpResponse:
    form = CrawlerUploadForm(request.POST or None, request.FILES or None, tenant=request.tenant)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = crawler_file_import(
                tenant=request.tenant,
                actor=request.user,
                source=form.cleaned_data["source"],
                upload=upload,
                filename=upload.name,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            result = None
    return render(
        request,
        "monitoring/crawler_upload.html",
        {
            "form": form,
            "result": result,
            "rejected": result.rejected[:REJECTED_SHOWN] if result else [],
            "rejected_shown": REJECTED_SHOWN,
        },
    )
