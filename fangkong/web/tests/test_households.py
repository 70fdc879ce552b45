from django.urls import reverse

from fangkong.people.models import Household, Person


def listed(client, **params):
    response = client.get(reverse("household_list"), params)
    assert response.status_code == 200
    return [h.number for h in response.context["page"].object_list]


def test_list_triad(as_user, triad):
    assert listed(as_user(triad.inside)) == ["H-EAST-1"]
    assert listed(as_user(triad.neighbour)) == ["H-WEST-1"]
    assert listed(as_user(triad.above)) == ["H-EAST-1", "H-WEST-1"]


def test_search_by_number_or_address_and_unit_filter(as_user, triad):
    client = as_user(triad.above)
    assert listed(client, q="west") == ["H-WEST-1"]
    assert listed(client, q="东门村1号") == ["H-EAST-1"]
    assert listed(client, unit=triad.county.west.code) == ["H-WEST-1"]
    assert listed(as_user(triad.inside), unit=triad.county.west.code) == []


def test_list_shows_member_counts(as_user, triad):
    Person.objects.create(name="张小丰", unit=triad.county.east_grid, household=triad.east_household,
                          relation_to_head="子")
    response = as_user(triad.inside).get(reverse("household_list"))
    assert [h.member_count for h in response.context["page"].object_list] == [2]


def test_detail_triad(as_user, triad):
    url = reverse("household_detail", args=[triad.east_household.pk])
    assert as_user(triad.inside).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert as_user(triad.above).get(url).status_code == 200


def test_detail_lists_members_with_relations_masked_for_readonly(as_user, triad):
    Person.objects.create(name="张小丰", unit=triad.county.east_grid, household=triad.east_household,
                          relation_to_head="子", phone="13811112222")
    url = reverse("household_detail", args=[triad.east_household.pk])
    response = as_user(triad.readonly).get(url)
    assert [(p.name, p.relation_to_head) for p in response.context["members"]] == [("张三丰", "户主"), ("张小丰", "子")]
    page = response.content.decode()
    assert "13811112222" not in page and "138****2222" in page
    assert "13811112222" in as_user(triad.inside).get(url).content.decode()


def test_detail_shows_who_changed_the_address(as_user, triad):
    household = Household.objects.get(pk=triad.east_household.pk)
    household.address = "东门村2号"
    household._history_user = triad.inside
    household.save()
    response = as_user(triad.above).get(reverse("household_detail", args=[household.pk]))
    latest = response.context["history"][0]
    assert latest.who == triad.inside
    assert [(c.label, c.old, c.new) for c in latest.changes] == [("住址", "东门村1号", "东门村2号")]
