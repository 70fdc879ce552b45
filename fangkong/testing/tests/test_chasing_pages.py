"""The chase pages and API: the list and the member table, seen by the point's users, by the
units where members live and by the units above; hidden from a neighbour with no member."""

import datetime

import pytest

from fangkong.testing.services.chasing import chase_tubes, refresh_located
from fangkong.testing.tests.test_chasing_service import NOW, make_people, make_point, make_tube


@pytest.fixture
def far_chase(triad):
    """A positive tube sampled at a point of 河口村 (another town) whose members live in 东门一组."""
    point = make_point(triad.county, under=triad.county.river, code="SP-RIVER")
    people = [triad.east_person, *make_people(triad.county.east_grid, 2)]
    [chase] = chase_tubes([make_tube(point, people, "F0001")], NOW)
    return chase


def test_member_village_sees_the_chase_the_neighbour_does_not(triad, far_chase, as_user):
    inside = as_user(triad.inside).get("/testing/chasing/")
    assert inside.status_code == 200 and "F0001" in inside.content.decode()
    neighbour = as_user(triad.neighbour).get("/testing/chasing/")
    assert neighbour.status_code == 200 and "F0001" not in neighbour.content.decode()
    above = as_user(triad.above).get("/testing/chasing/")
    assert "F0001" in above.content.decode()

    assert as_user(triad.inside).get(f"/testing/chasing/{far_chase.pk}/").status_code == 200
    assert as_user(triad.above).get(f"/testing/chasing/{far_chase.pk}/").status_code == 200
    assert as_user(triad.neighbour).get(f"/testing/chasing/{far_chase.pk}/").status_code == 404


def test_neighbour_sees_the_chase_once_a_member_lives_there(triad, as_user):
    point = make_point(triad.county, under=triad.county.river, code="SP-RIVER")
    [chase] = chase_tubes([make_tube(point, [triad.east_person, triad.west_person], "F0002")], NOW)
    assert as_user(triad.neighbour).get(f"/testing/chasing/{chase.pk}/").status_code == 200


def test_chase_page_lists_members_with_leads_and_located_time(triad, far_chase, as_user):
    member = far_chase.members.select_related("lead").get(person=triad.east_person)
    from fangkong.leads.services.workflow import verify_lead

    verify_lead(member.lead, triad.inside, NOW + datetime.timedelta(minutes=25))
    refresh_located(NOW + datetime.timedelta(minutes=30))
    page = as_user(triad.inside).get(f"/testing/chasing/{far_chase.pk}/").content.decode()
    assert "张三丰" in page and "东门一组" in page and "东门村1号" in page
    assert f"/leads/{member.lead_id}/" in page
    assert "30分钟" in page  # 10:00 result → 10:30 verified
    assert "待复检" in page
    assert "13800135678" in page
    readonly = as_user(triad.readonly).get(f"/testing/chasing/{far_chase.pk}/").content.decode()
    assert "13800135678" not in readonly and "138****5678" in readonly


def test_overdue_chase_shows_red_in_the_list(triad, far_chase, as_user):
    page = as_user(triad.inside).get("/testing/chasing/").content.decode()
    # The result is from 2022: long past its two hours now.
    assert "chase-overdue" in page and "已超时" in page
    assert "0/3" in page


def test_chase_pages_need_a_testing_role(triad, far_chase, make_chase_outsider, as_user):
    assert as_user(make_chase_outsider).get("/testing/chasing/").status_code == 403


@pytest.fixture
def make_chase_outsider(triad):
    from fangkong.conftest import make_user

    return make_user("checker", "checkpoint_staff", triad.county.east)


def test_api_lists_chases_with_masked_members(triad, far_chase, api):
    rows = api(triad.readonly).get("/api/v1/chases/").json()["results"]
    [row] = rows
    assert row["barcode"] == "F0001" and row["total"] == 3 and row["located"] == 0
    east = next(m for m in row["members"] if m["name"] == "张三丰")
    assert east["phone"] == "138****5678" and "*" in east["id_number"] and east["lead_status"] == "received"
    full = api(triad.inside).get(f"/api/v1/chases/{far_chase.pk}/").json()
    assert next(m for m in full["members"] if m["name"] == "张三丰")["phone"] == "13800135678"


def test_api_hides_chases_outside_the_jurisdiction(triad, far_chase, api):
    assert api(triad.neighbour).get("/api/v1/chases/").json()["results"] == []
    assert api(triad.neighbour).get(f"/api/v1/chases/{far_chase.pk}/").status_code == 404
    assert api(triad.above).get(f"/api/v1/chases/{far_chase.pk}/").status_code == 200
    assert api().get("/api/v1/chases/").status_code in (401, 403)
