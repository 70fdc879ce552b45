from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("<int:pk>/", views.campaign_coverage, name="campaign_coverage"),
    path("<int:pk>/units/<int:unit_pk>/", views.campaign_coverage, name="unit_coverage"),
    path("<int:pk>/units/<int:unit_pk>/households/", views.household_list, name="household_list"),
    path("<int:pk>/households/<int:household_pk>/visit/", views.visit_create, name="visit_create"),
]
