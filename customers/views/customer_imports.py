"""CSV import pages: upload, preview (every row checked), then import all valid rows or nothing.

The uploaded text stays in the user's session under a key of the tenant, from the upload until
the user confirms or discards it; the confirm step never takes a file again, and carries the
digest of the previewed content so a preview opened in another tab cannot be confirmed blindly.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.forms import ImportUploadForm
from customers.imports import (
    COLUMNS,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    ImportRefused,
    content_digest,
    decode_upload,
    import_commit,
    import_preview,
    template_csv,
)
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.forms import add_service_errors
from yuqing.tenancy.roles import Permission


def _session_key(request: HttpRequest) -> str:
    return f"customers.import.{request.tenant.pk}"


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
            request.session[_session_key(request)] = {
                "content": content,
                "filename": request.FILES["file"].name[:200],
                "digest": content_digest(content),
            }
            return redirect("customers:customer-import-preview")
    return render(
        request,
        "customers/customer_import.html",
        {"form": form, "columns": list(COLUMNS), "required": REQUIRED_COLUMNS, "max_rows": MAX_ROWS},
    )


@member_required(Permission.WRITE)
def customer_import_preview(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(_session_key(request))
    if not pending:
        messages.info(request, _("没有待确认的导入，请先上传文件。"))
        return redirect("customers:customer-import")
    try:
        preview = import_preview(tenant=request.tenant, content=pending["content"])
    except ImportRefused as error:
        request.session.pop(_session_key(request), None)
        messages.error(request, " ".join(error.messages))
        return redirect("customers:customer-import")
    pending["valid_lines"] = preview.valid_lines
    request.session[_session_key(request)] = pending
    return render(
        request, "customers/customer_import_preview.html", {"preview": preview, "filename": pending["filename"]}
    )


@member_required(Permission.WRITE)
def customer_import_confirm(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pending = request.session.pop(_session_key(request), None)
    if not pending or request.POST.get("digest") != pending.get("digest") or "valid_lines" not in pending:
        messages.error(request, _("这次导入已过期或已处理，请重新上传文件。"))
        return redirect("customers:customer-import")
    if request.POST.get("action") != "import":
        messages.info(request, _("已放弃导入，没有导入任何客户。"))
        return redirect("customers:customer-list")
    try:
        result = import_commit(
            tenant=request.tenant,
            actor=request.user,
            content=pending["content"],
            expected_lines=pending["valid_lines"],
            filename=pending["filename"],
            ip_address=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
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
