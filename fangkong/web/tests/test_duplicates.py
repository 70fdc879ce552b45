import datetime

import pytest
from django.urls import reverse

from fangkong.conftest import fictional_id
from fangkong.people.models import Person


@pytest.fixture
def twins(triad):
    """The same 王芳 entered twice in 东门村, once without an ID number."""
    born = datetime.date(1960, 5, 1)
    first = Person.objects.create(name="王芳", birth_date=born, phone="13712345678", unit=triad.county.east_grid)
    second = Person.objects.create(
        name="王芳", birth_date=born, phone="13712345678", unit=triad.county.east_grid,
        id_number=fictional_id(birth="19600501", seq=2),
    )
    return first, second


def listed_groups(client):
    return [g["name"] for g in client.get(reverse("person_duplicates")).context["groups"]]


def test_duplicates_listed_inside_and_above_not_for_the_neighbour(as_user, triad, twins):
    assert listed_groups(as_user(triad.inside)) == ["王芳"]
    assert listed_groups(as_user(triad.above)) == ["王芳"]
    assert listed_groups(as_user(triad.neighbour)) == []


def test_readonly_sees_the_group_masked(as_user, triad, twins):
    page = as_user(triad.readonly).get(reverse("person_duplicates")).content.decode()
    assert "137****5678" in page and twins[1].id_number not in page


def test_merge_keeps_one_person_with_the_history_of_who_merged(as_user, triad, twins):
    keep, duplicate = twins
    response = as_user(triad.inside).post(reverse("person_merge"), {"keep": keep.pk, "duplicate": duplicate.pk})
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.id_number == duplicate.id_number
    assert not Person.objects.filter(pk=duplicate.pk).exists()
    assert keep.history.first().history_user == triad.inside


def test_the_neighbour_cannot_merge_and_readonly_may_not(as_user, triad, twins):
    keep, duplicate = twins
    data = {"keep": keep.pk, "duplicate": duplicate.pk}
    assert as_user(triad.neighbour).post(reverse("person_merge"), data).status_code == 404
    assert as_user(triad.readonly).post(reverse("person_merge"), data).status_code == 403
    assert Person.objects.filter(pk=duplicate.pk).exists()
