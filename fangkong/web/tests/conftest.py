import pytest
from django.test import Client


@pytest.fixture
def as_user(db):
    """as_user(user) → a test client logged in as that user (Chinese unless told otherwise)."""

    def client_for(user, language="zh-hans"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return client_for
