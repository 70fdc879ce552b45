"""Pages of coverage (应检尽检): sampled of target, not yet sampled, exemptions, overdue key groups;
mounted at /testing/coverage/ in the "testing" namespace."""

from django.urls import path

from . import views_coverage as views

urlpatterns = [
    path("", views.index, name="coverage"),
    path("rounds/<int:pk>/", views.round_page, name="coverage_round"),
    path("rounds/<int:pk>/missing/", views.missing_page, name="coverage_missing"),
    path("exemptions/", views.exemption_list, name="exemptions"),
    path("exemptions/<int:pk>/delete/", views.exemption_delete, name="exemption_delete"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<int:pk>/end/", views.group_end, name="group_end"),
    path("groups/import/", views.group_import, name="group_import"),
    path("overdue/", views.overdue_page, name="group_overdue"),
    path("frequency/", views.frequency_rules, name="frequency_rules"),
]
