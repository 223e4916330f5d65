"""Emergency plans in the portal: list, create, detail with version history, steps, review, diff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from training.forms import DiffForm, DraftForm, PlanForm, RejectForm, StepFormSet, step_initial, steps_of
from training.models import EmergencyPlan, PlanVersion
from training.selectors import plans as selectors
from training.services import plans as services
from yuqing.platform.http import add_service_errors, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.guard import actor_may
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant


def _plan_of(request: HttpRequest, pk: Any) -> EmergencyPlan:
    return get_for_tenant(EmergencyPlan, tenant=request.tenant, pk=pk)


def _version_of(request: HttpRequest, pk: Any) -> PlanVersion:
    return get_for_tenant(
        PlanVersion.objects.for_tenant(request.tenant).select_related("plan"), tenant=request.tenant, pk=pk
    )


def _post_to(lookup: Callable[[HttpRequest, Any], Any]) -> Callable:
    """POST-only on the object `lookup` finds: another tenant's object is 404 before the method is 405."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        guarded = require_POST(view)

        @wraps(view)
        def wrapped(request: HttpRequest, pk: Any) -> HttpResponse:
            return guarded(request, lookup(request, pk))

        return wrapped

    return decorator


def _refused(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else (str(error) or _("没有权限。"))
    messages.error(request, text)


def _to_plan(plan_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("training:plan-detail", pk=plan_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@member_required(Permission.READ)
@with_tenant_time
def plan_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        {
            "plan": plan,
            "in_force": plan.in_force[0] if plan.in_force else None,
            "open": plan.open[0] if plan.open else None,
            "overdue": selectors.review_overdue(plan, today),
        }
        for plan in selectors.plan_list(tenant=request.tenant)
    ]
    return render(
        request,
        "training/plan_list.html",
        {"rows": rows, "overdue_count": sum(1 for row in rows if row["overdue"])},
    )


@member_required(Permission.WRITE)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已创建预案“%(title)s”，并起草了第 1 版。") % {"title": plan.title})
            version = PlanVersion.objects.for_tenant(request.tenant).get(plan=plan, number=1)
            return redirect("training:version-steps", pk=version.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/plan_form.html", {"form": form}, status=status)


def _detail_context(request: HttpRequest, plan: EmergencyPlan, **extra: Any) -> dict[str, Any]:
    versions = selectors.plan_versions(tenant=request.tenant, plan=plan)
    user = request.user
    return {
        "plan": plan,
        "versions": versions,
        "in_force": next((v for v in versions if v.is_in_force), None),
        "open_version": next((v for v in versions if v.status in PlanVersion.OPEN_STATUSES), None),
        "overdue": selectors.review_overdue(plan, timezone.localdate()),
        "can_write": actor_may(tenant=request.tenant, actor=user, permission=Permission.WRITE),
        "can_approve": actor_may(tenant=request.tenant, actor=user, permission=Permission.APPROVE),
        "draft_form": extra.pop("draft_form", None) or DraftForm(),
        "reject_form": extra.pop("reject_form", None) or RejectForm(),
        "diff_form": DiffForm(versions=versions, initial=_diff_initial(versions)),
        **extra,
    }


def _diff_initial(versions: list[PlanVersion]) -> dict[str, int]:
    if len(versions) < 2:
        return {}
    return {"old": versions[1].number, "new": versions[0].number}


@member_required(Permission.READ)
@with_tenant_time
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "training/plan_detail.html", _detail_context(request, _plan_of(request, pk)))


@member_required(Permission.WRITE)
@with_tenant_time
@_post_to(_plan_of)
def plan_draft(request: HttpRequest, plan: EmergencyPlan) -> HttpResponse:
    form = DraftForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, plan, draft_form=form)
        return render(request, "training/plan_detail.html", context, status=400)
    try:
        version = services.version_draft(tenant=request.tenant, actor=request.user, plan=plan, **form.cleaned_data)
    except ValidationError as error:
        _refused(request, error)
        return _to_plan(plan.pk)
    messages.success(request, _("已起草第 %(number)d 版。") % {"number": version.number})
    return redirect("training:version-steps", pk=version.pk)


@member_required(Permission.READ)
@with_tenant_time
def version_steps(request: HttpRequest, pk: int) -> HttpResponse:
    """The steps of a draft: edit them (WRITE) or, for any other version, read them on the plan page."""
    version = _version_of(request, pk)
    if request.method == "POST":
        if not actor_may(tenant=request.tenant, actor=request.user, permission=Permission.WRITE):
            raise PermissionDenied(_("没有编辑预案的权限。"))
        formset = StepFormSet(request.POST, prefix="steps")
        note = DraftForm(request.POST)
        if formset.is_valid() and note.is_valid():
            try:
                services.version_steps_set(
                    tenant=request.tenant,
                    actor=request.user,
                    version=version,
                    steps=steps_of(formset),
                    change_note=note.cleaned_data["change_note"],
                )
            except ValidationError as error:
                note.add_error(None, error)
            else:
                messages.success(request, _("已保存第 %(number)d 版的步骤。") % {"number": version.number})
                return _to_plan(version.plan_id, f"version-{version.number}")
        status = 400
    else:
        if not version.is_editable:
            return _to_plan(version.plan_id, f"version-{version.number}")
        formset = StepFormSet(initial=step_initial(version), prefix="steps")
        note = DraftForm(initial={"change_note": version.change_note})
        status = 200
    return render(
        request,
        "training/version_steps.html",
        {"version": version, "plan": version.plan, "formset": formset, "note_form": note},
        status=status,
    )


@member_required(Permission.WRITE)
@_post_to(_version_of)
def version_submit(request: HttpRequest, version: PlanVersion) -> HttpResponse:
    try:
        services.version_submit(tenant=request.tenant, actor=request.user, version=version)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("第 %(number)d 版已提交审核。") % {"number": version.number})
    return _to_plan(version.plan_id, f"version-{version.number}")


@member_required(Permission.APPROVE)
@_post_to(_version_of)
def version_approve(request: HttpRequest, version: PlanVersion) -> HttpResponse:
    try:
        services.version_approve(tenant=request.tenant, actor=request.user, version=version)
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(request, _("第 %(number)d 版已批准并生效。") % {"number": version.number})
    return _to_plan(version.plan_id, f"version-{version.number}")


@member_required(Permission.APPROVE)
@with_tenant_time
@_post_to(_version_of)
def version_reject(request: HttpRequest, version: PlanVersion) -> HttpResponse:
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.version_reject(
                tenant=request.tenant, actor=request.user, version=version, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            _refused(request, error)
            return _to_plan(version.plan_id, f"version-{version.number}")
        else:
            messages.success(request, _("第 %(number)d 版已退回草稿。") % {"number": version.number})
            return _to_plan(version.plan_id, f"version-{version.number}")
    context = _detail_context(request, version.plan, reject_form=form)
    return render(request, "training/plan_detail.html", context, status=400)


@member_required(Permission.READ)
@with_tenant_time
def plan_diff(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_of(request, pk)
    versions = selectors.plan_versions(tenant=request.tenant, plan=plan)
    form = DiffForm(request.GET or None, versions=versions, initial=_diff_initial(versions))
    changes = None
    old = new = None
    if form.is_valid():
        by_number = {v.number: v for v in versions}
        old, new = by_number[form.cleaned_data["old"]], by_number[form.cleaned_data["new"]]
        changes = selectors.version_diff(tenant=request.tenant, old=old, new=new)
    status = 400 if request.GET and not form.is_valid() else 200
    return render(
        request,
        "training/plan_diff.html",
        {"plan": plan, "form": form, "old": old, "new": new, "changes": changes},
        status=status,
    )
