"""The preview contract for every preset regimen and every category it defines, with the
dates worked out by hand from the source reports' own sentences (the reasoning is next to each
case). The previews run through `fangkong control preview`, reading the presets that migrate
loaded into the database."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import PRESET_DIR, load_presets, preset_documents

CI, HI, HHM, DHM = "centralized_isolation", "home_isolation", "home_health_monitoring", "daily_health_monitoring"
P, CO = "person", "co_residents"


def expect(phases, tests, release_on):
    return {
        "phases": [{"measure": m, "first_day": a, "last_day": b} for m, a, b in phases],
        "tests": [{"date": day, "who": who} for day, who in tests],
        "release_on": release_on,
    }


# (regimen, category, anchor, arrival or None, expected preview)
CASES = [
    # ── early-2020 ─────────────────────────────────────────────────────────────────────
    # 000:60 “對湖北返津人員及密集接觸人員……居家觀察14日……每日早晚主動進行體溫監測”:
    # a close contact last exposed 1月25日, found 1月28日: the 14 days run 1月26日–2月8日 from the
    # exposure, so at home from the arrival 1月28日 to 2月8日; no tests (none in 2020); free 2月9日.
    ("early-2020", "close_contact", "2020-01-25", "2020-01-28",
     expect([(HI, "2020-01-28", "2020-02-08")], [], "2020-02-09")),
    # 004:18 Wuhan returnee (三包一) left 1月22日, no arrival given → arrived 1月23日:
    # 14 days 1月23日–2月5日, released 2月6日.
    ("early-2020", "high_risk_area", "2020-01-22", None,
     expect([(HI, "2020-01-23", "2020-02-05")], [], "2020-02-06")),

    # ── gongtian-2022 (001:237) ───────────────────────────────────────────────────────
    # Inbound “在入境地實施完14天的集中隔離后,閉環轉運返縣后繼續實施7天的集中隔離和返鄉7天的居家健康監測”,
    # tests “第2、7天”of home monitoring and “解除居家健康監測后的第7天”. Entered 1月3日 and under
    # control that day (anchor = arrival): port 1月3日–1月16日, county 1月17日–1月23日, home
    # 1月24日–1月30日; tests 1月25日, 1月30日 and 1月30日+7 = 2月6日; released 1月31日.
    ("gongtian-2022", "inbound", "2022-01-03", "2022-01-03",
     expect([(CI, "2022-01-03", "2022-01-16"), (CI, "2022-01-17", "2022-01-23"), (HHM, "2022-01-24", "2022-01-30")],
            [("2022-01-25", P), ("2022-01-30", P), ("2022-02-06", P)], "2022-01-31")),
    # Close contact “實行14天集中隔離和7天的居家健康監測” (no fill-and-top-up in the text): last
    # exposure 1月12日, put under control 1月14日: isolation 1月14日–1月27日, home 1月28日–2月3日;
    # tests 1月29日, 2月3日, 2月10日; released 2月4日.
    ("gongtian-2022", "close_contact", "2022-01-12", "2022-01-14",
     expect([(CI, "2022-01-14", "2022-01-27"), (HHM, "2022-01-28", "2022-02-03")],
            [("2022-01-29", P), ("2022-02-03", P), ("2022-02-10", P)], "2022-02-04")),
    # Secondary contact, same rule; exposure 1月12日, arrival the next day 1月13日: isolation
    # 1月13日–1月26日, home 1月27日–2月2日; tests 1月28日, 2月2日, 2月9日; released 2月3日.
    ("gongtian-2022", "secondary_contact", "2022-01-12", None,
     expect([(CI, "2022-01-13", "2022-01-26"), (HHM, "2022-01-27", "2022-02-02")],
            [("2022-01-28", P), ("2022-02-02", P), ("2022-02-09", P)], "2022-02-03")),
    # Space-time companion, same rule, found the day of the exposure 1月20日: 1月20日–2月2日,
    # home 2月3日–2月9日; tests 2月4日, 2月9日, 2月16日; released 2月10日.
    ("gongtian-2022", "spacetime_companion", "2022-01-20", "2022-01-20",
     expect([(CI, "2022-01-20", "2022-02-02"), (HHM, "2022-02-03", "2022-02-09")],
            [("2022-02-04", P), ("2022-02-09", P), ("2022-02-16", P)], "2022-02-10")),
    # “出院后14天內的確診病例”: discharged 1月15日 and taken over 1月16日: isolation 1月16日–1月29日,
    # home 1月30日–2月5日; tests 1月31日, 2月5日, 2月12日; released 2月6日.
    ("gongtian-2022", "discharged_case", "2022-01-15", None,
     expect([(CI, "2022-01-16", "2022-01-29"), (HHM, "2022-01-30", "2022-02-05")],
            [("2022-01-31", P), ("2022-02-05", P), ("2022-02-12", P)], "2022-02-06")),
    # “解除集中隔離后7天內的……密切接觸者……實行7天居[家]隔離……于第2、7天各進行一次核酸檢測,并在解除……后的第7天”:
    # released from isolation 1月18日, found 1月21日: home isolation 1月21日–1月27日; tests 1月22日,
    # 1月27日, 2月3日; released 1月28日.
    ("gongtian-2022", "post_isolation_contact", "2022-01-18", "2022-01-21",
     expect([(HI, "2022-01-21", "2022-01-27")], [("2022-01-22", P), ("2022-01-27", P), ("2022-02-03", P)],
            "2022-01-28")),
    # High-risk returnee “自離開之日起,按照填平補齊原則,實行“14天集中隔離+7天居家健康監測”” left 1月10日,
    # arrived 1月15日: 14 days centralised from 1月11日 to 1月24日, starts on arrival 1月15日; home
    # monitoring 1月25日–1月31日, tests 1月26日 and 1月31日, 7th day after release 2月7日; release 2月1日.
    ("gongtian-2022", "high_risk_area", "2022-01-10", "2022-01-15",
     expect([(CI, "2022-01-15", "2022-01-24"), (HHM, "2022-01-25", "2022-01-31")],
            [("2022-01-26", P), ("2022-01-31", P), ("2022-02-07", P)], "2022-02-01")),
    # The same returnee arriving 1月27日: the isolation (to 1月24日) is over and skipped; home
    # monitoring 1月25日–1月31日 starts on 1月27日; its day-2 test (1月26日) is done on arrival.
    ("gongtian-2022", "high_risk_area", "2022-01-10", "2022-01-27",
     expect([(HHM, "2022-01-27", "2022-01-31")], [("2022-01-27", P), ("2022-01-31", P), ("2022-02-07", P)],
            "2022-02-01")),
    # Medium-risk returnee “自離開之日起,按照填平補齊原則,實行“7天居家健康監測”…(第2、7天各一次)”
    # left 1月20日, arrived 1月23日: monitoring 1月21日–1月27日 from 1月23日; day 2 (1月22日) is
    # missed → on arrival 1月23日; day 7 1月27日; 1月27日+7 = 2月3日; released 1月28日.
    ("gongtian-2022", "medium_risk_area", "2022-01-20", "2022-01-23",
     expect([(HHM, "2022-01-23", "2022-01-27")], [("2022-01-23", P), ("2022-01-27", P), ("2022-02-03", P)],
            "2022-01-28")),
    # High-risk post “推廣“14+7+7”管理模式……每隔1天進行1次核酸檢測……工作人員家屬每周1次”: duty from
    # 1月11日 (anchor 1月10日): closed loop 1月11日–1月24日 tested on days 1,3,…,13 (1月11、13、15、17、
    # 19、21、23日), family on days 1 and 8 (1月11日, 1月18日); isolation 1月25日–1月31日; home
    # monitoring 2月1日–2月7日; released 2月8日.
    ("gongtian-2022", "high_risk_post", "2022-01-10", None,
     expect([(DHM, "2022-01-11", "2022-01-24"), (CI, "2022-01-25", "2022-01-31"), (HHM, "2022-02-01", "2022-02-07")],
            [("2022-01-11", P), ("2022-01-11", CO), ("2022-01-13", P), ("2022-01-15", P), ("2022-01-17", P),
             ("2022-01-18", CO), ("2022-01-19", P), ("2022-01-21", P), ("2022-01-23", P)], "2022-02-08")),
    # “有本土病例報告省份的返鄉人員……落地后24時之內再進行一次核酸檢測,方可有序流動出行”: landed 1月25日:
    # tested that day, monitored that one day, free from 1月26日.
    ("gongtian-2022", "local_case_province", "2022-01-25", "2022-01-25",
     expect([(DHM, "2022-01-25", "2022-01-25")], [("2022-01-25", P)], "2022-01-26")),

    # ── qingliangfeng-2022 (001:35-36) ────────────────────────────────────────────────
    # Inbound “14+7+7” with “4+1”: entered 1月5日 (under control that day): isolation 1月5日–1月18日
    # tested at its start (1月5日) and end (1月18日); home observation 1月19日–1月25日 tested at its
    # end 1月25日, with the co-residents the same day; daily monitoring 1月26日–2月1日 tested at its
    # end 2月1日; released 2月2日.
    ("qingliangfeng-2022", "inbound", "2022-01-05", "2022-01-05",
     expect([(CI, "2022-01-05", "2022-01-18"), (HI, "2022-01-19", "2022-01-25"), (DHM, "2022-01-26", "2022-02-01")],
            [("2022-01-05", P), ("2022-01-18", P), ("2022-01-25", P), ("2022-01-25", CO), ("2022-02-01", P)],
            "2022-02-02")),
    # High-risk returnee “應在抵臨后第一時間……接受核酸檢測……實施“7+7”管控措施”: arrived 1月20日:
    # tested 1月20日; home observation 1月20日–1月26日; daily monitoring 1月27日–2月2日; released 2月3日.
    ("qingliangfeng-2022", "high_risk_area", "2022-01-20", "2022-01-20",
     expect([(HI, "2022-01-20", "2022-01-26"), (DHM, "2022-01-27", "2022-02-02")], [("2022-01-20", P)],
            "2022-02-03")),
    # Medium-risk returnee, same rule, arrival not given (anchor 1月20日 → arrival 1月21日):
    # tested 1月21日; 1月21日–1月27日, 1月28日–2月3日; released 2月4日.
    ("qingliangfeng-2022", "medium_risk_area", "2022-01-20", None,
     expect([(HI, "2022-01-21", "2022-01-27"), (DHM, "2022-01-28", "2022-02-03")], [("2022-01-21", P)],
            "2022-02-04")),

    # ── national-v8 ───────────────────────────────────────────────────────────────────
    # Inbound 14 days centralised + 7 home monitoring, tests days 1, 4, 7, 14 of isolation: entered
    # 2021年6月1日 → isolation 6月2日–6月15日 (tests 6月2、5、8、15日), home 6月16日–6月22日; 6月23日.
    ("national-v8", "inbound", "2021-06-01", None,
     expect([(CI, "2021-06-02", "2021-06-15"), (HHM, "2021-06-16", "2021-06-22")],
            [("2021-06-02", P), ("2021-06-05", P), ("2021-06-08", P), ("2021-06-15", P)], "2021-06-23")),
    # Close contact, counted from the last exposure 6月1日 (isolation period 6月2日–6月15日), found
    # 6月4日: day-1 test (6月2日) is done on arrival 6月4日; days 4, 7, 14 = 6月5日, 6月8日, 6月15日.
    ("national-v8", "close_contact", "2021-06-01", "2021-06-04",
     expect([(CI, "2021-06-04", "2021-06-15"), (HHM, "2021-06-16", "2021-06-22")],
            [("2021-06-04", P), ("2021-06-05", P), ("2021-06-08", P), ("2021-06-15", P)], "2021-06-23")),
    # Secondary contact 7 days centralised from the last exposure 6月1日 (6月2日–6月8日), found 6月5日.
    ("national-v8", "secondary_contact", "2021-06-01", "2021-06-05",
     expect([(CI, "2021-06-05", "2021-06-08")], [], "2021-06-09")),

    # ── national-v9 (2022年6月) ───────────────────────────────────────────────────────
    # Inbound 7 days centralised + 3 home monitoring, tests days 1, 2, 3, 5, 7 of isolation and day
    # 3 of monitoring: entered and isolated 7月1日: 7月1日–7月7日 (7月1、2、3、5、7日), home
    # 7月8日–7月10日 (7月10日); released 7月11日.
    ("national-v9", "inbound", "2022-07-01", "2022-07-01",
     expect([(CI, "2022-07-01", "2022-07-07"), (HHM, "2022-07-08", "2022-07-10")],
            [("2022-07-01", P), ("2022-07-02", P), ("2022-07-03", P), ("2022-07-05", P), ("2022-07-07", P),
             ("2022-07-10", P)], "2022-07-11")),
    # Close contact last exposed 7月1日 (isolation 7月2日–7月8日), found 7月3日: the day-1 test
    # (7月2日) moves onto 7月3日, which is also day 2 — one test; then 7月4日, 7月6日, 7月8日; home
    # monitoring 7月9日–7月11日, test 7月11日; released 7月12日.
    ("national-v9", "close_contact", "2022-07-01", "2022-07-03",
     expect([(CI, "2022-07-03", "2022-07-08"), (HHM, "2022-07-09", "2022-07-11")],
            [("2022-07-03", P), ("2022-07-04", P), ("2022-07-06", P), ("2022-07-08", P), ("2022-07-11", P)],
            "2022-07-12")),
    # Secondary contact 7 days home isolation, tests days 1, 4, 7: exposure 7月1日 → 7月2日–7月8日,
    # tests 7月2日, 7月5日, 7月8日; released 7月9日.
    ("national-v9", "secondary_contact", "2022-07-01", None,
     expect([(HI, "2022-07-02", "2022-07-08")], [("2022-07-02", P), ("2022-07-05", P), ("2022-07-08", P)],
            "2022-07-09")),
    # High-risk area 7 days centralised from departure, tests days 1, 2, 3, 5, 7: left 7月1日, arrived
    # 7月5日: days 1–3 (7月2–4日) missed → one test on 7月5日; 7月6日, 7月8日; released 7月9日.
    ("national-v9", "high_risk_area", "2022-07-01", "2022-07-05",
     expect([(CI, "2022-07-05", "2022-07-08")], [("2022-07-05", P), ("2022-07-06", P), ("2022-07-08", P)],
            "2022-07-09")),
    # Medium-risk area 7 days home isolation, tests days 1, 4, 7: left 7月1日, arrived 7月3日: day 1
    # (7月2日) → 7月3日; 7月5日, 7月8日; released 7月9日.
    ("national-v9", "medium_risk_area", "2022-07-01", "2022-07-03",
     expect([(HI, "2022-07-03", "2022-07-08")], [("2022-07-03", P), ("2022-07-05", P), ("2022-07-08", P)],
            "2022-07-09")),
    # Low-risk area “two tests within 3 days”, encoded as 3 days of daily monitoring from the
    # arrival with tests on days 1 and 3: arrived 7月10日 → 7月10日–7月12日, tests 7月10日, 7月12日.
    ("national-v9", "low_risk_area", "2022-07-10", "2022-07-10",
     expect([(DHM, "2022-07-10", "2022-07-12")], [("2022-07-10", P), ("2022-07-12", P)], "2022-07-13")),
]


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


def preview(regimen, category, anchor, arrival):
    out = StringIO()
    args = ["preview", "--regimen", regimen, "--category", category, "--anchor", anchor]
    if arrival:
        args += ["--arrival", arrival]
    call_command("control", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(("regimen", "category", "anchor", "arrival", "expected"), CASES,
                         ids=[f"{c[0]}:{c[1]}:{c[3] or 'A+1'}" for c in CASES])
def test_preview_of_preset(regimen, category, anchor, arrival, expected):
    assert preview(regimen, category, anchor, arrival) == expected


def test_every_preset_category_has_a_case():
    covered = {(c[0], c[1]) for c in CASES}
    defined = {(v.code, category) for v in RegimenVersion.objects.filter(is_preset=True) for category in v.rules}
    assert defined == covered


def test_the_presets_of_the_contract_are_loaded_by_migrate():
    codes = set(RegimenVersion.objects.filter(is_preset=True).values_list("code", flat=True))
    assert codes == {"early-2020", "gongtian-2022", "qingliangfeng-2022", "national-v8", "national-v9"}
    assert {doc["code"] for doc in preset_documents()} == codes
    assert len(list(Path(PRESET_DIR).glob("*.yaml"))) == 5


def test_preset_effective_dates_and_teams():
    versions = {v.code: v for v in RegimenVersion.objects.filter(is_preset=True)}
    assert str(versions["early-2020"].effective_from) == "2020-01-20"
    assert str(versions["national-v8"].effective_from) == "2021-05-11"
    assert str(versions["gongtian-2022"].effective_from) == "2022-01-10"
    assert str(versions["qingliangfeng-2022"].effective_from) == "2022-01-01"
    assert str(versions["national-v9"].effective_from) == "2022-06-28"
    gongtian = versions["gongtian-2022"].rules["high_risk_area"]["team"]
    assert gongtian == {"name": "五包一", "roles": ["镇干部", "村干部", "村医", "民警", "网格员"],
                        "daily_sign_off": True, "photo": True}
    assert versions["early-2020"].rules["close_contact"]["team"]["name"] == "三包一"
    # “每日早晚主動進行體溫監測”: two follow-up windows a day.
    assert len(versions["early-2020"].rules["close_contact"]["follow_up"]["windows"]) == 2
    for version in versions.values():
        assert version.source
