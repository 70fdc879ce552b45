"""/r/<token>/: a person's own follow-up link (public, no login; the token is the key)."""

from django.urls import path

from . import views_selfreport

urlpatterns = [
    path("<str:token>/", views_selfreport.self_report, name="selfreport"),
]
