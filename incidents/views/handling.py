"""The actions on one incident: phase moves, SLA pause/resume, notes, plans, review, evidence.

Each is a POST from the detail page. A form that fails re-renders the detail page with its errors
(status 400); a service that refuses says why in Chinese at the top of the page.
"""

from __future__ import annotations

import mimetypes
import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from incidents import selectors
from incidents.forms import EvidenceForm, ImprovementActionFormSet, MoveBackForm, NoteForm, PauseForm, ReviewForm
from incidents.models import Evidence, ImprovementAction, Incident, Phase
from incidents.services import evidence as evidence_services
from incidents.services import incidents as services
from incidents.services import plans
from incidents.services import review as review_services
from incidents.services import sla as sla_services
from incidents.views.common import incident_of, post_to
from incidents.views.detail import advance_form, detail_context, next_phase
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant


def _improvement_action(request: HttpRequest, pk: int) -> ImprovementAction:
    return get_for_tenant(
        ImprovementAction.objects.for_tenant(request.tenant).select_related("review"), tenant=request.tenant, pk=pk
    )


def _detail_with_errors(request: HttpRequest, incident: Incident, **bound: object) -> HttpResponse:
    return render(request, "incidents/incident_detail.html", detail_context(request, incident, **bound), status=400)


def _back_to(incident: Incident, anchor: str = "") -> HttpResponse:
    response = redirect("incidents:incident-detail", pk=incident.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_advance(request: HttpRequest, incident: Incident) -> HttpResponse:
    """Save the current phase's fields and move on to the next phase, in one transaction."""
    target = next_phase(incident)
    if target is None:
        messages.error(request, _("事件已关闭，没有下一阶段。"))
        return _back_to(incident)
    form = advance_form(request, incident, request.POST)
    if form is not None and not form.is_valid():
        return _detail_with_errors(request, incident, advance_form=form, open_section="advance")
    changes = form.changed_values() if form is not None else {}
    incident = selectors.incident_get(tenant=request.tenant, pk=incident.pk)  # the form wrote onto its instance
    try:
        with transaction.atomic():
            if changes:
                incident = services.incident_update(
                    tenant=request.tenant, actor=request.user, incident=incident, **changes
                )
            services.incident_move(tenant=request.tenant, actor=request.user, incident=incident, to_phase=target)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
        return _back_to(incident)
    except ValidationError as error:
        if form is None:
            error_message(request, error)
            return _back_to(incident)
        add_service_errors(form, error)
        incident = selectors.incident_get(tenant=request.tenant, pk=incident.pk)
        return _detail_with_errors(request, incident, advance_form=form, open_section="advance")
    messages.success(request, _("事件已进入“%(phase)s”阶段。") % {"phase": target.label})
    return _back_to(incident)


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_save_phase(request: HttpRequest, incident: Incident) -> HttpResponse:
    """Save the current phase's fields without moving on (work in progress)."""
    form = advance_form(request, incident, request.POST)
    if form is None:
        return _back_to(incident)
    for field in form.fields.values():
        field.required = False  # saving a draft needs nothing; moving on does
    if not form.is_valid():
        return _detail_with_errors(request, incident, advance_form=form, open_section="advance")
    changes = form.changed_values()
    incident = selectors.incident_get(tenant=request.tenant, pk=incident.pk)
    if changes:
        try:
            services.incident_update(tenant=request.tenant, actor=request.user, incident=incident, **changes)
        except ValidationError as error:
            add_service_errors(form, error)
            return _detail_with_errors(request, incident, advance_form=form, open_section="advance")
        messages.success(request, _("已保存本阶段信息。"))
    else:
        messages.info(request, _("没有需要保存的修改。"))
    return _back_to(incident, "phase")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_move_back(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = MoveBackForm(request.POST, phase=incident.phase)
    if not form.is_valid():
        return _detail_with_errors(request, incident, back_form=form, open_section="back")
    target = Phase(form.cleaned_data["to_phase"])
    try:
        services.incident_move(
            tenant=request.tenant,
            actor=request.user,
            incident=incident,
            to_phase=target,
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as denied:
        messages.error(request, str(denied))
        return _back_to(incident)
    except ValidationError as error:
        add_service_errors(form, error)
        return _detail_with_errors(request, incident, back_form=form, open_section="back")
    messages.success(request, _("事件已退回“%(phase)s”阶段。") % {"phase": target.label})
    return _back_to(incident)


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_pause(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = PauseForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, incident, pause_form=form, open_section="pause")
    try:
        sla_services.sla_pause(
            tenant=request.tenant, actor=request.user, incident=incident, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已暂停计时。恢复前不计入处置时限。"))
    return _back_to(incident, "sla")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_resume(request: HttpRequest, incident: Incident) -> HttpResponse:
    try:
        sla_services.sla_resume(tenant=request.tenant, actor=request.user, incident=incident)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已恢复计时，截止时间已顺延暂停的时长。"))
    return _back_to(incident, "sla")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_note(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, incident, note_form=form, open_section="note")
    try:
        services.incident_note_add(tenant=request.tenant, actor=request.user, incident=incident, **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return _detail_with_errors(request, incident, note_form=form, open_section="note")
    messages.success(request, _("已记入时间线。"))
    return _back_to(incident, "timeline")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_plan_launch(request: HttpRequest, incident: Incident) -> HttpResponse:
    wanted = request.POST.get("proposal", "")
    proposal = next((p for p in plans.plan_proposals(incident) if str(p.id) == wanted), None)
    if proposal is None:
        messages.error(request, _("该预案不可用于本事件，请刷新页面后重试。"))
        return _back_to(incident, "plans")
    try:
        tasks = plans.plan_launch(tenant=request.tenant, actor=request.user, incident=incident, proposal=proposal)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(
            request,
            _("已启动预案“%(title)s”，生成 %(count)d 项任务。") % {"title": proposal.title, "count": len(tasks)},
        )
    return _back_to(incident, "tasks")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def incident_review(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = ReviewForm(request.POST)
    formset = ImprovementActionFormSet(request.POST, tenant=request.tenant, prefix="actions")
    if not (form.is_valid() and formset.is_valid()):
        return _detail_with_errors(request, incident, review_form=form, action_formset=formset, open_section="review")
    try:
        review_services.review_record(
            tenant=request.tenant, actor=request.user, incident=incident, actions=formset.actions(), **form.cleaned_data
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _detail_with_errors(request, incident, review_form=form, action_formset=formset, open_section="review")
    messages.success(request, _("已记录复盘。确认无误后可关闭事件。"))
    return _back_to(incident, "review")


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(_improvement_action)
def improvement_action_complete(request: HttpRequest, action: ImprovementAction) -> HttpResponse:
    try:
        review_services.improvement_action_complete(tenant=request.tenant, actor=request.user, action=action)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("改进措施“%(title)s”已完成。") % {"title": action.title})
    response = redirect("incidents:incident-detail", pk=action.review.incident_id)
    response["Location"] += "#review"
    return response


@member_required(Permission.WRITE)
@with_tenant_time
@post_to(incident_of)
def evidence_add(request: HttpRequest, incident: Incident) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail_with_errors(request, incident, evidence_form=form, open_section="evidence")
    try:
        evidence_services.evidence_add(
            tenant=request.tenant,
            actor=request.user,
            incident=incident,
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
            url=form.cleaned_data["url"],
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):  # about the incident (closed, ...), not the form
            error_message(request, error)
            return _back_to(incident)
        add_service_errors(form, error)
        return _detail_with_errors(request, incident, evidence_form=form, open_section="evidence")
    messages.success(request, _("已添加证据“%(title)s”。") % {"title": form.cleaned_data["title"]})
    return _back_to(incident, "evidence")


@member_required(Permission.READ)
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, through Django and only to the tenant's members: never a public MEDIA_URL."""
    evidence = get_for_tenant(Evidence, tenant=request.tenant, pk=pk)
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = os.path.basename(evidence.file.name)
    content_type = evidence.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
