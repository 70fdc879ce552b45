"""The pool planner page: capacity figures, Dorfman's optimum, population from a unit of the
jurisdiction, htmx fragments."""

from django.conf import settings

from fangkong.conftest import make_user
from fangkong.people.models import Person

URL = "/testing/planning/"


def plan(client, headers=None, **params):
    return client.get(URL, {"tests_per_day": 2200, "ratio": "10", **params}, headers=headers)


def test_page_needs_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_page_needs_the_testing_view_permission(as_user, triad):
    officer = make_user("school_officer", "school_officer", triad.county.east)
    assert as_user(officer).get(URL).status_code == 403
    assert as_user(triad.readonly).get(URL).status_code == 200


def test_empty_page_shows_the_form_in_chinese(as_user, triad):
    text = as_user(triad.inside).get(URL).content.decode()
    assert "混采规划" in text and "实验室日检测能力" in text and "1:20" in text and "自定义" in text
    assert 'hx-get="/testing/planning/"' in text and 'id="plan-results"' in text
    assert "每天可覆盖人数" not in text


def test_county_lab_at_one_in_ten_covers_22000_people_a_day(as_user, triad):
    text = plan(as_user(triad.inside), population=44000).content.decode()
    assert '<span class="value" id="people-per-day">22000</span>' in text  # Chinese writes no separator
    assert '<span class="value" id="days-to-cover">2</span>' in text
    assert '<span class="value">4400</span>' in text  # tubes for one round
    client = as_user(triad.inside)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = plan(client, population=44000).content.decode()
    assert '<span class="value" id="people-per-day">22,000</span>' in english


def test_custom_ratio_and_positivity_show_dorfmans_optimum_and_table(as_user, triad):
    text = plan(as_user(triad.inside), ratio="custom", custom_size="8", positivity="1").content.decode()
    assert "阳性率 1% 时，最优混采比例为 <strong id=\"optimal-size\">1:11</strong>" in text and "0.1956" in text
    for size in (2, 11, 20):
        assert f"<td>1:{size}" in text
    # 1:8 at 1% positivity: t = 1/8 + 1 − 0.99^8 ≈ 0.2023 tests a person, 2200 / t people
    assert '<span class="value" id="people-per-day">10877</span>' in text


def test_an_optimum_above_twenty_also_names_the_best_tube_up_to_twenty(as_user, triad):
    text = plan(as_user(triad.inside), positivity="0.1").content.decode()
    assert '<strong id="optimal-size">1:32</strong>' in text and "20 人以内以 1:20 最省" in text


def test_positivity_where_pooling_does_not_pay(as_user, triad):
    text = plan(as_user(triad.inside), positivity="40").content.decode()
    assert "应单人单管检测" in text and "optimal-size" not in text


def test_bad_input_is_explained_in_chinese(as_user, triad):
    client = as_user(triad.inside)
    text = plan(client, ratio="custom").content.decode()
    assert "请填写混采人数" in text and "people-per-day" not in text
    assert "阳性率应小于 100%" in plan(client, positivity="100").content.decode()
    assert "people-per-day" not in client.get(URL, {"tests_per_day": "0", "ratio": "10"}).content.decode()


def test_population_is_filled_from_a_unit_of_the_jurisdiction(as_user, triad):
    Person.objects.create(name="王五", unit=triad.county.east_grid)
    text = plan(as_user(triad.inside), unit=triad.county.east.code).content.decode()
    assert "东门村及下级单位登记人员 2 人" in text
    assert 'name="population" value="2"' in text
    above = plan(as_user(triad.above), unit=triad.county.town.code).content.decode()
    assert "城关镇及下级单位登记人员 3 人" in above


def test_a_typed_population_is_kept_until_the_unit_changes(as_user, triad):
    client = as_user(triad.inside)
    code = triad.county.east.code
    kept = plan(client, unit=code, population="5000", filled_from=code).content.decode()
    assert 'name="population" value="5000"' in kept
    refilled = plan(client, unit=code, population="5000", filled_from="other").content.decode()
    assert 'name="population" value="1"' in refilled


def test_a_unit_outside_the_jurisdiction_is_404(as_user, triad):
    assert plan(as_user(triad.neighbour), unit=triad.county.east.code).status_code == 404
    assert plan(as_user(triad.inside), unit="NO-SUCH-UNIT").status_code == 404


def test_htmx_gets_the_results_fragment_with_the_population_swapped_in(as_user, triad):
    response = plan(as_user(triad.inside), unit=triad.county.east.code, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert "<html" not in text and 'id="people-per-day">22000<' in text
    assert '<span id="population-field" hx-swap-oob="true">' in text
    assert "HX-Request" in response["Vary"]
