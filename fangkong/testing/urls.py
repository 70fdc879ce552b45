"""Pages of nucleic-acid testing, one module per part (rounds and sampling, lab and certificates,
chasing positive tubes, planning)."""

from django.urls import include, path

app_name = "testing"

urlpatterns = [
    path("", include("fangkong.testing.urls_sampling")),
    path("lab/", include("fangkong.testing.urls_lab")),
    path("chasing/", include("fangkong.testing.urls_chasing")),
    path("planning/", include("fangkong.testing.urls_planning")),
    path("coverage/", include("fangkong.testing.urls_coverage")),
]
