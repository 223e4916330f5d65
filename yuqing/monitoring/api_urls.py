"""The JSON API (token-authenticated, no session): mounted at /api/v1/."""

from django.urls import path

from yuqing.monitoring import api

app_name = "api"

urlpatterns = [
    path("mentions", api.mentions_create, name="mentions"),
    path("openapi.json", api.openapi, name="openapi"),
]
