from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            extra_context={
                "failure_limit": settings.AXES_FAILURE_LIMIT,
                "lock_minutes": round(settings.AXES_COOLOFF_TIME * 60),
            },
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("people/", views.person_list, name="person_list"),
    path("people/export/", views.person_export, name="person_export"),
    path("people/duplicates/", views.person_duplicates, name="person_duplicates"),
    path("people/duplicates/merge/", views.person_merge, name="person_merge"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("ledger/", views.ledger_import, name="ledger_import"),
    path("ledger/template/", views.ledger_template, name="ledger_template"),
    path("ledger/batches/<int:pk>/", views.ledger_batch, name="ledger_batch"),
    path("ledger/batches/<int:pk>/errors/", views.ledger_errors, name="ledger_errors"),
]
