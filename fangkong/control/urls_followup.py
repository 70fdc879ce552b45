"""/control/follow-up/: the team's follow-up pages (namespace "control")."""

from django.urls import path

from . import views_followup as views

urlpatterns = [
    path("", views.today, name="followup_today"),
    path("sign-offs/missing/", views.missing, name="followup_missing"),
    path("cases/<int:pk>/", views.case_history, name="followup_case"),
    path("cases/<int:pk>/entries/", views.entry_create, name="followup_entry"),
    path("cases/<int:pk>/sign-offs/", views.sign_off_create, name="followup_signoff"),
    path("cases/<int:pk>/qr.svg", views.qr_svg, name="followup_qr"),
    path("cases/<int:pk>/card/", views.card, name="followup_card"),
    path("cases/<int:pk>/token/", views.regenerate_token, name="followup_token"),
    path("entries/<int:pk>/photo/", views.entry_photo, name="followup_entry_photo"),
    path("sign-offs/<int:pk>/photo/", views.sign_off_photo, name="followup_signoff_photo"),
]
