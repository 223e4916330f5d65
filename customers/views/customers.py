"""Customer pages: list, detail, create and edit, reveal, tier override, contacts and guarantees.

Thin views: reads go through customers.selectors, writes through customers.services (which check
roles again). Every object page looks the customer up in the request's tenant before anything
else, so another tenant's customer is a 404 whatever the method.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.forms import ContactForm, CustomerForm, GuaranteeForm, TierOverrideForm
from customers.models import Contact, Customer, Guarantee
from customers.selectors import customers as selectors
from customers.selectors.timeline import customer_timeline
from customers.services import customers as services
from customers.services import tiering
from yuqing.csv_export import csv_response
from yuqing.platform.http import add_service_errors, htmx_swaps, with_tenant_time
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant

PAGE_SIZE = 50


def _customer(request: HttpRequest, pk: int) -> Customer:
    return get_for_tenant(Customer, tenant=request.tenant, pk=pk)


@member_required(Permission.READ)
def customer_list(request: HttpRequest) -> HttpResponse:
    filterset = selectors.customer_filterset(tenant=request.tenant, filters=request.GET)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page_obj": page, "customers": page.object_list}
    if htmx_swaps(request, "customer-rows"):
        return render(request, "customers/_customer_rows.html", context)
    return render(request, "customers/customer_list.html", context)


@member_required(Permission.READ)
def customer_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV (UTF-8 with BOM, formula-safe); personal data masked, the export audited."""
    rows = services.customer_export_rows(
        tenant=request.tenant, actor=request.user, filters=request.GET, ip_address=client_ip(request)
    )

    return csv_response(rows, filename="customers.csv")


@member_required(Permission.READ)
@with_tenant_time
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.customer_detail(tenant=request.tenant, pk=pk)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "detail": detail,
            "customer": detail.customer,
            "timeline": customer_timeline(tenant=request.tenant, customer=detail.customer),
            "contact_form": ContactForm(),
            "guarantee_form": GuaranteeForm(tenant=request.tenant),
        },
    )


@member_required(Permission.WRITE)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                tenant=request.tenant, actor=request.user, data=form.to_data(), ip_address=client_ip(request)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已新增客户 %(name)s。") % {"name": customer.name})
            return redirect("customers:customer-detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@member_required(Permission.WRITE)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = CustomerForm(request.POST or None, tenant=request.tenant, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                tenant=request.tenant,
                actor=request.user,
                customer=customer,
                data=form.to_data(),
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存客户 %(name)s。") % {"name": customer.name})
            return redirect("customers:customer-detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@member_required(Permission.REVEAL_PERSONAL_DATA)
def customer_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """POST field=id_number|mobile: the clear value, as a fragment that htmx swaps for the masked one."""
    return _reveal(request, _customer(request, pk))  # another tenant's customer: 404 whatever the method


@require_POST
def _reveal(request: HttpRequest, customer: Customer) -> HttpResponse:
    field = request.POST.get("field", "")
    try:
        value = services.customer_reveal_personal_data(
            tenant=request.tenant, actor=request.user, customer=customer, field=field, ip_address=client_ip(request)
        )
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    return _revealed(request, value)


def _revealed(request: HttpRequest, value: str) -> HttpResponse:
    response = render(request, "customers/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"  # a clear ID number must not sit in a browser or proxy cache
    return response


@member_required(Permission.WRITE)
@with_tenant_time
def customer_tier_override(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = TierOverrideForm(initial={"tier": customer.manual_tier or customer.tier})
    if request.method == "POST":
        form = TierOverrideForm(request.POST)
        try:
            if request.POST.get("action") == "clear":
                tiering.customer_tier_override_clear(
                    tenant=request.tenant, actor=request.user, customer=customer, ip_address=client_ip(request)
                )
                messages.success(request, _("已撤销人工调整，层级按规则重新计算。"))
                return redirect("customers:customer-detail", pk=customer.pk)
            if form.is_valid():
                tiering.customer_tier_override(
                    tenant=request.tenant,
                    actor=request.user,
                    customer=customer,
                    ip_address=client_ip(request),
                    **form.cleaned_data,
                )
                messages.success(request, _("已人工调整客户层级。"))
                return redirect("customers:customer-detail", pk=customer.pk)
        except ValidationError as error:
            add_service_errors(form, error)
    return render(request, "customers/customer_tier_override.html", {"customer": customer, "form": form})


# ---------------------------------------------------------------- contacts and guarantees


@member_required(Permission.WRITE)
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_add(
                tenant=request.tenant,
                actor=request.user,
                customer=customer,
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加联系人。"))
            return redirect("customers:customer-detail", pk=customer.pk)
    return render(request, "customers/customer_contact_form.html", {"customer": customer, "form": form})


@member_required(Permission.WRITE)
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    contact = get_for_tenant(Contact, tenant=request.tenant, pk=contact_pk, customer=customer)
    initial = {"name": contact.name, "title": contact.title, "email": contact.email, "is_primary": contact.is_primary}
    form = ContactForm(request.POST or None, initial=initial)
    if contact.mobile_masked:
        form.fields["mobile"].help_text = _("已登记：%(masked)s。留空则保持不变。") % {"masked": contact.mobile_masked}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                services.contact_remove(
                    tenant=request.tenant, actor=request.user, contact=contact, ip_address=client_ip(request)
                )
                messages.success(request, _("已删除联系人。"))
                return redirect("customers:customer-detail", pk=customer.pk)
            if form.is_valid():
                data = {**form.cleaned_data, "mobile": form.cleaned_data["mobile"] or None}
                services.contact_update(
                    tenant=request.tenant, actor=request.user, contact=contact, ip_address=client_ip(request), **data
                )
                messages.success(request, _("已保存联系人。"))
                return redirect("customers:customer-detail", pk=customer.pk)
        except ValidationError as error:
            add_service_errors(form, error)
    return render(
        request, "customers/customer_contact_form.html", {"customer": customer, "contact": contact, "form": form}
    )


@member_required(Permission.REVEAL_PERSONAL_DATA)
def contact_reveal(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    contact = get_for_tenant(Contact, tenant=request.tenant, pk=contact_pk, customer=customer)
    return _contact_reveal(request, contact)  # looked up first: another tenant's contact is a 404 for any method


@require_POST
def _contact_reveal(request: HttpRequest, contact: Contact) -> HttpResponse:
    value = services.contact_reveal_mobile(
        tenant=request.tenant, actor=request.user, contact=contact, ip_address=client_ip(request)
    )
    return _revealed(request, value)


@member_required(Permission.WRITE)
def guarantee_add(request: HttpRequest, pk: int) -> HttpResponse:
    """This customer as the borrower; the guarantor is named by name or credit code."""
    customer = _customer(request, pk)
    form = GuaranteeForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.guarantee_add(
                tenant=request.tenant,
                actor=request.user,
                borrower=customer,
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加担保关系。"))
            return redirect("customers:customer-detail", pk=customer.pk)
    return render(request, "customers/customer_guarantee_form.html", {"customer": customer, "form": form})


@member_required(Permission.WRITE)
def guarantee_remove(request: HttpRequest, pk: int, guarantee_pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    guarantee = get_for_tenant(Guarantee, tenant=request.tenant, pk=guarantee_pk, borrower=customer)
    return _guarantee_remove(request, customer, guarantee)  # looked up first: 404 for another tenant's, any method


@require_POST
def _guarantee_remove(request: HttpRequest, customer: Customer, guarantee: Guarantee) -> HttpResponse:
    services.guarantee_remove(
        tenant=request.tenant, actor=request.user, guarantee=guarantee, ip_address=client_ip(request)
    )
    messages.success(request, _("已删除担保关系。"))
    return redirect("customers:customer-detail", pk=customer.pk)
