"""Pages of vaccination coverage: overview, ranking, lists for door-knocking, import, deferrals."""

from django.urls import path

from . import views

app_name = "vaccination"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("ranking/", views.ranking_page, name="ranking"),
    path("lists/", views.lists, name="lists"),
    path("lists/export/", views.list_export, name="list_export"),
    path("import/", views.import_page, name="import"),
    path("deferrals/", views.deferrals, name="deferrals"),
    path("deferrals/add/", views.deferral_add, name="deferral_add"),
    path("deferrals/<int:pk>/end/", views.deferral_end, name="deferral_end"),
]
