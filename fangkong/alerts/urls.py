app_name = "alerts"

from django.urls import path  # noqa: F401

urlpatterns = []
