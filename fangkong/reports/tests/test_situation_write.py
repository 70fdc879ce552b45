"""Writing a situation report: the figures in the written .docx are those of the daily report
of the same unit and cut-off; bulletins are numbered per unit; the cut-off is written as
people write it (2022年1月27日12时)."""

import datetime
import io
import types

import docx
import pytest
from django.core.exceptions import ValidationError

from fangkong.control.models import CaseStatus
from fangkong.control.testing import local, make_case
from fangkong.orgs.models import CommandBody
from fangkong.people.models import Person
from fangkong.reports.models import Bulletin, Filing
from fangkong.reports.services import situation
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.forms import form_in_force
from fangkong.reports.services.situation import situation_context, write_situation
from fangkong.screening.models import Campaign, MemberAnswer, Outcome, Visit

DAY = datetime.date(2022, 1, 27)
AS_OF = local(DAY, datetime.time(12))
NOW = local(DAY, datetime.time(15))


def docx_text(content):
    """Every paragraph and table cell of a .docx, joined."""
    document = docx.Document(io.BytesIO(bytes(content)))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _visit(campaign, household, person, places, at):
    visit = Visit.objects.create(campaign=campaign, household=household, visited_at=at, outcome=Outcome.COMPLETED)
    MemberAnswer.objects.create(visit=visit, person=person, presence="present", places_visited=places)


@pytest.fixture
def records(triad):
    """东门村: a Wuhan returnee screened today, a close contact isolated at a site today, a
    person released today, a filing with an event; 西门村: a returnee from 孝感 screened two days
    ago, a secondary contact at home; 西门村 has not filed."""
    county = triad.county
    form = form_in_force("daily", DAY)
    campaign = Campaign.objects.create(name="春节返乡人员摸排", owner_unit=county.town, starts_on=DAY - datetime.timedelta(days=5))
    campaign.units.add(county.town)
    _visit(campaign, triad.east_household, triad.east_person, "湖北武汉", local(DAY, datetime.time(9)))
    _visit(campaign, triad.west_household, triad.west_person, "湖北孝感", local(DAY - datetime.timedelta(days=2), datetime.time(9)))
    make_case(triad.east_person, unit=county.east, opened_at=local(DAY, datetime.time(9)), place="site",
              phases=[("centralized_isolation", DAY, DAY + datetime.timedelta(days=13))])
    make_case(triad.west_person, unit=county.west, category="secondary_contact",
              opened_at=local(DAY - datetime.timedelta(days=2), datetime.time(9)),
              phases=[("home_isolation", DAY - datetime.timedelta(days=1), DAY + datetime.timedelta(days=5))])
    released = Person.objects.create(name="赵六", unit=county.east_grid)
    make_case(released, unit=county.east, category="high_risk_area", status=CaseStatus.RELEASED,
              opened_at=local(DAY - datetime.timedelta(days=10), datetime.time(9)),
              closed_at=local(DAY, datetime.time(10)),
              phases=[("home_isolation", DAY - datetime.timedelta(days=9), DAY - datetime.timedelta(days=1))])
    Filing.objects.create(form=form, unit=county.east, day=DAY, filed_at=local(DAY, datetime.time(11)),
                          values={"gatherings_stopped": 1, "events": "劝阻村民聚餐一起"})
    return types.SimpleNamespace(county=county, form=form)


def test_the_2020_report_writes_the_daily_report_figures_in_the_002_sentence(records):
    town = records.county.town
    bulletin = write_situation(town, AS_OF, now=NOW)
    items = daily_report(town, DAY, as_of=AS_OF, now=NOW)["items"]
    # The records above make every figure of the sentence count something.
    assert items["hubei_returnees"]["cumulative"] == 2 and items["wuhan_returnees"]["cumulative"] == 1
    assert items["key_persons"]["new"] == 1 and items["released"]["new"] == 1
    assert items["close_contacts"]["cumulative"] == 1
    text = docx_text(bulletin.content)
    assert "城关镇疫情防控工作情况汇报" in text
    assert (
        f"截至2022年1月27日12时，全镇累计摸排湖北省返乡人员{items['hubei_returnees']['cumulative']}人，"
        f"其中武汉返乡人员{items['wuhan_returnees']['cumulative']}人，当日新发登记人数{items['key_persons']['new']}人，"
        f"解除随访人数{items['released']['new']}人。到目前为止，已有密切接触者{items['close_contacts']['cumulative']}人"
    ) in text
    assert "2022年1月27日应报日报的单位2个，已报1个，按时报送1个，未报1个（西门村）。" in text
    assert "1. 东门村：劝阻村民聚餐一起" in text
    assert "城关镇疫情防控工作领导小组办公室" in text


def test_the_cut_off_limits_the_figures(records):
    town = records.county.town
    early = local(DAY, datetime.time(8))
    bulletin = write_situation(town, early, now=NOW)
    text = docx_text(bulletin.content)
    assert "截至2022年1月27日8时，全镇累计摸排湖北省返乡人员1人，其中武汉返乡人员0人，当日新发登记人数0人，解除随访人数0人" in text


def test_the_bulletin_table_has_a_row_per_village_equal_to_its_roll_up(records):
    county = records.county
    bulletin = write_situation(county.town, AS_OF, template_code="bulletin", now=NOW)
    text = docx_text(bulletin.content)
    east = daily_report(county.east, DAY, as_of=AS_OF, now=NOW)["items"]
    west = daily_report(county.west, DAY, as_of=AS_OF, now=NOW)["items"]
    total = daily_report(county.town, DAY, as_of=AS_OF, now=NOW)["items"]
    assert "城关镇疫情防控工作简报" in text and "第1期" in text

    def row(name, items, filed):
        return " | ".join([name, str(items["screened_persons"]["cumulative"]), str(items["hubei_returnees"]["cumulative"]),
                           str(items["key_persons"]["new"]), str(items["under_control"]), str(items["isolated_total"]),
                           filed])

    assert row("东门村", east, "1/1") in text
    assert row("西门村", west, "0/1") in text
    assert row("合计", total, "1/2") in text
    assert east["under_control"] == 1 and west["under_control"] == 1 and total["under_control"] == 2


def test_the_isolation_census_parts_add_up_to_the_total(records):
    bulletin = write_situation(records.county.town, AS_OF, template_code="isolation-census", now=NOW)
    items = daily_report(records.county.town, DAY, as_of=AS_OF, now=NOW)["items"]
    text = docx_text(bulletin.content)
    assert (f"目前，全镇正在集中隔离{items['isolated_total']}人（其中密接{items['isolated_close_contacts']}人，"
            f"次密接{items['isolated_secondary_contacts']}人，境外返回{items['isolated_inbound']}人，"
            f"其他中高风险区{items['isolated_others']}人）") in text
    assert items["isolated_total"] == 1 == items["isolated_close_contacts"]


def test_the_four_categories_report_writes_the_000_sentences(records):
    bulletin = write_situation(records.county.town, AS_OF, template_code="four-categories", now=NOW)
    items = daily_report(records.county.town, DAY, as_of=AS_OF, now=NOW)["items"]
    text = docx_text(bulletin.content)
    assert f"截至2022年1月27日12时共计摸排“四类人员”{items['key_persons']['cumulative']}人" in text
    assert f"全镇共登记武汉返乡人员{items['wuhan_returnees']['cumulative']}人" in text
    assert f"已过观察期{items['released']['cumulative']}人" in text


def test_bulletins_are_numbered_per_unit(records):
    county = records.county
    first = write_situation(county.town, AS_OF, now=NOW)
    second = write_situation(county.town, AS_OF, template_code="bulletin", now=NOW)
    village = write_situation(county.east, AS_OF, template_code="bulletin", now=NOW)
    assert (first.number, second.number, village.number) == (1, 2, 1)
    assert "第2期" in docx_text(second.content)
    assert second.title == "城关镇疫情防控工作简报（第2期，截至2022年1月27日12时）"
    assert village.unit_path == county.east.path and second.issued_at == NOW


def test_a_number_taken_meanwhile_is_skipped(records, monkeypatch):
    county = records.county
    write_situation(county.town, AS_OF, now=NOW)
    taken = iter([1])  # as if another writer read the same maximum before this one saved
    real = situation.next_number
    monkeypatch.setattr(situation, "next_number", lambda unit: next(taken, None) or real(unit))
    bulletin = write_situation(county.town, AS_OF, now=NOW)
    assert bulletin.number == 2
    assert sorted(Bulletin.objects.filter(unit=county.town).values_list("number", flat=True)) == [1, 2]


def test_a_cut_off_in_the_future_an_unknown_template_or_a_day_without_a_form_is_refused(records):
    town = records.county.town
    with pytest.raises(ValidationError, match="统计截至时间不能晚于现在"):
        write_situation(town, NOW + datetime.timedelta(hours=1), now=NOW)
    with pytest.raises(LookupError, match="汇报模板“no-such”不存在"):
        write_situation(town, AS_OF, template_code="no-such", now=NOW)
    with pytest.raises(ValidationError, match="2019年12月31日没有生效的报表“daily”"):
        write_situation(town, local(datetime.date(2019, 12, 31), datetime.time(12)), now=NOW)
    assert not Bulletin.objects.exists()


def test_the_context_writes_dates_the_chinese_way_and_names_the_area(records):
    county = records.county
    context = situation_context(county.town, AS_OF, number=7, now=NOW)
    assert context["as_of_text"] == "2022年1月27日12时"
    assert context["issue_date"] == "2022年1月27日"
    assert (context["area_word"], context["number"]) == ("镇", 7)
    assert context["completeness"]["missing_names"] == ["西门村"]
    assert [row.name for row in context["children"]] == ["东门村", "西门村"]
    assert situation_context(county.county, AS_OF, now=NOW)["area_word"] == "县"
    assert situation_context(county.east, AS_OF, now=NOW)["area_word"] == "村"
    end_of_day = local(DAY, datetime.time(23, 59, 59))
    assert situation_context(county.town, end_of_day, now=NOW + datetime.timedelta(days=1))["as_of_text"] == \
        "2022年1月27日24时"


def test_the_issuer_is_the_units_leading_group_when_it_has_one(records):
    CommandBody.objects.create(unit=records.county.town, name="城关镇新冠肺炎疫情防控指挥部")
    text = docx_text(write_situation(records.county.town, AS_OF, now=NOW).content)
    assert "城关镇新冠肺炎疫情防控指挥部办公室" in text
