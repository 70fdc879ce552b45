from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("fangkong.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("screening/", include("fangkong.screening.urls")),
    path("", include("fangkong.web.urls")),
]
