"""The monitoring dashboard: figures from selectors.dashboard, drawn by ECharts (static/js/monitoring.js)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yuqing.monitoring.selectors.dashboard import monitoring_dashboard
from yuqing.platform.http import with_tenant_time
from yuqing.tenancy.access import member_required
from yuqing.tenancy.roles import Permission


@member_required(Permission.READ)
@with_tenant_time
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = monitoring_dashboard(tenant=request.tenant)
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "figures": figures,
            "charts": {
                "trend": figures.trend,
                "levels": figures.levels,
                "sources": figures.sources,
                "terms": figures.terms,
                "customers": {
                    "ids": [row["id"] for row in figures.customers],
                    "names": [row["name"] for row in figures.customers],
                    "counts": [row["count"] for row in figures.customers],
                    "vip": [row["tier"] == "vip" for row in figures.customers],
                },
            },
        },
    )
