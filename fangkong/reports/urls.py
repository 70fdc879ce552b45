"""Pages of the daily reports, one module per part (filing, completeness, situation reports,
dashboards)."""

from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("", include("fangkong.reports.urls_filing")),
    path("completeness/", include("fangkong.reports.urls_completeness")),
    path("situation/", include("fangkong.reports.urls_situation")),
    path("dashboard/", include("fangkong.reports.urls_dashboard")),
]
