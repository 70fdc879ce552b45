app_name = "areas"

from django.urls import path  # noqa: F401

urlpatterns = []
