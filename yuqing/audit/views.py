from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission


@member_required(Permission.READ_AUDIT)
def event_list(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.for_tenant(request.tenant).select_related("actor")[:100]
    return render(request, "audit/event_list.html", {"events": events})
