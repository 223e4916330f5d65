from django.urls import path

from training.views import plans

app_name = "training"

urlpatterns = [
    # Emergency plans (应急预案)
    path("plans/", plans.plan_list, name="plan-list"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/draft/", plans.plan_draft, name="plan-draft"),
    path("plans/<int:pk>/diff/", plans.plan_diff, name="plan-diff"),
    path("plans/versions/<int:pk>/steps/", plans.version_steps, name="version-steps"),
    path("plans/versions/<int:pk>/submit/", plans.version_submit, name="version-submit"),
    path("plans/versions/<int:pk>/approve/", plans.version_approve, name="version-approve"),
    path("plans/versions/<int:pk>/reject/", plans.version_reject, name="version-reject"),
]
