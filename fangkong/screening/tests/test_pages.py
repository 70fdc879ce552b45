from django.urls import reverse

from fangkong.conftest import make_user
from fangkong.people.models import Person
from fangkong.screening.models import Visit
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def text(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def coverage_url(campaign, unit=None):
    if unit is None:
        return reverse("screening:campaign_coverage", args=[campaign.pk])
    return reverse("screening:unit_coverage", args=[campaign.pk, unit.pk])


def households_url(campaign, unit):
    return reverse("screening:household_list", args=[campaign.pk, unit.pk])


def visit_url(campaign, household):
    return reverse("screening:visit_create", args=[campaign.pk, household.pk])


def screen(triad, campaign):
    record_visit(campaign=campaign, household=triad.east_household, user=triad.inside, outcome="completed",
                 answers=[answer(triad.east_person)], visited_at=visit_time(1))
    record_visit(campaign=campaign, household=triad.west_household, user=triad.neighbour, outcome="nobody_home",
                 visited_at=visit_time(1))


# The campaign list.


def test_grid_worker_lists_the_campaigns_with_coverage_of_the_village(client, triad, campaigns):
    screen(triad, campaigns.town)
    body = text(page(client, triad.inside, reverse("screening:campaign_list")))
    assert "城关镇敲门行动" in body and "东门村入户摸排" in body
    assert "<b>1</b>/1 户" in body and "<b>100.0%</b>" in body


def test_neighbour_lists_only_the_campaigns_reaching_the_village(client, triad, campaigns):
    body = text(page(client, triad.neighbour, reverse("screening:campaign_list")))
    assert "城关镇敲门行动" in body and "东门村入户摸排" not in body


def test_leader_above_lists_both_with_the_whole_town(client, triad, campaigns):
    screen(triad, campaigns.town)
    body = text(page(client, triad.above, reverse("screening:campaign_list")))
    assert "东门村入户摸排" in body and "<b>1</b>/2 户" in body and "待回访 1 户" in body


def test_anonymous_is_sent_to_log_in(client, campaigns):
    response = client.get(reverse("screening:campaign_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Coverage, drilling down the tree.


def test_leader_sees_the_town_by_village(client, triad, campaigns):
    screen(triad, campaigns.town)
    body = text(page(client, triad.above, coverage_url(campaigns.town)))
    assert "东门村" in body and "西门村" in body
    assert coverage_url(campaigns.town, triad.county.east) in body
    assert households_url(campaigns.town, triad.county.town) + "?status=revisit" in body


def test_grid_worker_starts_at_the_village(client, triad, campaigns):
    body = text(page(client, triad.inside, coverage_url(campaigns.town)))
    assert "东门一组" in body and "西门村" not in body


def test_coverage_outside_the_jurisdiction_is_404(client, triad, campaigns):
    assert page(client, triad.inside, coverage_url(campaigns.town, triad.county.west)).status_code == 404
    assert page(client, triad.inside, coverage_url(campaigns.town, triad.county.town)).status_code == 404
    assert page(client, triad.neighbour, coverage_url(campaigns.east)).status_code == 404


# The households of a grid.


def test_grid_households_with_their_status(client, triad, campaigns):
    screen(triad, campaigns.town)
    body = text(page(client, triad.above, households_url(campaigns.town, triad.county.town)))
    assert "H-EAST-1" in body and "H-WEST-1" in body
    assert 'status-visited">已走访' in body and 'status-revisit">待回访' in body
    revisit = text(page(client, triad.above, households_url(campaigns.town, triad.county.town), status="revisit"))
    assert "H-WEST-1" in revisit and "H-EAST-1" not in revisit


def test_grid_worker_sees_the_own_grid_only(client, triad, campaigns):
    body = text(page(client, triad.inside, households_url(campaigns.town, triad.county.east_grid)))
    assert "H-EAST-1" in body and 'status-not_visited">未走访' in body
    assert visit_url(campaigns.town, triad.east_household) in body
    assert page(client, triad.neighbour, households_url(campaigns.town, triad.county.east_grid)).status_code == 404


# The visit form.


def form_data(outcome="completed", **member):
    prefix = member.pop("prefix")
    data = {"outcome": outcome, "visited_at": visit_time(1).strftime("%Y-%m-%dT%H:%M"), "note": ""}
    data.update({f"{prefix}-{name}": value for name, value in member.items()})
    return data


def member_prefix(person):
    return f"member-{person.pk}"


def test_visit_form_lists_each_member(client, triad, campaigns):
    body = text(page(client, triad.inside, visit_url(campaigns.town, triad.east_household)))
    assert "张三丰" in body and "近14天到过的地方" in body and "电话无法接通" in body


def test_recording_a_visit_flags_travel_and_goes_back_to_the_grid(client, triad, campaigns):
    client.force_login(triad.inside)
    data = form_data(prefix=member_prefix(triad.east_person), presence="present", places_visited="武汉",
                     symptoms=["cough"], temperature="36.8")
    response = client.post(visit_url(campaigns.town, triad.east_household), data, follow=True)
    assert response.redirect_chain == [(households_url(campaigns.town, triad.county.east_grid), 302)]
    body = text(response)
    assert "已登记“H-EAST-1”的走访。" in body and "张三丰 需跟进排查：到过关注地区：武汉（属湖北）；有症状：咳嗽" in body
    visit = Visit.objects.get()
    assert (visit.outcome, visit.visited_by, visit.answers.get().symptoms) == ("completed", triad.inside, ["cough"])
    assert Person.objects.get(pk=triad.east_person.pk).needs_follow_up


def test_nobody_home_is_recorded_without_answers(client, triad, campaigns):
    client.force_login(triad.inside)
    response = client.post(visit_url(campaigns.town, triad.east_household),
                           form_data("nobody_home", prefix=member_prefix(triad.east_person)))
    assert response.status_code == 302
    assert Visit.objects.get().needs_revisit


def test_form_errors_are_shown_in_chinese(client, triad, campaigns):
    client.force_login(triad.inside)
    url = visit_url(campaigns.town, triad.east_household)
    body = text(client.post(url, form_data(prefix=member_prefix(triad.east_person))))
    assert "请填写户内成员“张三丰”的在家情况。" in body
    body = text(client.post(url, form_data(prefix=member_prefix(triad.east_person), places_visited="武汉")))
    assert "请先选择“张三丰”的在家情况。" in body
    body = text(client.post(url, {"visited_at": ""}))
    assert "请选择走访结果。" in body and "请填写走访时间。" in body
    assert not Visit.objects.exists()


def test_visit_form_outside_the_jurisdiction_is_404(client, triad, campaigns):
    assert page(client, triad.neighbour, visit_url(campaigns.town, triad.east_household)).status_code == 404
    client.force_login(triad.neighbour)
    data = form_data(prefix=member_prefix(triad.east_person), presence="present")
    assert client.post(visit_url(campaigns.town, triad.east_household), data).status_code == 404
    # The household is the inside worker's, but the campaign does not cover it.
    assert page(client, triad.inside, visit_url(campaigns.east, triad.west_household)).status_code == 404
    assert not Visit.objects.exists()


def test_above_both_villages_the_form_opens_for_either(client, triad, campaigns):
    # The town leader's role does not record visits; the town's statistician does.
    assert page(client, triad.above, visit_url(campaigns.town, triad.west_household)).status_code == 403
    statistician = make_user("town_statistician", "statistician", triad.county.town)
    assert "张三丰" in text(page(client, statistician, visit_url(campaigns.town, triad.east_household)))
    assert "李四" in text(page(client, statistician, visit_url(campaigns.town, triad.west_household)))


def test_readonly_role_sees_coverage_but_may_not_record(client, triad, campaigns):
    assert page(client, triad.readonly, coverage_url(campaigns.east)).status_code == 200
    assert page(client, triad.readonly, visit_url(campaigns.east, triad.east_household)).status_code == 403
