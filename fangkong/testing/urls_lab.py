from django.urls import path

from . import views_lab as views

urlpatterns = [
    path("", views.results_upload, name="lab_upload"),
    path("conflicts/", views.conflicts, name="lab_conflicts"),
]
