"""Chasing positive tubes, mounted at /testing/chasing/ in the "testing" namespace."""

from django.urls import path

from . import views_chasing as views

urlpatterns = [
    path("", views.chase_list, name="chase_list"),
    path("<int:pk>/", views.chase_detail, name="chase_detail"),
]
