from django.urls import path

from . import views

app_name = "sites"

urlpatterns = [
    path("", views.site_list, name="list"),
    path("<int:pk>/", views.site_detail, name="detail"),
    path("<int:pk>/rooms/", views.rooms_add, name="rooms_add"),
    path("<int:pk>/check-in/", views.check_in_view, name="check_in"),
    path("stays/<int:pk>/check-out/", views.check_out_view, name="check_out"),
]
