"""The dashboard pages and their JSON: jurisdiction (the triad), figures equal to the daily
report's, the vendored ECharts, and the large screen's own layout and refresh."""

import datetime
import json

from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from fangkong.conftest import make_user
from fangkong.control.testing import make_case
from fangkong.reports.services.daily import daily_report

PAGE = reverse("reports:dashboard")
SCREEN = reverse("reports:dashboard_screen")
DATA = reverse("reports:dashboard_data")


def _cases(triad):
    """A case opened an hour ago in each village, one of them at an isolation site."""
    now = timezone.now()
    today = timezone.localdate(now)
    phases = [("home_isolation", today, today + datetime.timedelta(days=13))]
    opened = now - datetime.timedelta(hours=1)
    make_case(triad.east_person, unit=triad.county.east, opened_at=opened, phases=phases, place="site")
    make_case(triad.west_person, unit=triad.county.west, opened_at=opened, phases=phases,
              category="secondary_contact")


def test_inside_user_sees_the_dashboard_of_their_village(triad, as_user):
    _cases(triad)
    client = as_user(triad.inside)
    response = client.get(PAGE, {"unit": triad.county.east.code})
    assert response.status_code == 200
    page = response.content.decode()
    assert "东门村防控态势" in page
    assert "在管重点人员" in page and "集中隔离" in page
    assert client.get(PAGE).context["unit"] == triad.county.east


def test_neighbour_gets_404_for_the_village_page_screen_and_data(triad, as_user):
    client = as_user(triad.neighbour)
    for url in (PAGE, SCREEN, DATA):
        assert client.get(url, {"unit": triad.county.east.code}).status_code == 404
    assert client.get(PAGE, {"unit": "no-such-unit"}).status_code == 404


def test_above_user_sees_the_town_with_both_villages_to_drill_into(triad, as_user):
    _cases(triad)
    client = as_user(triad.above)
    response = client.get(PAGE, {"unit": triad.county.town.code})
    assert response.status_code == 200
    children = response.context["children"]
    assert [row["name"] for row in children] == ["东门村", "西门村"]
    page = response.content.decode()
    assert f'href="{PAGE}?unit={triad.county.east.code}"' in page
    assert f'href="{PAGE}?unit={triad.county.west.code}"' in page
    assert client.get(PAGE).context["unit"] == triad.county.town


def test_breadcrumb_shows_only_the_units_above_within_the_jurisdiction(triad, as_user):
    response = as_user(triad.above).get(PAGE, {"unit": triad.county.east.code})
    assert [unit.name for unit in response.context["breadcrumb"]] == ["城关镇"]
    assert as_user(triad.inside).get(PAGE, {"unit": triad.county.east.code}).context["breadcrumb"] == []


def test_a_role_without_the_reports_permission_is_refused(triad, as_user):
    checkpoint = make_user("checkpoint", "checkpoint_staff", triad.county.east)
    assert as_user(checkpoint).get(PAGE, {"unit": triad.county.east.code}).status_code == 403
    assert as_user(checkpoint).get(DATA, {"unit": triad.county.east.code}).status_code == 403


def test_json_figures_equal_the_daily_report_of_the_same_unit(triad, as_user):
    _cases(triad)
    response = as_user(triad.above).get(DATA, {"unit": triad.county.town.code, "days": "14"})
    assert response.status_code == 200
    data = response.json()
    report = daily_report(triad.county.town, timezone.localdate(), now=timezone.now())
    figures = {row["key"]: row["value"] for row in data["figures"]}
    items = report["items"]
    assert figures == {
        "under_control": items["under_control"],
        "key_persons_new": items["key_persons"]["new"],
        "isolated_total": items["isolated_total"],
        "home_controlled": items["home_controlled"],
        "released_new": items["released"]["new"],
        "anomalies_new": items["follow_up_anomalies"]["new"],
        "tests_done_new": items["tests_done"]["new"],
        "tests_positive_new": items["tests_positive"]["new"],
        "screened_cumulative": items["screened_persons"]["cumulative"],
        "samples_new": items["samples_taken"]["new"],
        "samples_pending": items["samples_pending"],
        "round_coverage": items["round_coverage"],
        "vaccination_coverage": items["vaccination_coverage"],
    }
    assert figures["round_coverage"] is None  # no round in force: no target, no ratio
    assert figures["under_control"] == 2 and figures["isolated_total"] == 1
    assert {key: data["completeness"][key] for key in ("expected", "received", "on_time")} == {
        key: report["completeness"][key] for key in ("expected", "received", "on_time")}
    assert len(data["trend"]["days"]) == 14
    assert data["trend"]["days"][-1] == report["date"]
    assert [row["name"] for row in data["children"]] == ["东门村", "西门村"]
    assert {row["key"]: row["value"] for row in data["cases"]["category"]} == {
        "close_contact": 1, "secondary_contact": 1}


def test_json_gives_the_30_day_trend_alone_and_refuses_other_spans(triad, as_user):
    client = as_user(triad.inside)
    response = client.get(DATA, {"unit": triad.county.east.code, "days": "30", "part": "trend"})
    assert response.status_code == 200
    assert set(response.json()) == {"unit", "trend"}
    assert len(response.json()["trend"]["days"]) == 30
    refused = client.get(DATA, {"unit": triad.county.east.code, "days": "7"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "趋势天数只能是14或30。"


def test_echarts_is_vendored_and_served_from_static(triad, as_user):
    found = finders.find("vendor/echarts.min.js")
    assert found is not None
    with open(found, encoding="utf-8") as handle:
        assert "echarts" in handle.read(4096)
    assert finders.find("vendor/echarts.LICENSE") is not None
    page = as_user(triad.inside).get(PAGE).content.decode()
    assert "/static/vendor/echarts.min.js" in page
    assert "cdn" not in page.lower()
    data = json.loads(page.split('id="dashboard-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert data["unit"]["code"] == triad.county.east.code


def test_screen_has_no_site_navigation_and_refreshes_itself(triad, as_user):
    response = as_user(triad.above).get(SCREEN, {"unit": triad.county.town.code})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<nav" not in page and 'class="topbar"' not in page
    assert 'data-refresh="60"' in page
    assert f'data-endpoint="{DATA}?unit={triad.county.town.code}"' in page
    assert "/static/reports/dashboard.js" in page and "/static/vendor/echarts.min.js" in page
    assert "data-clock" in page and "数据截至" in page
    with open(finders.find("reports/dashboard.js"), encoding="utf-8") as handle:
        script = handle.read()
    assert "setInterval" in script and "data-refresh" in script and "fetch(" in script
