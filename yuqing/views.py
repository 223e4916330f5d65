"""The portal's home dashboard, login and a health check for load balancers."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from yuqing import dashboard
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@member_required(Permission.READ)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", dashboard.home_figures(tenant=request.tenant))


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
