from django.urls import path

from yuqing.workcalendar import views

app_name = "workcalendar"

urlpatterns = [
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/load/", views.notice_load, name="notice-load"),
    path("notices/<int:pk>/", views.notice_detail, name="notice-detail"),
]
