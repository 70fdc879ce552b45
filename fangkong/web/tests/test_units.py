from django.urls import reverse

from fangkong.orgs.models import Assignment, CommandBody, CommandPost, TaskGroup


def test_tree_starts_at_the_users_units_with_subtree_counts(as_user, triad):
    inside = as_user(triad.inside).get(reverse("unit_tree"))
    assert [(u.name, u.resident_count) for u in inside.context["units"]] == [("东门村", 1)]
    assert "西门村" not in inside.content.decode()

    above = as_user(triad.above).get(reverse("unit_tree"))
    assert [(u.name, u.resident_count) for u in above.context["units"]] == [("城关镇", 2)]


def test_children_load_level_by_level(as_user, triad, django_assert_max_num_queries):
    client = as_user(triad.above)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("unit_children", args=[triad.county.town.pk]), HTTP_HX_REQUEST="true")
    assert [(u.name, u.resident_count) for u in response.context["units"]] == [("东门村", 1), ("西门村", 1)]
    page = response.content.decode()
    assert "<html" not in page
    assert reverse("unit_children", args=[triad.county.east.pk]) in page
    grids = client.get(reverse("unit_children", args=[triad.county.east.pk]))
    assert [u.name for u in grids.context["units"]] == ["东门一组"]


def test_children_outside_the_jurisdiction_are_404(as_user, triad):
    client = as_user(triad.neighbour)
    assert client.get(reverse("unit_children", args=[triad.county.east.pk])).status_code == 404
    assert client.get(reverse("unit_children", args=[triad.county.town.pk])).status_code == 404


def test_unit_page_shows_command_body_assignments_and_children(as_user, triad):
    east = triad.county.east
    body = CommandBody.objects.create(unit=east, name="东门村疫情防控领导小组")
    CommandPost.objects.create(body=body, kind="member", person_name="王成员")
    CommandPost.objects.create(body=body, kind="commander", person_name="赵组长", title="村支书")
    group = TaskGroup.objects.create(body=body, name="排查组", lead_unit_name="村委会", duties="入户摸排")
    group.member_units.add(triad.county.east_grid)
    Assignment.objects.create(unit=east, person_name="钱包联", title="镇干部", phone="13700000000")

    response = as_user(triad.inside).get(reverse("unit_detail", args=[east.pk]))
    page = response.content.decode()
    assert "东门村疫情防控领导小组" in page and "排查组" in page and "钱包联" in page
    assert page.index("赵组长") < page.index("王成员")
    assert response.context["residents"] == 1 and response.context["households"] == 1
    assert [c.name for c in response.context["children"]] == ["东门一组"]
    assert f"{reverse('person_list')}?unit={east.code}" in page
    # The town above is named in the breadcrumb but is not a link for a village worker.
    assert response.context["ancestors"][-1] == (triad.county.town, False)


def test_unit_page_triad(as_user, triad):
    url = reverse("unit_detail", args=[triad.county.east.pk])
    assert as_user(triad.inside).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert as_user(triad.above).get(url).status_code == 200
    assert as_user(triad.above).get(reverse("unit_detail", args=[triad.county.west.pk])).status_code == 200
