from django.urls import path

from . import views_filing

urlpatterns = [
    path("", views_filing.filing_list, name="filing_list"),
    path("file/<str:unit_code>/<str:day>/", views_filing.filing_form, name="filing_form"),
    path("file/<str:unit_code>/<str:day>/correct/", views_filing.filing_correct, name="filing_correct"),
    path("filings/<int:pk>/", views_filing.filing_detail, name="filing_detail"),
]
