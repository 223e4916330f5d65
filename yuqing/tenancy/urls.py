from django.urls import path

from yuqing.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("switch/", views.tenant_switch, name="tenant-switch"),
    path("members/", views.member_list, name="member-list"),
    path("members/<int:pk>/", views.member_edit, name="member-edit"),
    path("departments/new/", views.department_create, name="department-create"),
]
