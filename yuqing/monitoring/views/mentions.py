"""The mention stream (filters, pages, live updates), the customer search of its filter, mention detail
with the score explanation, and the triage actions on one mention."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring import selectors
from yuqing.monitoring.forms import TriageForm
from yuqing.monitoring.models import Mention, Polarity
from yuqing.monitoring.services import triage
from yuqing.monitoring.services.personal_data import mention_reveal_original
from yuqing.platform.http import error_message, htmx_swaps, is_htmx, with_tenant_time
from yuqing.tenancy.access import client_ip, member_required
from yuqing.tenancy.roles import Permission

PAGE_SIZE = 50
LIVE_SECONDS = 15


def _live_query(request: HttpRequest, cursor: int) -> str:
    """The filters of this page plus the live cursor, for the poll's URL."""
    query: QueryDict = request.GET.copy()
    for name in ("page", "after"):
        query.pop(name, None)
    query["after"] = str(cursor)
    return query.urlencode()


def _stream_context(request: HttpRequest) -> dict:
    filterset = selectors.mention_filterset(tenant=request.tenant, filters=request.GET)
    # The cursor first, and only mentions up to it on the page: one arriving meanwhile comes with
    # the next poll, never twice.
    cursor = selectors.mention_cursor(tenant=request.tenant)
    page = Paginator(filterset.qs.filter(pk__lte=cursor), PAGE_SIZE).get_page(request.GET.get("page"))
    is_first_page = page.number == 1
    return {
        "filter": filterset,
        "page_obj": page,
        "mentions": page.object_list,
        "is_live": is_first_page and not filterset.form.errors,
        "live_query": _live_query(request, cursor),
        "live_seconds": LIVE_SECONDS,
        "level_labels": selectors.level_labels(tenant=request.tenant),
        "now": timezone.now(),
    }


@member_required(Permission.READ)
@with_tenant_time
def mention_list(request: HttpRequest) -> HttpResponse:
    context = _stream_context(request)
    template = (
        "monitoring/_mention_rows.html" if htmx_swaps(request, "mention-rows") else "monitoring/mention_list.html"
    )
    response = render(request, template, context)
    # One URL answers with a page or a fragment: caches and the browser's history must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required(Permission.READ)
@with_tenant_time
def mention_live(request: HttpRequest) -> HttpResponse:
    """The rows of mentions received since `after` (the newest id when the page was drawn), newest
    published first, to prepend to the stream; and the poller again, out of band, with the new cursor."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    filterset = selectors.mention_filterset(tenant=request.tenant, filters=request.GET)
    fresh = (
        [] if filterset.form.errors else selectors.mention_newer(tenant=request.tenant, filters=filterset, after=after)
    )
    cursor = max([after, *(mention.pk for mention in fresh)])
    response = render(
        request,
        "monitoring/_mention_live.html",
        {
            "mentions": fresh,
            "is_live": True,
            "live_query": _live_query(request, cursor),
            "live_seconds": LIVE_SECONDS,
            "level_labels": selectors.level_labels(tenant=request.tenant),
            "now": timezone.now(),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@member_required(Permission.READ)
def customer_options(request: HttpRequest) -> HttpResponse:
    """`<option>`s of the tenant's customers matching `customer_q`, for the stream's customer filter."""
    customers = selectors.customer_options(
        tenant=request.tenant, text=request.GET.get("customer_q", "")[:50], keep=request.GET.get("customer")
    )
    return render(
        request,
        "monitoring/_customer_options.html",
        {"customers": customers, "selected": request.GET.get("customer", "")},
    )


def _detail_context(request: HttpRequest, mention: Mention, **forms: object) -> dict:
    explanation = mention.explanation if isinstance(mention.explanation, dict) else {}
    factors = [factor for factor in explanation.get("factors", []) if isinstance(factor, dict)]
    terms = [term for term in explanation.get("terms", []) if isinstance(term, dict) and term.get("term")]
    return {
        "mention": mention,
        "explanation": explanation,
        "factors": factors,
        "terms": terms,
        "term_words": [term["term"] for term in terms if term.get("kind") != "exclude"],
        "exclude_words": [term["term"] for term in terms if term.get("kind") == "exclude"],
        "links": list(mention.customer_links.all()),
        "story_mentions": [
            m for m in selectors.story_mentions(tenant=request.tenant, story_id=mention.story_id) if m.pk != mention.pk
        ][:10],
        "warning": getattr(mention.story, "warning", None) if mention.story_id else None,
        "effective_polarity": mention.labelled_polarity or mention.polarity,
        "polarity_choices": Polarity.choices,
        "level_labels": selectors.level_labels(tenant=request.tenant),
        "triage_form": forms.get("triage_form") or TriageForm(),
    }


@member_required(Permission.READ)
@with_tenant_time
def mention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mention = selectors.mention_get(tenant=request.tenant, pk=pk)
    return render(request, "monitoring/mention_detail.html", _detail_context(request, mention))


@member_required(Permission.WRITE)
@with_tenant_time
def mention_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """POST triage=relevant|not_relevant|dismissed|new and/or polarity=negative|neutral|positive."""
    return _mention_triage(request, selectors.mention_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _mention_triage(request: HttpRequest, mention: Mention) -> HttpResponse:
    form = TriageForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "monitoring/mention_detail.html",
            _detail_context(request, mention, triage_form=form),
            status=400,
        )
    outcome, polarity = form.cleaned_data["triage"], form.cleaned_data["polarity"]
    try:
        if outcome:
            triage.mention_triage(
                tenant=request.tenant, actor=request.user, mention=mention, triage=outcome, polarity=polarity
            )
        else:
            triage.mention_label_polarity(tenant=request.tenant, actor=request.user, mention=mention, polarity=polarity)
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已记录研判：%(outcome)s。") % {"outcome": mention.get_triage_display()})
    return redirect("monitoring:mention-detail", pk=mention.pk)


@member_required(Permission.WRITE)
@with_tenant_time
def mention_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """Escalate to an incident through the warnings module; the warning and incident show on return."""
    return _mention_escalate(request, selectors.mention_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _mention_escalate(request: HttpRequest, mention: Mention) -> HttpResponse:
    try:
        warning = triage.mention_escalate(tenant=request.tenant, actor=request.user, mention=mention)
    except ValidationError as error:
        error_message(request, error)
        return redirect("monitoring:mention-detail", pk=mention.pk)
    incident = warning.incident if warning.incident_id else None
    if incident is not None:
        messages.success(request, _("已升级为事件处置，关联事件 %(code)s。") % {"code": incident.code})
    else:
        messages.success(request, _("已升级为事件处置。"))
    return redirect("monitoring:mention-detail", pk=mention.pk)


@member_required(Permission.REVEAL_PERSONAL_DATA)
@with_tenant_time
def mention_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: the original title and body (ID and mobile numbers unmasked), audited. htmx swaps the
    fragment in for the masked body; without htmx the detail page shows it."""
    return _mention_reveal(request, selectors.mention_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _mention_reveal(request: HttpRequest, mention: Mention) -> HttpResponse:
    try:
        original = mention_reveal_original(
            tenant=request.tenant, actor=request.user, mention=mention, ip_address=client_ip(request)
        )
    except ValidationError as error:
        if is_htmx(request):
            return HttpResponse(" ".join(error.messages), status=400)
        error_message(request, error)
        return redirect("monitoring:mention-detail", pk=mention.pk)
    if is_htmx(request):
        response = render(request, "monitoring/_mention_original.html", {"mention": mention, "original": original})
    else:
        context = _detail_context(request, mention)
        response = render(request, "monitoring/mention_detail.html", {**context, "original": original})
    response["Cache-Control"] = "no-store"  # clear ID numbers must not sit in a browser or proxy cache
    return response
