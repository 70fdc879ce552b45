app_name = "sites"

from django.urls import path  # noqa: F401

urlpatterns = []
