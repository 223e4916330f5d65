from django.urls import path

from training.views import courses, plans

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
    # Training: courses, sessions, certifications, readiness
    path("courses/", courses.course_list, name="course-list"),
    path("courses/new/", courses.course_create, name="course-create"),
    path("courses/<int:pk>/", courses.course_detail, name="course-detail"),
    path("courses/<int:pk>/sessions/", courses.session_create, name="session-create"),
    path("sessions/<int:pk>/", courses.session_detail, name="session-detail"),
    path("sessions/<int:pk>/attendance/", courses.attendance_save, name="attendance-save"),
    path("sessions/<int:pk>/materials/", courses.materials_download, name="materials-download"),
    path("calendar/", courses.training_calendar, name="calendar"),
    path("me/", courses.my_record, name="my-record"),
    path("readiness/", courses.readiness, name="readiness"),
    path("yearly-plan/", courses.training_plan, name="training-plan"),
]
