"""Tenant switching and the tenant's settings pages (members, departments)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.platform.http import add_service_errors, error_message
from yuqing.tenancy import selectors, services
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.forms import DepartmentForm, MemberAddForm, MembershipEditForm
from yuqing.tenancy.middleware import SESSION_KEY
from yuqing.tenancy.models import Membership
from yuqing.tenancy.roles import Permission


@login_required
@require_POST
def tenant_switch(request: HttpRequest) -> HttpResponse:
    tenant_id = request.POST.get("tenant")
    membership = next((m for m in request.memberships if str(m.tenant_id) == str(tenant_id)), None)
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.tenant_id
    messages.success(request, _("已切换到 %(tenant)s。") % {"tenant": membership.tenant.name})
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "home"
    return redirect(next_url)


@member_required(Permission.READ)
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(tenant=request.tenant)
    if request.method == "POST":
        form = MemberAddForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                services.member_add_by_username(
                    tenant=request.tenant, actor=request.user, ip_address=client_ip(request), **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已添加成员 %(name)s。") % {"name": form.cleaned_data["username"]})
                return redirect("tenancy:member-list")
    return render(
        request,
        "tenancy/member_list.html",
        {
            "memberships": selectors.membership_list(tenant=request.tenant),
            "departments": selectors.department_list(tenant=request.tenant),
            "form": form,
            "department_form": DepartmentForm(),
        },
    )


@member_required(Permission.MANAGE_MEMBERS)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.get_for_tenant(
        Membership.objects.select_related("user", "department"), tenant=request.tenant, pk=pk
    )
    form = MembershipEditForm(instance=membership, tenant=request.tenant)
    if request.method == "POST":
        # The form gets its own copy: the service compares the stored values with the new ones.
        form = MembershipEditForm(
            request.POST,
            instance=selectors.get_for_tenant(Membership, tenant=request.tenant, pk=pk),
            tenant=request.tenant,
        )
        if form.is_valid():
            try:
                services.membership_update(
                    tenant=request.tenant,
                    membership=membership,
                    actor=request.user,
                    role=form.cleaned_data["role"],
                    department=form.cleaned_data["department"],
                    is_active=form.cleaned_data["is_active"],
                    ip_address=client_ip(request),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已更新成员 %(name)s。") % {"name": membership.user})
                return redirect("tenancy:member-list")
    return render(request, "tenancy/member_form.html", {"membership": membership, "form": form})


@member_required(Permission.MANAGE_MEMBERS)
@require_POST
def department_create(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            services.department_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            error_message(request, error)
        else:
            messages.success(request, _("已新增部门 %(name)s。") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, _("部门名称不能为空。"))
    return redirect("tenancy:member-list")
