from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("fangkong.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("screening/", include("fangkong.screening.urls")),
    path("alerts/", include("fangkong.alerts.urls")),
    path("areas/", include("fangkong.areas.urls")),
    path("leads/", include("fangkong.leads.urls")),
    path("control/", include("fangkong.control.urls")),
    path("sites/", include("fangkong.sites.urls")),
    path("reports/", include("fangkong.reports.urls")),
    path("testing/", include("fangkong.testing.urls")),
    path("vaccination/", include("fangkong.vaccination.urls")),
    # Public pages, no login: self-declaration by QR code, and a person's own follow-up link.
    path("declare/", include("fangkong.leads.urls_public")),
    path("r/", include("fangkong.control.urls_selfreport")),
    path("", include("fangkong.web.urls")),
]
