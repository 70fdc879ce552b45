"""/reports/completeness/: who has filed the daily report and who has not (namespace "reports")."""

from django.urls import path

from . import views_completeness as views

urlpatterns = [
    path("", views.completeness_page, name="completeness"),
    path("missing.xlsx", views.missing_xlsx, name="completeness_missing_xlsx"),
]
