from django.urls import path

from training.views import courses

app_name = "training"

urlpatterns = [
    # --- courses, sessions, certifications, readiness (the training slice) ---
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
    # --- end of the training slice ---
]
