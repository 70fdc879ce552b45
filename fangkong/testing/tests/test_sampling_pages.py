"""Pages of rounds and sampling: the rounds list, a round with its points and counts, and the
scanning page driven by htmx, with the jurisdiction triad."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangkong.testing.models import Sample, Tube, TubeStatus
from fangkong.testing.models import TestingRound as Round
from fangkong.testing.services.sampling import open_tube, scan

from .test_rounds import make_sampling


@pytest.fixture
def current(triad):
    today = timezone.localdate()
    sampling = make_sampling(triad)
    sampling.round.starts_on, sampling.round.ends_on = today - timedelta(days=1), today + timedelta(days=1)
    sampling.round.save()
    sampling.tube = open_tube(sampling.round, sampling.point, "T0001", sampling.sampler, timezone.now())
    return sampling


def test_rounds_list_shows_the_rounds_the_user_takes_part_in(as_user, triad, current):
    page = as_user(triad.inside).get("/testing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "城关镇第一轮全员核酸" in text and "新建检测轮次" not in text
    assert "新建检测轮次" in as_user(current.statistician).get("/testing/").content.decode()
    readonly = as_user(triad.readonly).get("/testing/")
    assert "城关镇第一轮全员核酸" in readonly.content.decode()


def test_round_is_created_from_the_page(as_user, triad, current):
    form = {"name": "第二轮", "owner_unit": triad.county.town.pk, "scope": triad.county.east.code,
            "starts_on": "2022-04-05", "ends_on": "2022-04-06", "target": "all_residents", "default": 10,
            "medium_risk": 5, "controlled": 1}
    response = as_user(current.statistician).post("/testing/", form)
    created = Round.objects.get(name="第二轮")
    assert response.status_code == 302 and response["Location"] == f"/testing/rounds/{created.pk}/"
    assert list(created.scope.all()) == [triad.county.east]
    bad = as_user(current.statistician).post("/testing/", {**form, "name": "第三轮", "ends_on": "2022-04-01"})
    assert bad.status_code == 400 and "不能早于开始日期" in bad.content.decode()
    assert as_user(triad.inside).post("/testing/", form).status_code == 403


def test_round_page_counts_tubes_and_samples_per_point(as_user, triad, current):
    scan(current.tube, [triad.east_person.id_number, triad.west_person.id_number], current.sampler, timezone.now())
    page = as_user(triad.above).get(f"/testing/rounds/{current.round.pk}/")
    assert page.status_code == 200
    point = page.context["points"][0]
    assert (point.tube_count, point.open_tubes, point.samples) == (1, 1, 2)
    assert "东门村文化广场采样点" in page.content.decode()
    neighbour = as_user(triad.neighbour).get(f"/testing/rounds/{current.round.pk}/")
    assert neighbour.status_code == 200 and list(neighbour.context["points"]) == []


def test_scanning_page_adds_people_through_htmx(as_user, triad, current):
    client = as_user(current.sampler)
    page = client.get("/testing/scan/T0001/")
    assert page.status_code == 200 and 'hx-post="/testing/scan/T0001/"' in page.content.decode()
    fragment = client.post("/testing/scan/T0001/", {"code": triad.east_person.id_number}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in text
    assert "已采：张三丰" in text and "1/10" in text
    again = client.post("/testing/scan/T0001/", {"code": triad.east_person.id_number}, HTTP_HX_REQUEST="true")
    assert "已在本管中" in again.content.decode()
    assert Sample.objects.filter(tube=current.tube).count() == 1


def test_scanning_page_closes_and_opens_the_next_tube(as_user, triad, current):
    client = as_user(current.sampler)
    client.post("/testing/scan/T0001/", {"code": triad.east_person.id_number})
    assert client.post("/testing/scan/T0001/close/").status_code == 302
    assert Tube.objects.get(barcode="T0001").status == TubeStatus.CLOSED
    page = client.get("/testing/scan/T0001/").content.decode()
    assert "开下一管" in page
    response = client.post("/testing/scan/T0001/next/", {"barcode": "T0002"})
    assert response.status_code == 302 and response["Location"] == "/testing/scan/T0002/"
    used = client.post("/testing/scan/T0001/next/", {"barcode": "T0002"}, follow=True)
    assert "已使用" in used.content.decode()


def test_tube_is_opened_from_the_round_page(as_user, triad, current):
    client = as_user(current.sampler)
    response = client.post(f"/testing/rounds/{current.round.pk}/tubes/", {"point": current.point.pk,
                                                                          "barcode": "T0009"})
    assert response.status_code == 302 and response["Location"] == "/testing/scan/T0009/"
    used = client.post(f"/testing/rounds/{current.round.pk}/tubes/", {"point": current.point.pk,
                                                                      "barcode": "T0009"})
    assert used.status_code == 400 and "已使用" in used.content.decode()


def test_scanning_page_follows_the_jurisdiction(as_user, triad, current):
    assert as_user(triad.neighbour).get("/testing/scan/T0001/").status_code == 404
    assert as_user(current.west_sampler).post("/testing/scan/T0001/",
                                              {"code": triad.west_person.id_number}).status_code == 404
    assert as_user(triad.above).get("/testing/scan/T0001/").status_code == 200
    assert as_user(triad.inside).post("/testing/scan/T0001/",
                                      {"code": triad.east_person.id_number}).status_code == 403
