import datetime

import pytest
from django.urls import reverse

from fangkong.conftest import fictional_id
from fangkong.orgs.models import Unit
from fangkong.people.models import Affiliation, Move, Person
from fangkong.orgs.services import add_unit


def listed(client, **params):
    response = client.get(reverse("person_list"), params)
    assert response.status_code == 200
    return [p.name for p in response.context["page"].object_list]


def test_list_triad(as_user, triad):
    assert listed(as_user(triad.inside)) == ["张三丰"]
    assert listed(as_user(triad.neighbour)) == ["李四"]
    assert sorted(listed(as_user(triad.above))) == ["张三丰", "李四"]


def test_search_by_pinyin_initials_and_number_tail(as_user, triad):
    client = as_user(triad.above)
    assert listed(client, q="zsf") == ["张三丰"]
    assert listed(client, q="5679") == ["李四"]
    assert listed(client, q=triad.east_person.id_number[-6:]) == ["张三丰"]
    # Searching never reaches outside the jurisdiction.
    assert listed(as_user(triad.neighbour), q="zsf") == []


def test_unit_filter_takes_the_subtree(as_user, triad):
    client = as_user(triad.above)
    assert listed(client, unit=triad.county.east.code) == ["张三丰"]
    assert listed(client, unit=triad.county.town.code) == ["张三丰", "李四"]


def test_unit_filter_outside_the_jurisdiction_finds_nothing(as_user, triad):
    response = as_user(triad.neighbour).get(reverse("person_list"), {"unit": triad.county.east.code})
    assert list(response.context["page"].object_list) == []
    assert "不存在或不在您的辖区内" in response.content.decode()


def test_flag_and_type_filters(as_user, triad):
    Person.objects.filter(pk=triad.east_person.pk).update(is_elderly=True, needs_follow_up=True)
    Person.objects.filter(pk=triad.west_person.pk).update(has_chronic_illness=True, population_type="mobile")
    client = as_user(triad.above)
    assert listed(client, vulnerable="any") == ["张三丰", "李四"]
    assert listed(client, vulnerable="elderly") == ["张三丰"]
    assert listed(client, vulnerable="chronic") == ["李四"]
    assert listed(client, vulnerable="pregnant") == []
    assert listed(client, follow_up="on") == ["张三丰"]
    assert listed(client, population_type="mobile") == ["李四"]


def test_htmx_gets_only_the_results(as_user, triad):
    response = as_user(triad.inside).get(reverse("person_list"), {"q": "zsf"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and "张三丰" in page
    assert "HX-Request" in response["Vary"]
    full = as_user(triad.inside).get(reverse("person_list"), {"q": "zsf"}).content.decode()
    assert "<html" in full and 'id="results"' in full


def test_list_masks_numbers_for_a_role_without_the_permission(as_user, triad):
    person = triad.east_person
    readonly = as_user(triad.readonly).get(reverse("person_list")).content.decode()
    assert person.id_number not in readonly and person.phone not in readonly
    assert f"{person.id_number[:4]}**********{person.id_number[-4:]}" in readonly
    assert "138****5678" in readonly
    inside = as_user(triad.inside).get(reverse("person_list")).content.decode()
    assert person.id_number in inside and person.phone in inside


def test_pagination_counts_once(as_user, triad, django_assert_max_num_queries):
    for i in range(120):
        Person.objects.create(name=f"居民{i}", id_number=fictional_id(seq=100 + i), unit=triad.county.east_grid)
    client = as_user(triad.inside)
    with django_assert_max_num_queries(8) as queries:
        response = client.get(reverse("person_list"), {"page": 3})
    assert len(response.context["page"].object_list) == 21
    assert sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries) == 1
    assert "page=2" in response.content.decode()


def test_detail_triad(as_user, triad):
    url = reverse("person_detail", args=[triad.east_person.pk])
    assert as_user(triad.inside).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert as_user(triad.above).get(url).status_code == 200
    assert as_user(triad.above).get(reverse("person_detail", args=[triad.west_person.pk])).status_code == 200


def test_detail_masks_for_readonly(as_user, triad):
    person = triad.east_person
    page = as_user(triad.readonly).get(reverse("person_detail", args=[person.pk])).content.decode()
    assert person.id_number not in page and "138****5678" in page


@pytest.fixture
def changed_person(triad):
    """东门 person whose phone and grid were changed by the inside user, with a move and a school."""
    person = Person.objects.get(pk=triad.east_person.pk)
    new_grid = add_unit(triad.county.east, code="430626100201-02", name="东门二组", type="grid")
    person.phone = "13600001111"
    person.unit = new_grid
    person._history_user = triad.inside
    person.save()
    Move.objects.create(person=person, from_unit=triad.county.east_grid, to_unit=new_grid,
                        moved_on=datetime.date(2022, 1, 27), reason="搬家", recorded_by=triad.inside)
    school = add_unit(Unit.objects.get(code="430626"), code="430626-S1", name="示范县一中", type="school")
    Affiliation.objects.create(person=person, unit=school, kind="teacher")
    return person


def test_detail_shows_history_moves_and_affiliations(as_user, triad, changed_person):
    response = as_user(triad.inside).get(reverse("person_detail", args=[changed_person.pk]))
    page = response.content.decode()
    latest = response.context["history"][0]
    assert latest.who == triad.inside and latest.action == "修改"
    assert {(c.label, c.old, c.new) for c in latest.changes} == {
        ("联系电话", "13800135678", "13600001111"),
        ("所属网格", "东门一组（430626100201-01）", "东门二组（430626100201-02）"),
    }
    assert response.context["history"][-1].action == "新建"
    assert "2022年1月27日" in page and "搬家" in page
    assert "示范县一中" in page and "教职工" in page


def test_history_masks_numbers_for_readonly(as_user, triad, changed_person):
    page = as_user(triad.readonly).get(reverse("person_detail", args=[changed_person.pk])).content.decode()
    assert "13800135678" not in page and "13600001111" not in page
    assert "138****5678" in page and "136****1111" in page
