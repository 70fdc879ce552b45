"""Line-list pages and API under the jurisdiction triad."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.control.testing import make_case


@pytest.fixture
def cases(triad):
    today = timezone.localdate()
    # Began a week ago and nobody ever reported: missed two days and more, on both sides.
    phases = [("home_isolation", today - timedelta(days=7), today + timedelta(days=6))]
    east = make_case(triad.east_person, phases=phases, team=[("网格员", "王网格")])
    west = make_case(triad.west_person, phases=phases)
    return east, west


def test_dashboard_shows_the_counts_of_the_jurisdiction(triad, cases, as_user):
    page = as_user(triad.above).get(reverse("control:linelists"))
    assert page.status_code == 200
    rollup = page.context["rollup"]
    assert rollup.total.active == 2 and rollup.total.missed_days == 2
    assert [row.unit.name for row in rollup.rows] == ["东门村", "西门村"]
    assert "东门村" in page.content.decode()


def test_drilling_down_to_a_unit_and_the_neighbours_unit_is_404(triad, cases, as_user):
    east = triad.county.east
    inside = as_user(triad.inside)
    page = inside.get(reverse("control:linelists"), {"unit": east.pk})
    assert page.context["rollup"].total.active == 1
    assert inside.get(reverse("control:linelists"), {"unit": triad.county.west.pk}).status_code == 404
    assert inside.get(reverse("control:linelists"), {"unit": triad.county.town.pk}).status_code == 404
    assert as_user(triad.above).get(reverse("control:linelists"), {"unit": east.pk}).status_code == 200


def test_a_list_page_shows_only_cases_in_the_jurisdiction(triad, cases, as_user):
    url = reverse("control:linelist", args=["missed_days"])
    inside = as_user(triad.inside).get(url)
    assert [case.person.name for case in inside.context["page"].object_list] == ["张三丰"]
    text = inside.content.decode()
    assert "张三丰" in text and "李四" not in text and "王网格" in text and "第 8/14 天" in text
    neighbour = as_user(triad.neighbour).get(url)
    assert [case.person.name for case in neighbour.context["page"].object_list] == ["李四"]
    above = as_user(triad.above).get(url)
    assert above.context["page"].paginator.count == 2


def test_readonly_sees_masked_numbers_on_a_list(triad, cases, as_user):
    text = as_user(triad.readonly).get(reverse("control:linelist", args=["active"])).content.decode()
    assert triad.east_person.id_number not in text and "138****5678" in text
    text = as_user(triad.inside).get(reverse("control:linelist", args=["active"])).content.decode()
    assert triad.east_person.id_number in text


def test_an_unknown_list_is_404(triad, as_user):
    assert as_user(triad.inside).get("/control/lists/nonsense/").status_code == 404


def test_the_pages_need_a_login(client, db):
    assert client.get(reverse("control:linelists")).status_code == 302


def test_api_counts_for_the_jurisdiction_and_per_child(triad, cases, api):
    body = api(triad.above).get("/api/v1/control-lists/").json()
    assert body["unit"] == triad.county.town.code
    assert body["total"]["active"] == 2 and body["total"]["non_reporting"] == 2
    assert {row["unit_name"]: row["missed_days"] for row in body["rows"]} == {"东门村": 1, "西门村": 1}
    body = api(triad.inside).get("/api/v1/control-lists/").json()
    assert body["total"]["active"] == 1
    assert api(triad.neighbour).get("/api/v1/control-lists/", {"unit": triad.county.east.code}).status_code == 404
    body = api(triad.above).get("/api/v1/control-lists/", {"unit": triad.county.west.code}).json()
    assert body["total"]["active"] == 1 and body["rows"][0]["unit_name"] == "西门一组"
    assert api().get("/api/v1/control-lists/").status_code == 401


def test_api_cases_of_one_list(triad, cases, api):
    body = api(triad.inside).get("/api/v1/control-lists/missed_days/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["person_name"] == "张三丰" and row["id_number"] == triad.east_person.id_number
    assert row["team"] == [{"role": "网格员", "name": "王网格"}] and row["day_total"] == 14
    body = api(triad.readonly).get("/api/v1/control-lists/missed_days/").json()
    assert body["results"][0]["id_number"] != triad.east_person.id_number
    assert body["results"][0]["phone"] == "138****5678"
    body = api(triad.neighbour).get("/api/v1/control-lists/missed_days/").json()
    assert [row["person_name"] for row in body["results"]] == ["李四"]
    assert api(triad.above).get("/api/v1/control-lists/symptomatic/").json()["count"] == 0
    assert api(triad.inside).get("/api/v1/control-lists/nonsense/").status_code == 404
