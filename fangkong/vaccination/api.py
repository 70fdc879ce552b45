"""API of vaccination: doses, coverage and ranking."""


def register(router):
    """Registered by the vaccination API once it has endpoints."""
