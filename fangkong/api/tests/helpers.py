"""Small helpers for the API tests."""

from fangkong.conftest import fictional_id
from fangkong.people.models import Person


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def add_people(unit, count, start=100):
    """`count` more people in `unit`, with fictional IDs from sequence number `start` on."""
    for i in range(count):
        Person.objects.create(name=f"居民{start + i}", id_number=fictional_id(seq=start + i), unit=unit)
