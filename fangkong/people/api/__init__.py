"""REST API of this app (registered under /api/v1/ by fangkong.api.urls): people and households."""

from .views import HouseholdViewSet, PersonViewSet


def register(router):
    """Add this app's viewsets to the API router."""
    router.register("people", PersonViewSet, basename="person")
    router.register("households", HouseholdViewSet, basename="household")
