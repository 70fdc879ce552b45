from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from fangkong.alerts import api as alerts_api
from fangkong.areas import api as areas_api
from fangkong.control import api as control_api
from fangkong.leads import api as leads_api
from fangkong.orgs import api as orgs_api
from fangkong.people import api as people_api
from fangkong.reports import api as reports_api
from fangkong.screening import api as screening_api
from fangkong.sites import api as sites_api
from fangkong.testing import api as testing_api
from fangkong.vaccination import api as vaccination_api

from .auth import ObtainTokenView

router = DefaultRouter()
for module in (orgs_api, people_api, screening_api, alerts_api, areas_api, leads_api, control_api, sites_api,
               reports_api, testing_api, vaccination_api):
    module.register(router)

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
