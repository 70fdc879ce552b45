"""Control cases (一人一档), mounted at /control/cases/ in the "control" namespace."""

from django.urls import path

from . import views_cases as views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("open/", views.case_open, name="case_open"),
    path("open/persons/", views.case_person_search, name="case_person_search"),
    path("regimen-change/", views.regimen_change, name="regimen_change"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/phase/", views.case_phase_change, name="case_phase_change"),
    path("<int:pk>/release/", views.case_release, name="case_release"),
    path("<int:pk>/close/", views.case_close, name="case_close"),
    path("<int:pk>/transfer/", views.case_transfer, name="case_transfer"),
    path("<int:pk>/tests/<int:test_pk>/", views.case_test_record, name="case_test_record"),
    path("transfers/<int:pk>/accept/", views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/decline/", views.transfer_decline, name="transfer_decline"),
    path("transfers/<int:pk>/confirm/", views.transfer_confirm, name="transfer_confirm"),
]
