from django.urls import path

from . import views_planning

urlpatterns = [
    path("", views_planning.planning, name="planning"),
]
