"""The tenant's sentiment models: versions trained on analysts' labels with their held-out accuracy
beside the shipped default's, "train a new model", "activate" one, and "back to the default".

Training runs in an RQ job (yuqing.monitoring.services.sentiment_models); the page refreshes itself while a
version is still training.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yuqing.monitoring import selectors
from yuqing.monitoring.models import SentimentModel
from yuqing.monitoring.services.sentiment_models import (
    sentiment_model_activate,
    sentiment_model_deactivate,
    sentiment_model_train,
)
from yuqing.monitoring.services.sources import SETTINGS_PERMISSION
from yuqing.platform.http import error_message, is_htmx, with_tenant_time
from yuqing.tenancy.access import client_ip, member_required


@member_required(SETTINGS_PERMISSION)
@with_tenant_time
def model_list(request: HttpRequest) -> HttpResponse:
    models = list(selectors.sentiment_model_list(tenant=request.tenant))
    context = {
        "models": models,
        "active": next((model for model in models if model.is_active), None),
        "is_training": any(model.status == SentimentModel.Status.TRAINING for model in models),
        "labels": selectors.labelled_counts(tenant=request.tenant),
    }
    template = "monitoring/settings/_model_rows.html" if is_htmx(request) else "monitoring/settings/model_list.html"
    return render(request, template, context)


@member_required(SETTINGS_PERMISSION)
@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    try:
        model = sentiment_model_train(tenant=request.tenant, actor=request.user, ip_address=client_ip(request))
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(
            request, _("已开始训练情感模型 v%(version)s，完成后可在此查看准确率。") % {"version": model.version}
        )
    return redirect("monitoring:model-list")


@member_required(SETTINGS_PERMISSION)
def model_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _model_activate(request, selectors.sentiment_model_get(tenant=request.tenant, pk=pk))  # 404 before 405


@require_POST
def _model_activate(request: HttpRequest, model: SentimentModel) -> HttpResponse:
    try:
        sentiment_model_activate(tenant=request.tenant, actor=request.user, model=model, ip_address=client_ip(request))
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已启用情感模型 v%(version)s，之后的评分将使用它。") % {"version": model.version})
    return redirect("monitoring:model-list")


@member_required(SETTINGS_PERMISSION)
@require_POST
def model_default(request: HttpRequest) -> HttpResponse:
    """Back to the shipped default model."""
    try:
        sentiment_model_deactivate(tenant=request.tenant, actor=request.user, ip_address=client_ip(request))
    except ValidationError as error:
        error_message(request, error)
    else:
        messages.success(request, _("已切换回系统默认情感模型。"))
    return redirect("monitoring:model-list")
