"""CSV import pages: upload, preview (every row checked), then import all valid rows or nothing.

The uploaded text is kept encrypted in a pending import (customers.services.pending_imports) from the
upload until the user confirms or discards it, never in the session; its token in the URL is
useful only to the user who uploaded it, in that tenant. The confirm step never takes a file
again, and carries the digest of the previewed content so a preview opened in another tab cannot
be confirmed blindly.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.forms import ImportUploadForm
from customers.services.imports import (
    COLUMNS,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    ImportRefused,
    decode_upload,
    import_commit,
    import_preview,
    template_csv,
)
from customers.services.pending_imports import (
    pending_import_discard,
    pending_import_get,
    pending_import_of,
    pending_import_previewed,
    pending_import_store,
    pending_import_take,
)
from yuqing.platform.http import add_service_errors, error_message
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.roles import Permission


@member_required(Permission.WRITE)
def customer_import(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            content = decode_upload(form.cleaned_data["file"])
            import_preview(tenant=request.tenant, content=content)  # refuse a bad file here, not on the preview
        except ImportRefused as error:
            add_service_errors(form, ValidationError({"file": error.messages}))
        else:
            pending = pending_import_store(
                tenant=request.tenant, actor=request.user, content=content, filename=request.FILES["file"].name
            )
            return redirect("customers:customer-import-preview", token=pending.token)
    return render(
        request,
        "customers/customer_import.html",
        {"form": form, "columns": list(COLUMNS), "required": REQUIRED_COLUMNS, "max_rows": MAX_ROWS},
    )


@member_required(Permission.WRITE)
def customer_import_preview(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending, content = pending_import_get(tenant=request.tenant, actor=request.user, token=token)
        preview = import_preview(tenant=request.tenant, content=content)
    except ImportRefused as error:
        pending_import_discard(tenant=request.tenant, actor=request.user, token=token)
        error_message(request, error)
        return redirect("customers:customer-import")
    pending_import_previewed(
        tenant=request.tenant, actor=request.user, pending=pending, valid_lines=preview.valid_lines
    )
    response = render(
        request,
        "customers/customer_import_preview.html",
        {"preview": preview, "filename": pending.filename, "token": pending.token},
    )
    response["Cache-Control"] = "no-store"  # the preview lists borrowers' names
    return response


@member_required(Permission.WRITE)
def customer_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    pending_import_of(tenant=request.tenant, actor=request.user, token=token)  # anyone else's: 404 first, any method
    return _confirm(request, token)


@require_POST
def _confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending, content = pending_import_take(tenant=request.tenant, actor=request.user, token=token)
    except ImportRefused as error:
        error_message(request, error)
        return redirect("customers:customer-import")
    if request.POST.get("digest") != pending.digest or pending.valid_lines is None:
        messages.error(request, _("这次导入已过期或已处理，请重新上传文件。"))
        return redirect("customers:customer-import")
    if request.POST.get("action") != "import":
        messages.info(request, _("已放弃导入，没有导入任何客户。"))
        return redirect("customers:customer-list")
    try:
        result = import_commit(
            tenant=request.tenant,
            actor=request.user,
            content=content,
            expected_lines=pending.valid_lines,
            filename=pending.filename,
            ip_address=client_ip(request),
        )
    except ValidationError as error:
        error_message(request, error)
        return redirect("customers:customer-import")
    messages.success(
        request,
        _("已导入 %(created)d 个客户，跳过 %(skipped)d 行有错误的数据。")
        % {"created": result.created, "skipped": result.skipped},
    )
    return redirect("customers:customer-list")


@member_required(Permission.READ)
def customer_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customer-import-template.csv"'
    return response
