from fangkong.accounts.models import Role, RoleAssignment
from fangkong.screening.models import Campaign
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time

URL = "/api/v1/campaigns/"


def detail(campaign, action=""):
    return f"{URL}{campaign.pk}/{action}"


def names(response):
    assert response.status_code == 200, response.content
    return sorted(c["name"] for c in response.json()["results"])


def new_campaign(owner, *units, **fields):
    return {"name": "春节返乡人员摸排", "owner_unit": owner.code, "units": [u.code for u in units],
            "starts_on": "2022-01-25", "ends_on": "2022-02-10", "places_of_concern": "湖北、4201", **fields}


def grant(user, role_code, unit):
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code=role_code), unit=unit)
    return type(user).objects.get(pk=user.pk)


# Reading: the jurisdiction triad.


def test_grid_worker_lists_the_campaigns_reaching_the_village(api, triad, campaigns):
    assert names(api(triad.inside).get(URL)) == ["东门村入户摸排", "城关镇敲门行动"]


def test_neighbour_does_not_see_the_other_villages_campaign(api, triad, campaigns):
    assert names(api(triad.neighbour).get(URL)) == ["城关镇敲门行动"]
    assert api(triad.neighbour).get(detail(campaigns.east)).status_code == 404


def test_leader_above_sees_both(api, triad, campaigns):
    assert names(api(triad.above).get(URL)) == ["东门村入户摸排", "城关镇敲门行动"]
    data = api(triad.above).get(detail(campaigns.east)).json()
    assert data["owner_unit"] == "430626100201" and data["units"] == ["430626100201"]
    assert data["places_of_concern"] == "湖北" and data["lookback_days"] == 14 and data["fever_threshold"] == "37.3"


def test_anonymous_gets_401(api, campaigns):
    assert api().get(URL).status_code == 401
    assert api().get(detail(campaigns.town, "coverage/")).status_code == 401


def test_filter_by_unit_and_date(api, triad, campaigns):
    assert names(api(triad.above).get(URL, {"unit": "430626100202"})) == ["城关镇敲门行动"]
    assert names(api(triad.above).get(URL, {"unit": "nowhere"})) == []
    campaigns.east.ends_on = "2022-01-31"
    campaigns.east.save()
    assert names(api(triad.above).get(URL, {"active_on": "2022-02-01"})) == ["城关镇敲门行动"]
    assert names(api(triad.above).get(URL, {"active_on": "2022-01-24"})) == []


# Writing.


def test_leader_creates_a_campaign_over_the_town(api, triad):
    county = triad.county
    response = api(triad.above).post(URL, new_campaign(county.town, county.east, county.west), format="json")
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.created_by == triad.above and campaign.unit_path == county.town.path
    assert sorted(u.name for u in campaign.units.all()) == ["东门村", "西门村"]


def test_grid_worker_may_not_create_campaigns(api, triad):
    response = api(triad.inside).post(URL, new_campaign(triad.county.east, triad.county.east), format="json")
    assert response.status_code == 403


def test_scope_must_lie_within_the_owning_unit(api, triad):
    county = triad.county
    response = api(triad.above).post(URL, new_campaign(county.east, county.west), format="json")
    assert response.status_code == 400
    assert response.json() == {"units": ["摸排范围应在发起单位“东门村”之内，“西门村”不在其中。"]}


def test_no_campaign_for_units_outside_the_jurisdiction(api, triad):
    statistician = grant(triad.neighbour, "statistician", triad.county.west)
    response = api(statistician).post(URL, new_campaign(triad.county.east, triad.county.east), format="json")
    assert response.status_code == 400
    assert response.json()["owner_unit"] == ["单位编码“430626100201”不存在或不在您的辖区内。"]


def test_end_date_not_before_start(api, triad):
    county = triad.county
    response = api(triad.above).post(URL, new_campaign(county.town, county.town, ends_on="2022-01-20"), format="json")
    assert response.json() == {"ends_on": ["结束日期不能早于开始日期。"]}


def test_owner_changes_the_criteria(api, triad, campaigns):
    response = api(triad.above).patch(detail(campaigns.town), {"places_of_concern": "湖北、温州"}, format="json")
    assert response.status_code == 200, response.content
    assert Campaign.objects.get(pk=campaigns.town.pk).places_of_concern == "湖北、温州"


def test_a_village_cannot_change_the_towns_campaign(api, triad, campaigns):
    statistician = grant(triad.inside, "statistician", triad.county.east)
    client = api(statistician)
    assert client.get(detail(campaigns.town)).status_code == 200
    assert client.patch(detail(campaigns.town), {"name": "改名"}, format="json").status_code == 404
    assert client.patch(detail(campaigns.east), {"name": "东门村敲门"}, format="json").status_code == 200


def test_campaigns_are_not_deleted(api, triad, campaigns):
    assert api(triad.above).delete(detail(campaigns.east)).status_code in (403, 405)
    assert Campaign.objects.filter(pk=campaigns.east.pk).exists()


# Coverage.


def screen(triad, campaign):
    record_visit(campaign=campaign, household=triad.east_household, user=triad.inside, outcome="completed",
                 answers=[answer(triad.east_person)], visited_at=visit_time(1))
    record_visit(campaign=campaign, household=triad.west_household, user=triad.neighbour, outcome="nobody_home",
                 visited_at=visit_time(1))


def test_coverage_of_the_town_by_village(api, triad, campaigns):
    screen(triad, campaigns.town)
    data = api(triad.above).get(detail(campaigns.town, "coverage/"), {"unit": "430626100"}).json()
    assert data["unit"] == "430626100"
    rows = [(r["unit_name"], r["households_visited"], r["households_revisit"], r["person_rate"]) for r in data["rows"]]
    assert rows == [
        ("东门村", 1, 0, 100.0),
        ("西门村", 0, 1, 0.0),
    ]
    assert data["total"] == {
        "unit": "430626100", "unit_name": "城关镇", "households": 2, "households_visited": 1,
        "households_revisit": 1, "households_not_visited": 0, "household_rate": 50.0, "persons": 2,
        "persons_verified": 1, "person_rate": 50.0,
    }


def test_coverage_starts_at_the_users_own_unit(api, triad, campaigns):
    screen(triad, campaigns.town)
    data = api(triad.inside).get(detail(campaigns.town, "coverage/")).json()
    assert data["unit_name"] == "东门村" and data["total"]["households_visited"] == 1
    assert [r["unit_name"] for r in data["rows"]] == ["东门一组"]


def test_coverage_of_a_unit_outside_the_jurisdiction_is_404(api, triad, campaigns):
    client = api(triad.inside)
    assert client.get(detail(campaigns.town, "coverage/"), {"unit": "430626100202"}).status_code == 404
    assert client.get(detail(campaigns.town, "coverage/"), {"unit": "430626100"}).status_code == 404
    assert api(triad.neighbour).get(detail(campaigns.east, "coverage/")).status_code == 404
