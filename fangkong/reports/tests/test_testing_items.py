"""Testing and vaccination figures as computed items of the daily report (form version 2): the
samples taken, positive and pending counted from the tubes; the coverage of the round in force
and the vaccination coverage from their apps' own counting functions through the `compute` hook;
ratio items worked out from a unit's own totals; the preset version 2 added to a database that
has version 1; and the daily report contract, .xlsx, pages, API and snapshots with them."""

import datetime
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.conftest import fictional_id
from fangkong.control.testing import local
from fangkong.orgs.services import add_unit
from fangkong.people.models import Person
from fangkong.reports.models import ReportForm
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.dashboard import child_columns, children_figures, key_figures
from fangkong.reports.services.filing import file_report
from fangkong.reports.services.form_rules import validate_form
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.presets import load_presets, preset_forms
from fangkong.reports.services.rollup import rollup, rollup_many
from fangkong.reports.services.situation import sample_context
from fangkong.reports.services.snapshots import take_snapshots
from fangkong.reports.services.sources import SOURCES, Source, register
from fangkong.reports.services.templates import percent, template_context_help
from fangkong.reports.services.xlsx import daily_xlsx
from fangkong.testing.models import Exemption, Result, Sample, SamplingPoint, TestingRound, Tube, TubeStatus
from fangkong.vaccination.models import Dose, Product

pytestmark = pytest.mark.django_db

DAY = datetime.date(2022, 4, 10)
NEW_ITEMS = ["samples_taken", "samples_positive", "samples_pending", "round_target", "round_exempt",
             "round_sampled", "round_coverage", "vaccination_population", "vaccinated", "fully_vaccinated",
             "boosted", "vaccination_coverage", "full_vaccination_rate", "population_60", "vaccinated_60",
             "vaccination_coverage_60"]


def at(hour, minute=0, day=DAY):
    return local(day, datetime.time(hour, minute))


def _person(unit, seq, birth=None):
    return Person.objects.create(name=f"居民{seq}", id_number=fictional_id(seq=seq), unit=unit, birth_date=birth,
                                 address=f"{unit.name}{seq}号")


def _tube(point, barcode, people, scanned_at, result="", result_at=None):
    tube = Tube.objects.create(barcode=barcode, round=point.round, point=point, capacity=10, size=len(people),
                               status=TubeStatus.RESULTED if result else TubeStatus.CLOSED, opened_at=scanned_at,
                               result=result, result_at=result_at)
    for person in people:
        Sample.objects.create(tube=tube, round=point.round, person=person, scanned_at=scanned_at)
    return tube


@pytest.fixture
def round_day(triad):
    """A whole-population round of 城关镇 on DAY–DAY+1 with a point in 东门村. Residents: 张三丰 and
    居民301 (东门一组), 李四 and 居民302 (西门一组, exempt: bedridden).
    T0 yesterday (an earlier round): 居民301, negative the same evening.
    T1 09:00: 张三丰, 居民301 — negative at 15:00.  T2 10:00: 李四 — positive at 20:00.
    T3 11:00: 张三丰 again — no result yet."""
    county = triad.county
    east2, west2 = _person(county.east_grid, 301), _person(county.west_grid, 302)
    site = add_unit(county.east, code="SP-EAST", name="东门村采样点", type="sampling_point")
    earlier = TestingRound.objects.create(name="第1轮", owner_unit=county.town, starts_on=DAY - datetime.timedelta(7),
                                          ends_on=DAY - datetime.timedelta(1))
    current = TestingRound.objects.create(name="第2轮", owner_unit=county.town, starts_on=DAY,
                                          ends_on=DAY + datetime.timedelta(1))
    current.scope.set([county.town])
    earlier.scope.set([county.town])
    old_point = SamplingPoint.objects.create(round=earlier, unit=site)
    point = SamplingPoint.objects.create(round=current, unit=site)
    yesterday = DAY - datetime.timedelta(1)
    _tube(old_point, "T0", [east2], at(9, day=yesterday), Result.NEGATIVE, at(18, day=yesterday))
    tubes = {
        "T1": _tube(point, "T1", [triad.east_person, east2], at(9), Result.NEGATIVE, at(15)),
        "T2": _tube(point, "T2", [triad.west_person], at(10), Result.POSITIVE, at(20)),
        "T3": _tube(point, "T3", [triad.east_person], at(11)),
    }
    Exemption.objects.create(person=west2, round=current, reason="bedridden", starts_on=DAY, ends_on=DAY)
    return tubes


@pytest.fixture
def vaccinated(triad):
    """People aged 3+: 张三丰 (72, three doses: boosted), 居民401 (7, one dose), 李四 (32, none);
    居民402 (1 year old) is not in the population."""
    county = triad.county
    product, _created = Product.objects.get_or_create(
        code="rep-inactivated", defaults={"name": "测试灭活疫苗", "full_course_doses": 2})
    Person.objects.filter(pk=triad.east_person.pk).update(birth_date=datetime.date(1950, 3, 1))
    Person.objects.filter(pk=triad.west_person.pk).update(birth_date=datetime.date(1990, 3, 1))
    child = _person(county.east_grid, 401, datetime.date(2015, 3, 1))
    _person(county.west_grid, 402, datetime.date(2021, 3, 1))
    east_person = Person.objects.get(pk=triad.east_person.pk)
    for number in (1, 2, 3):
        Dose.objects.create(person=east_person, product=product, dose_number=number,
                            given_on=datetime.date(2021, 4, 1) + datetime.timedelta(days=60 * number))
    Dose.objects.create(person=child, product=product, dose_number=1, given_on=datetime.date(2022, 1, 5))


@pytest.fixture
def counter_source():
    """A source with its own counting function that records its calls, for the hook alone."""
    calls = []

    def compute(paths, on_date, as_of):
        calls.append((tuple(paths), on_date, as_of))
        return {path: {"whole": 4 * len(path), "part": len(path)} for path in paths if len(path) > 4}

    register(Source("counter_test", "测试计数", compute=compute, fields=("whole", "part")))
    yield calls
    SOURCES.pop("counter_test")


def _form(items, code="hook-test"):
    return ReportForm.objects.create(code=code, name="测试表", unit_types=["village"], effective_from=DAY, items=items)


# --- the version 2 preset -------------------------------------------------------------------


def test_version_2_is_in_force_from_february_2022_with_the_new_items_after_version_1():
    old, new = form_in_force("daily", datetime.date(2022, 1, 31)), form_in_force("daily", DAY)
    assert (old.version, new.version) == (1, 2)
    codes = [item["code"] for item in new.items]
    assert [item["code"] for item in old.items] == [code for code in codes if code not in NEW_ITEMS]
    assert codes[codes.index("tests_positive") + 1:codes.index("tests_positive") + 1 + len(NEW_ITEMS)] == NEW_ITEMS
    assert new.item("round_coverage") == {"code": "round_coverage", "label": "本轮检测覆盖率", "kind": "ratio",
                                          "numerator": "round_sampled", "denominator": "round_target"}
    assert {item["code"]: item["slot"] for item in new.items_of_kind("number")} == {
        item["code"]: item["slot"] for item in old.items_of_kind("number")}


def test_an_existing_database_with_version_1_only_gets_version_2_with_the_same_slots(db):
    ReportForm.objects.filter(code="daily", version=2).delete()
    old = ReportForm.objects.get(code="daily")
    assert "daily v2" in load_presets()
    new = ReportForm.objects.get(code="daily", version=2)
    assert new.is_preset and new.effective_from == datetime.date(2022, 2, 1)
    assert {item["code"]: item["slot"] for item in new.items_of_kind("number")} == {
        item["code"]: item["slot"] for item in old.items_of_kind("number")}
    assert load_presets() == []


def test_no_preset_version_is_added_beside_a_version_of_the_users_own(db):
    ReportForm.objects.filter(code="daily", version=2).delete()
    doc = next(doc for doc in preset_forms() if doc["code"] == "daily" and doc["version"] == 1)
    ReportForm.objects.create(**{**doc, "version": 5, "effective_from": datetime.date(2022, 3, 1)})
    assert load_presets() == []
    assert sorted(ReportForm.objects.filter(code="daily").values_list("version", flat=True)) == [1, 5]


def test_no_preset_version_is_added_to_an_edited_preset(db):
    ReportForm.objects.filter(code="daily", version=2).delete()
    old = ReportForm.objects.get(code="daily")
    old.deadlines = {**old.deadlines, "village": "12:00"}
    old.save()
    assert load_presets() == []
    assert not ReportForm.objects.filter(code="daily", version=2).exists()


# --- sources counted from the tubes ----------------------------------------------------------


def test_samples_taken_and_positive_count_each_sample_where_the_person_lives(triad, round_day):
    county = triad.county
    form = form_in_force("daily", DAY)
    values = rollup_many(form, [county.town, county.east, county.west, county.river], DAY)
    town, east, west = values[county.town.pk], values[county.east.pk], values[county.west.pk]
    assert town["samples_taken"] == {"new": 4, "cumulative": 5}  # 人次: 张三丰's two samples both count
    assert east["samples_taken"] == {"new": 3, "cumulative": 4}
    assert west["samples_taken"] == {"new": 1, "cumulative": 1}
    assert town["samples_positive"] == west["samples_positive"] == {"new": 1, "cumulative": 1}
    assert east["samples_positive"] == {"new": 0, "cumulative": 0}
    assert values[county.river.pk]["samples_taken"] == {"new": 0, "cumulative": 0}
    # The positive counts from the tube's result time, not the scan.
    assert rollup(form, county.town, DAY, at(19))["samples_positive"] == {"new": 0, "cumulative": 0}


def test_pending_counts_samples_without_a_result_at_the_cut_off_and_drops_to_zero_once_resulted(triad, round_day):
    county = triad.county
    form = form_in_force("daily", DAY)
    assert rollup(form, county.town, DAY, at(12))["samples_pending"] == 4
    by_unit = rollup_many(form, [county.east, county.west], DAY)
    assert by_unit[county.east.pk]["samples_pending"] == 1 and by_unit[county.west.pk]["samples_pending"] == 0
    Tube.objects.filter(pk=round_day["T3"].pk).update(result=Result.NEGATIVE, result_at=at(22),
                                                      status=TubeStatus.RESULTED)
    assert rollup(form, county.town, DAY)["samples_pending"] == 0
    assert rollup(form, county.town, DAY, at(21))["samples_pending"] == 1


def test_round_coverage_counts_each_person_once_and_the_towns_ratio_is_of_its_totals(triad, round_day):
    county = triad.county
    form = form_in_force("daily", DAY)
    early = rollup_many(form, [county.town, county.east, county.west], DAY, at(9, 30))
    town, east, west = early[county.town.pk], early[county.east.pk], early[county.west.pk]
    assert (town["round_target"], town["round_exempt"], town["round_sampled"]) == (3, 1, 2)
    assert (east["round_coverage"], west["round_coverage"]) == (100.0, 0.0)
    assert town["round_coverage"] == 66.7  # 2 of 3, not the mean of 100% and 0%
    late = rollup(form, county.town, DAY)
    assert late["round_sampled"] == 3 and late["round_coverage"] == 100.0  # 张三丰 sampled twice, once here
    nothing = rollup(form, county.river, DAY)
    assert (nothing["round_target"], nothing["round_coverage"]) == (0, None)


def test_vaccination_items_and_their_ratios(triad, vaccinated):
    county = triad.county
    values = rollup_many(form_in_force("daily", DAY), [county.town, county.east, county.west], DAY)
    town = values[county.town.pk]
    assert [town[code] for code in ("vaccination_population", "vaccinated", "fully_vaccinated", "boosted",
                                    "population_60", "vaccinated_60")] == [3, 2, 1, 1, 1, 1]
    assert (town["vaccination_coverage"], town["full_vaccination_rate"], town["vaccination_coverage_60"]) == (
        66.7, 33.3, 100.0)
    assert values[county.east.pk]["vaccination_coverage"] == 100.0
    assert values[county.west.pk]["vaccination_coverage"] == 0.0
    assert values[county.west.pk]["vaccination_coverage_60"] is None  # nobody aged 60 or more


# --- the compute hook and ratio items ---------------------------------------------------------


def test_a_computing_source_is_called_once_for_all_units_and_all_its_items(triad, counter_source):
    county = triad.county
    form = _form([
        {"code": "whole", "label": "总数", "kind": "computed", "source": "counter_test", "measure": "current",
         "params": {"field": "whole"}},
        {"code": "part", "label": "部分", "kind": "computed", "source": "counter_test", "measure": "current",
         "params": {"field": "part"}},
        {"code": "share", "label": "占比", "kind": "ratio", "numerator": "part", "denominator": "whole"},
    ])
    values = rollup_many(form, [county.town, county.east, county.west, county.county], DAY)
    assert len(counter_source) == 1  # every level at once, shared by both items
    assert values[county.east.pk] == {"whole": 48, "part": 12, "share": 25.0}
    assert values[county.county.pk] == {"whole": 0, "part": 0, "share": None}  # not given: 0, no ratio
    assert sorted(counter_source[0][0]) == sorted(unit.path for unit in (county.town, county.east, county.west,
                                                                         county.county))


def test_ratio_items_are_validated_with_chinese_messages():
    doc = next(doc for doc in preset_forms() if doc["version"] == 2)
    items = doc["items"]
    by_code = {item["code"]: item for item in items}
    by_code["round_coverage"].update(numerator="nowhere", unit="%")
    by_code["vaccination_coverage"]["denominator"] = "samples_taken"  # both new and cumulative
    by_code["full_vaccination_rate"]["denominator"] = "fully_vaccinated"
    by_code["vaccination_coverage_60"]["denominator"] = "outsiders_registered"
    del by_code["population_60"]["params"]
    by_code["boosted"]["numerator"] = "vaccinated"
    with pytest.raises(ValidationError) as error:
        validate_form(doc)
    place = {item["code"]: i for i, item in enumerate(items)}
    found = error.value.messages
    assert f"items[{place['round_coverage']}].unit：比率项目按百分数显示，不能设置单位" in found
    assert f'items[{place["round_coverage"]}].numerator：未知的项目 "nowhere"' in found
    assert (f'items[{place["vaccination_coverage"]}].denominator：项目 "samples_taken" 必须是只有一个数的系统统计项目'
            "（measure 为 new、cumulative 或 current）") in found
    assert f"items[{place['full_vaccination_rate']}].denominator：分母不能与分子是同一个项目" in found
    assert any(message.startswith(f'items[{place["vaccination_coverage_60"]}].denominator：项目 "outsiders_registered"')
               for message in found)
    assert (f'items[{place["population_60"]}].params.field：数据来源 "vaccination" 须用 params.field 选定统计哪一项'
            "（可用：population、vaccinated、full、boosted、population_60、vaccinated_60）") in found
    assert f"items[{place['boosted']}].numerator：只有比率项目（ratio）才能设置" in found
    ratio_without = {"code": "r", "label": "比率", "kind": "ratio"}
    with pytest.raises(ValidationError) as error:
        validate_form({**doc, "items": [*preset_forms()[0]["items"], ratio_without]})
    assert "items[27].numerator：比率项目必须写明分子和分母（numerator、denominator：项目编码）" in error.value.messages


def test_a_ratio_is_never_filed_by_hand(triad):
    form = form_in_force("daily", DAY)
    values = {item["code"]: 0 for item in form.items_of_kind("number")}
    with pytest.raises(ValidationError) as error:
        file_report(form, triad.county.east, DAY, {**values, "round_coverage": 90}, triad.inside, now=at(12))
    assert error.value.message_dict == {"round_coverage": ["本轮检测覆盖率由系统统计，不能手工填报"]}


# --- the contract, the table, the pages, the snapshot -------------------------------------------


def test_daily_json_carries_the_new_items_and_ratios_as_percentages(triad, round_day, vaccinated, capsys):
    call_command("report", "daily", "--unit", triad.county.town.code, "--date", DAY.isoformat(), "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["form"]["version"] == 2
    items = report["items"]
    assert set(NEW_ITEMS) <= set(items)
    assert items["samples_taken"] == {"new": 4, "cumulative": 5}
    assert items["samples_pending"] == 1
    # 居民401 and 居民402 of the vaccination records live in the round's scope too.
    assert (items["round_target"], items["round_sampled"], items["round_coverage"]) == (5, 3, 60.0)
    assert items["vaccination_coverage"] == 66.7 and isinstance(items["vaccination_coverage"], float)


def test_daily_xlsx_shows_ratios_as_percentages_and_the_total_row_recomputes_them(triad, round_day):
    county = triad.county
    form = form_in_force("daily", DAY)
    report = daily_report(county.town, DAY, form=form, as_of=at(9, 30))
    content = daily_xlsx(report, county.town, DAY, form, at(9, 30))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    headers = [cell.value for cell in sheet[3]]
    column = headers.index("本轮检测覆盖率") + 1
    rows = {sheet.cell(row, 1).value: sheet.cell(row, column) for row in range(4, sheet.max_row + 1)}
    assert rows["东门村"].value == 1.0 and rows["西门村"].value == 0.0
    total = rows["城关镇合计"]
    assert total.value == pytest.approx(0.667) and total.number_format == "0.0%"
    assert headers.index("全员核酸采样人次（人次）\n当日新增") > 0
    vaccination = headers.index("疫苗接种覆盖率") + 1
    assert sheet.cell(sheet.max_row, vaccination).value == "—"  # no population: no ratio


def test_a_day_that_is_over_is_reported_from_its_snapshot_with_the_ratios(triad, round_day):
    county = triad.county
    form = form_in_force("daily", DAY)
    take_snapshots(form, DAY, [county.town], now=at(9, day=DAY + datetime.timedelta(1)))
    # Recorded later: a sample scanned late that day, and the exemption taken back.
    Sample.objects.create(tube=round_day["T3"], round=round_day["T3"].round, person=triad.west_person,
                          scanned_at=at(23))
    Exemption.objects.all().delete()
    assert rollup(form, county.town, DAY)["round_coverage"] == 75.0
    report = daily_report(county.town, DAY, form=form)
    assert report["snapshot"]["version"] == 1
    assert report["items"]["round_coverage"] == 100.0 and report["items"]["samples_taken"]["new"] == 4
    assert set(report["items"]) == {item["code"] for item in form.items}


def test_the_filing_page_shows_the_ratios_as_percentages(triad, round_day, as_user):
    form = form_in_force("daily", DAY)
    values = {item["code"]: 0 for item in form.items_of_kind("number")}
    filing = file_report(form, triad.county.east, DAY, values, triad.inside, now=at(9, 30))
    assert "round_coverage" not in filing.computed and filing.computed["round_sampled"] == 2
    page = as_user(triad.inside).get(f"/reports/filings/{filing.pk}/")
    assert page.status_code == 200
    assert "100.0%" in page.content.decode()
    form_page = as_user(triad.inside).get(f"/reports/file/{triad.county.east.code}/{DAY.isoformat()}/")
    row = next(row for row in form_page.context["computed_rows"] if row["code"] == "round_coverage")
    assert (row["new"], row["total"]) == (None, "100.0%")
    pending = next(row for row in form_page.context["computed_rows"] if row["code"] == "samples_pending")
    assert pending["current"] and pending["current_word"] == "待出"
    assert as_user(triad.neighbour).get(f"/reports/filings/{filing.pk}/").status_code == 404


def test_situation_templates_get_the_new_codes_and_a_percent_filter():
    form = form_in_force("daily", DAY)
    context = sample_context(form)
    assert context["items"]["round_coverage"] == 87.5
    assert (percent(87.5), percent(None)) == ("87.5%", "—")
    tags = {row["tag"] for row in template_context_help(form)}
    assert "{{ items.round_coverage|percent }}" in tags and "{{ items.samples_pending }}" in tags


# --- the jurisdiction triad on the daily report API ---------------------------------------------


def test_the_daily_api_gives_the_new_items_within_the_jurisdiction_only(triad, round_day, api):
    url = "/api/v1/daily-reports/"
    east = {"unit": triad.county.east.code, "date": DAY.isoformat()}
    inside = api(triad.inside).get(url, east)
    assert inside.status_code == 200 and inside.json()["items"]["round_coverage"] == 100.0
    assert api(triad.neighbour).get(url, east).status_code == 404
    town = api(triad.above).get(url, {"unit": triad.county.town.code, "date": DAY.isoformat()}).json()
    assert town["items"]["samples_positive"] == {"new": 1, "cumulative": 1}
    assert api(triad.inside).get(url, {"unit": triad.county.town.code, "date": DAY.isoformat()}).status_code == 404


def test_the_rollup_of_a_whole_tree_does_not_query_per_unit(triad, round_day, vaccinated):
    county = triad.county
    form = form_in_force("daily", DAY)
    with CaptureQueriesContext(connection) as few:
        rollup_many(form, [county.east], DAY)
    with CaptureQueriesContext(connection) as more:
        rollup_many(form, [county.east, county.west, county.river], DAY)
    assert len(more) == len(few)


def test_the_dashboard_shows_the_testing_figures_and_each_childs_round_coverage(triad, round_day):
    county = triad.county
    now = at(9, 30)
    figures = {row["key"]: row["value"] for row in key_figures(county.town, now)["figures"]}
    assert figures["samples_new"] == figures["samples_pending"] == 2 and figures["round_coverage"] == 66.7
    assert figures["vaccination_coverage"] is None  # nobody with a birth date: no population
    rows = {row["name"]: row["figures"] for row in children_figures(county.town, now)}
    assert (rows["东门村"]["round_coverage"], rows["西门村"]["round_coverage"]) == (100.0, 0.0)
    assert ("round_coverage", "本轮检测覆盖率", "%") in child_columns(now)
    before = key_figures(county.town, local(datetime.date(2022, 1, 27), datetime.time(12)))["figures"]
    assert "samples_new" not in {row["key"] for row in before}  # version 1 has no such item
    assert ("round_coverage", "本轮检测覆盖率", "%") not in child_columns(at(12, day=datetime.date(2022, 1, 27)))
