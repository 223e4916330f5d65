"""Admin of complaint policies and feedback, tenant-scoped.

Feedback is registered and moved through its statuses in the portal, where the services compute due
times and keep the history; here an admin may correct the wording (subject, content, category,
channel) and sees the rest read-only. The reporter's mobile number appears only masked; the
encrypted value is never on a page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ComplaintPolicy, Feedback
from customers.services.policies import complaint_policy_make_default
from yuqing.tenancy.admin import TenantScopedAdmin


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(TenantScopedAdmin):
    """The stage rules are the model's own (`ComplaintPolicy.clean`), so a ModelForm applies them."""

    list_display = [
        "name",
        "clock_kind",
        "days",
        "first_extension_days",
        "max_days",
        "due_soon_days",
        "is_default",
        "template_code",
    ]
    list_filter = ["clock_kind", "is_default"]
    search_fields = ["name", "legal_basis"]
    # One default per tenant: switched by the action, which unsets the previous one in the same step.
    readonly_fields = ["is_default", "template_code"]
    actions = ["make_default"]

    @admin.action(description=_("设为默认策略"))
    def make_default(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, _("请只选择一个策略设为默认。"), messages.ERROR)
            return
        policy = chosen[0]
        complaint_policy_make_default(tenant=policy.tenant, actor=request.user, policy=policy)
        self.message_user(request, _("已将“%(name)s”设为默认策略。") % {"name": policy.name}, messages.SUCCESS)


# The encrypted mobile is not among them: only its masked copy is ever shown.
FEEDBACK_FIELDS = [
    "customer",
    "reporter_name",
    "reporter_mobile_masked",
    "kind",
    "channel",
    "category",
    "subject",
    "content",
    "received_at",
    "handler",
    "status",
    "policy",
    "due_at",
    "extension_level",
    "extension_reason",
    "customer_notified_of_extension_at",
    "extension_approved_by",
    "extension_approved_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "satisfaction",
]
FEEDBACK_EDITABLE = ("subject", "content", "category", "channel")


@admin.register(Feedback)
class FeedbackAdmin(TenantScopedAdmin):
    list_display = [
        "subject",
        "customer",
        "reporter_name",
        "reporter_mobile_masked",
        "kind",
        "channel",
        "status",
        "received_at",
        "due_at",
        "is_overdue",
        "extension_level",
        "handler",
    ]
    list_filter = ["status", "kind", "channel", "category"]
    list_select_related = ["customer", "handler__user"]
    search_fields = ["subject", "reporter_name", "customer__name"]
    date_hierarchy = "received_at"
    fields = FEEDBACK_FIELDS
    readonly_fields = [field for field in FEEDBACK_FIELDS if field not in FEEDBACK_EDITABLE]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registration computes the due time: the portal's 登记反馈 does it

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Complaint records are kept. With no object (another tenant's id, or a missing one) the
        # answer falls through to the scope check, so the delete page answers 404, not 403.
        return obj is None and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("逾期"), boolean=True)
    def is_overdue(self, obj: Feedback) -> bool:
        return bool(obj.is_open and obj.due_at and obj.due_at <= timezone.now())
