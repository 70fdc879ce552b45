"""Pages of key-person control, one module per part (regimens, cases, follow-up, line lists)."""

from django.urls import include, path

app_name = "control"

urlpatterns = [
    path("regimens/", include("fangkong.control.urls_regimens")),
    path("cases/", include("fangkong.control.urls_cases")),
    path("follow-up/", include("fangkong.control.urls_followup")),
    path("lists/", include("fangkong.control.urls_linelists")),
]
