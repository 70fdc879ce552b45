"""/reports/situation/: bulletins and their templates (namespace "reports", names situation_*)."""

from django.urls import path

from . import views_situation as views

urlpatterns = [
    path("", views.situation_list, name="situation_list"),
    path("write/", views.situation_write, name="situation_write"),
    path("<int:pk>/download/", views.situation_download, name="situation_download"),
    path("templates/", views.template_list, name="situation_templates"),
    path("templates/upload/", views.template_upload, name="situation_template_upload"),
    path("templates/<int:pk>/download/", views.template_download, name="situation_template_download"),
]
