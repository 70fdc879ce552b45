"""REST API of this app (registered under /api/v1/ by fangkong.api.urls)."""


def register(router):
    """Add this app's viewsets to the API router."""
