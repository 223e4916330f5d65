from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from yuqing import views
from yuqing.monitoring.urls import api_urlpatterns

admin.site.site_header = _("舆情处置系统 · 管理后台")
admin.site.site_title = _("舆情处置系统")
admin.site.index_title = _("配置与运维")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("settings/", include("yuqing.tenancy.urls")),
    path("audit/", include("yuqing.audit.urls")),
    path("customers/", include("customers.urls")),
    path("incidents/", include("incidents.urls")),
    path("training/", include("training.urls")),
    path("monitoring/", include("yuqing.monitoring.urls")),
    path("notifications/", include("yuqing.notify.urls")),
    path("calendar/", include("yuqing.workcalendar.urls")),
    path("api/v1/", include(api_urlpatterns)),
    path("admin/rq/", include("yuqing.platform_urls")),
    path("admin/", admin.site.urls),
]

# No MEDIA_URL route, not even in DEBUG: uploaded files (evidence) are tenant data and are served
# only through tenant-scoped views.
