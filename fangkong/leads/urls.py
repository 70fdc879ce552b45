app_name = "leads"

from django.urls import path  # noqa: F401

urlpatterns = []
