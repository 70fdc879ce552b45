"""/control/lists/: line lists, the control ledger and a case's control sheet (namespace "control")."""

from django.urls import path

from . import views_linelists as views

urlpatterns = [
    path("", views.dashboard, name="linelists"),
    path("ledger/", views.ledger_export, name="ledger_export"),
    path("cases/<int:pk>/sheet/", views.control_sheet, name="control_sheet"),
    path("<slug:code>/", views.linelist, name="linelist"),
]
