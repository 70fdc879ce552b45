from django.urls import path

from . import views_sampling as views

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/points/", views.point_add, name="point_add"),
    path("rounds/<int:pk>/tubes/", views.tube_open, name="tube_open"),
    path("scan/<str:barcode>/", views.scan_page, name="scan"),
    path("scan/<str:barcode>/close/", views.scan_close, name="scan_close"),
    path("scan/<str:barcode>/next/", views.scan_next, name="scan_next"),
]
