"""Monitoring settings for the tenant's admins and managers: sources, keyword rules, the warning policy.

Handlers, viewers and auditors may look at the lists; the forms and actions need the settings
permission (sources.SETTINGS_PERMISSION), and the services check it again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring import selectors
from yuqing.monitoring.forms import KeywordRuleForm, SourceForm, WarningPolicyForm
from yuqing.monitoring.models import KeywordRule, Source
from yuqing.monitoring.services import sources
from yuqing.monitoring.services.sources import SETTINGS_PERMISSION
from yuqing.platform.http import add_service_errors, error_message, with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.guard import require_actor
from yuqing.tenancy.roles import Permission

# ---------------------------------------------------------------- sources


@member_required(Permission.READ)
@with_tenant_time
def source_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "monitoring/settings/source_list.html", {"sources": selectors.source_list(tenant=request.tenant)}
    )


@member_required(SETTINGS_PERMISSION)
def source_create(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            source = sources.source_create(tenant=request.tenant, actor=request.user, data=form.to_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已新增信息源“%(name)s”。") % {"name": source.name})
            return redirect("monitoring:source-list")
    return render(request, "monitoring/settings/source_form.html", {"form": form, "source": None})


@member_required(SETTINGS_PERMISSION)
@with_tenant_time
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = selectors.source_get(tenant=request.tenant, pk=pk)
    form = SourceForm(request.POST or None, tenant=request.tenant, instance=source)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        source = selectors.source_get(tenant=request.tenant, pk=pk)  # the form wrote onto its instance
        try:
            sources.source_update(tenant=request.tenant, actor=request.user, source=source, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存信息源“%(name)s”。") % {"name": data["name"]})
            return redirect("monitoring:source-list")
    return render(request, "monitoring/settings/source_form.html", {"form": form, "source": source})


@member_required(SETTINGS_PERMISSION)
def source_pause(request: HttpRequest, pk: int) -> HttpResponse:
    """POST paused=1 pauses the source, paused=0 resumes it."""
    return _source_pause(request, selectors.source_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _source_pause(request: HttpRequest, source: Source) -> HttpResponse:
    paused = request.POST.get("paused") == "1"
    sources.source_set_paused(tenant=request.tenant, actor=request.user, source=source, paused=paused)
    if paused:
        messages.success(request, _("已暂停信息源“%(name)s”。") % {"name": source.name})
    else:
        messages.success(request, _("已恢复信息源“%(name)s”。") % {"name": source.name})
    return redirect("monitoring:source-list")


# ---------------------------------------------------------------- keyword rules


def _categories(request: HttpRequest) -> list[str]:
    return sorted(
        set(
            KeywordRule.objects.for_tenant(request.tenant)
            .exclude(category="")
            .values_list("category", flat=True)
            .distinct()
        )
    )


@member_required(Permission.READ)
def rule_list(request: HttpRequest) -> HttpResponse:
    groups = selectors.keyword_rule_groups(tenant=request.tenant)
    return render(
        request,
        "monitoring/settings/rule_list.html",
        {"groups": groups, "total": sum(group.total for group in groups)},
    )


@member_required(SETTINGS_PERMISSION)
def rule_create(request: HttpRequest) -> HttpResponse:
    form = KeywordRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = sources.keyword_rule_create(tenant=request.tenant, actor=request.user, data=form.to_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已新增关键词“%(term)s”。") % {"term": rule.term})
            return redirect("monitoring:rule-list")
    return render(
        request, "monitoring/settings/rule_form.html", {"form": form, "rule": None, "categories": _categories(request)}
    )


@member_required(SETTINGS_PERMISSION)
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.keyword_rule_get(tenant=request.tenant, pk=pk)
    form = KeywordRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        rule = selectors.keyword_rule_get(tenant=request.tenant, pk=pk)
        try:
            sources.keyword_rule_update(tenant=request.tenant, actor=request.user, rule=rule, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已保存关键词“%(term)s”。") % {"term": data["term"]})
            return redirect("monitoring:rule-list")
    return render(
        request, "monitoring/settings/rule_form.html", {"form": form, "rule": rule, "categories": _categories(request)}
    )


@member_required(SETTINGS_PERMISSION)
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """POST active=0 deactivates the rule (kept, no longer scored), active=1 reactivates it."""
    return _rule_toggle(request, selectors.keyword_rule_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _rule_toggle(request: HttpRequest, rule: KeywordRule) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        sources.keyword_rule_set_active(tenant=request.tenant, actor=request.user, rule=rule, active=active)
    except ValidationError as error:
        error_message(request, error)
    else:
        if active:
            messages.success(request, _("已启用关键词“%(term)s”。") % {"term": rule.term})
        else:
            messages.success(request, _("已停用关键词“%(term)s”。") % {"term": rule.term})
    return redirect("monitoring:rule-list")


@member_required(SETTINGS_PERMISSION)
@require_POST
def rule_seed(request: HttpRequest) -> HttpResponse:
    """Add the seed lexicon's terms the tenant lacks (the rules it has, edited or not, stay as they are)."""
    added = sources.keyword_rules_seed_missing(tenant=request.tenant, actor=request.user)
    if added:
        messages.success(request, _("已补充预置词库中的 %(n)d 个词。") % {"n": added})
    else:
        messages.info(request, _("预置词库中的词已全部在列表中。"))
    return redirect("monitoring:rule-list")


# ---------------------------------------------------------------- warning policy


@member_required(Permission.READ)
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Everyone sees the thresholds; admins and managers change them."""
    policy = selectors.warning_policy_get(tenant=request.tenant)
    can_edit = sources.can_configure(request.membership)
    # The form gets its own copy: a rejected form must not change the scale shown beside it.
    form = WarningPolicyForm(request.POST or None, instance=selectors.warning_policy_get(tenant=request.tenant))
    if request.method == "POST":
        if not can_edit:
            require_actor(tenant=request.tenant, actor=request.user, permission=SETTINGS_PERMISSION)  # raises: 403
        if form.is_valid():
            try:
                sources.warning_policy_update(tenant=request.tenant, actor=request.user, data=form.to_data())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存预警策略。"))
                return redirect("monitoring:policy-edit")
    return render(
        request,
        "monitoring/settings/policy_form.html",
        {
            "form": form,
            "policy": policy,
            "can_edit": can_edit,
            "level_labels": selectors.level_labels(tenant=request.tenant),
        },
    )
