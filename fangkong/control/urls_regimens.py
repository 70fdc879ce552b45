"""/control/regimens/: the regimen versions (namespace "control", names regimen_*)."""

from django.urls import path

from . import views_regimens as views

urlpatterns = [
    path("", views.regimen_list, name="regimen_list"),
    path("import/", views.regimen_import, name="regimen_import"),
    path("<slug:code>/", views.regimen_detail, name="regimen_detail"),
    path("<slug:code>/preview/", views.regimen_preview, name="regimen_preview"),
    path("<slug:code>/edit/", views.regimen_edit, name="regimen_edit"),
    path("<slug:code>/export/", views.regimen_export, name="regimen_export"),
]
