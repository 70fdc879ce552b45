"""Public pages (no login): self-declaration reached by a unit's QR code."""

from django.urls import path

from . import views_public

app_name = "declare"

urlpatterns = [
    path("<str:code>/", views_public.declare, name="form"),
]
