"""/reports/dashboard/: the situation dashboard (防控态势), its large-screen mode (大屏) and the
JSON both draw their charts from."""

from django.urls import path

from . import views_dashboard as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("screen/", views.screen, name="dashboard_screen"),
    path("data/", views.data, name="dashboard_data"),
]
