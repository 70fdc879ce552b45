from django.urls import path

from . import views

app_name = "areas"

urlpatterns = [
    path("", views.area_list, name="list"),
    path("new/", views.area_create, name="create"),
    path("import/", views.area_import, name="import"),
    path("<int:pk>/", views.area_detail, name="detail"),
    path("<int:pk>/lift/", views.area_lift, name="lift"),
]
