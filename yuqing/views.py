"""The portal's home dashboard, login and a health check for load balancers."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yuqing import dashboard
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission


class LoginForm(AuthenticationForm):
    # Django's own Chinese wording for these is stilted; the desk gets plain sentences.
    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入（区分大小写）。"),
        "inactive": _("该账号已停用，请联系本机构的系统管理员。"),
    }


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@member_required(Permission.READ)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", dashboard.home_figures(tenant=request.tenant))


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
