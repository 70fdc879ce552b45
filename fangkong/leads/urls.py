from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="create"),
    path("import/", views.lead_import, name="import"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("from-screening/", views.flags_convert, name="convert_flags"),
    path("qr/<str:code>.svg", views.qr_svg, name="qr"),
    path("qr/<str:code>/", views.qr_poster, name="poster"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/verify/", views.lead_verify, name="verify"),
    path("<int:pk>/dispose/", views.lead_dispose, name="dispose"),
]
