import datetime

import pytest

from fangkong.alerts.models import Alert, AlertKind
from fangkong.testing.models import Chase, Result, Tube, TubeResult, TubeStatus
from fangkong.testing.services.lab import ResultRowsError, receive_tubes, record_results

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401

EARLIER = NOW - datetime.timedelta(hours=2)


def test_first_result_settles_the_tube(lab):
    make_tube(lab.east_point, "T0001", [lab.triad.east_person], batch=lab.batch)
    counts = record_results([{"barcode": "T0001", "result": "阴性", "ct_values": {"ORF1ab": "NoCt", "N": 38.5},
                              "tested_at": "2022-04-01 12:00"}], lab.worker, NOW, "api")
    assert counts == {"rows": 1, "tubes": 1, "negative": 1, "positive": 0, "abnormal": 0, "invalid": 0,
                      "duplicates": 0, "conflicts": 0, "unknown": 0}
    tube = Tube.objects.get(barcode="T0001")
    assert tube.result == Result.NEGATIVE and tube.status == TubeStatus.RESULTED and not tube.conflict
    assert tube.result_at == EARLIER
    kept = TubeResult.objects.get(tube=tube)
    assert kept.ct_values == {"N": 38.5} and kept.source == "api" and kept.reported_by == lab.worker


def test_chinese_and_english_words_are_accepted(lab):
    for i, word in enumerate(["negative", "阳性", "可疑", "异常", "无效"]):
        make_tube(lab.east_point, f"W{i}", batch=lab.batch)
    counts = record_results([{"barcode": f"W{i}", "result": word}
                             for i, word in enumerate(["negative", "阳性", "可疑", "异常", "无效"])],
                            lab.worker, NOW, "api")
    assert (counts["negative"], counts["positive"], counts["abnormal"], counts["invalid"]) == (1, 1, 2, 1)


def test_a_bad_row_writes_nothing_and_every_error_names_its_row(lab):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    rows = [{"barcode": "T0001", "result": "阴性"}, {"barcode": "T0001", "result": "阴"},
            {"barcode": "NOPE", "result": "阴性"}, {"barcode": "T0001", "result": "好"},
            {"barcode": "T0001", "result": "阴性", "ct_values": {"N": "abc"}},
            {"barcode": "T0001", "result": "阴性", "tested_at": "2022-04-02 12:00"}]
    with pytest.raises(ResultRowsError) as raised:
        record_results(rows, lab.worker, NOW, "api")
    errors = {(e["row"], e["field"]): e["message"] for e in raised.value.errors}
    assert set(errors) == {(3, "barcode"), (4, "result"), (5, "ct_values"), (6, "tested_at")}
    assert "NOPE" in errors[(3, "barcode")] and "不存在" in errors[(3, "barcode")]
    assert "无法识别的检测结果" in errors[(4, "result")]
    assert "不是数字" in errors[(5, "ct_values")]
    assert "晚于现在" in errors[(6, "tested_at")]
    assert raised.value.counts["unknown"] == 1
    assert not TubeResult.objects.exists()
    assert Tube.objects.get(barcode="T0001").result == ""


def test_a_different_later_result_is_kept_flagged_and_alerted_and_the_first_stays(lab):
    make_tube(lab.east_point, "T0001", [lab.triad.east_person], batch=lab.batch)
    record_results([{"barcode": "T0001", "result": "negative", "tested_at": EARLIER}], lab.worker, EARLIER, "a.csv")
    counts = record_results([{"barcode": "T0001", "result": "positive", "tested_at": NOW}], lab.worker, NOW, "b.csv")
    assert counts["conflicts"] == 1 and counts["positive"] == 1
    tube = Tube.objects.get(barcode="T0001")
    assert tube.result == Result.NEGATIVE and tube.result_at == EARLIER and tube.conflict
    assert list(tube.results.values_list("result", "conflicting")) == [("negative", False), ("positive", True)]
    alert = Alert.objects.get(kind=AlertKind.RESULT_CONFLICT)
    assert "T0001" in alert.title and alert.origin_unit == lab.east_point.unit
    assert alert.key == f"result_conflict:{tube.pk}"
    assert not Chase.objects.filter(tube=tube).exists()


def test_the_same_result_again_is_kept_as_a_duplicate(lab):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    record_results([{"barcode": "T0001", "result": "阴性"}], lab.worker, EARLIER, "api")
    counts = record_results([{"barcode": "T0001", "result": "negative"}, {"barcode": "T0001", "result": "阴性"}],
                            lab.worker, NOW, "api")
    assert counts["duplicates"] == 2 and counts["conflicts"] == 0 and counts["tubes"] == 1
    tube = Tube.objects.get(barcode="T0001")
    assert tube.result_at == EARLIER and not tube.conflict
    assert TubeResult.objects.filter(tube=tube, conflicting=False).count() == 3
    assert not Alert.objects.exists()


def test_an_invalid_run_is_replaced_by_the_rerun_without_conflict(lab):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    record_results([{"barcode": "T0001", "result": "无效", "tested_at": EARLIER}], lab.worker, EARLIER, "api")
    counts = record_results([{"barcode": "T0001", "result": "阴性"}, {"barcode": "T0001", "result": "无效"}],
                            lab.worker, NOW, "api")
    assert counts["conflicts"] == 0
    tube = Tube.objects.get(barcode="T0001")
    assert tube.result == Result.NEGATIVE and tube.result_at == NOW and not tube.conflict
    assert tube.results.count() == 3


def test_a_positive_first_result_starts_the_chase(lab):
    tube = make_tube(lab.east_point, "T0001", [lab.triad.east_person], batch=lab.batch)
    make_tube(lab.east_point, "T0002", [lab.triad.west_person], batch=lab.batch)
    record_results([{"barcode": "T0001", "result": "阳性", "ct_values": {"ORF1ab": 32.1, "N": 30.2}},
                    {"barcode": "T0002", "result": "阴性"}], lab.worker, NOW, "api")
    assert list(Chase.objects.values_list("tube__barcode", flat=True)) == ["T0001"]
    record_results([{"barcode": "T0001", "result": "阳性"}], lab.worker, NOW, "api")
    assert Chase.objects.filter(tube=tube).count() == 1


def test_the_lab_reports_only_on_tubes_it_received_or_of_its_jurisdiction(lab):
    make_tube(lab.east_point, "T0001")
    with pytest.raises(ResultRowsError) as raised:
        record_results([{"barcode": "T0001", "result": "阴性"}], lab.worker, NOW, "api")
    assert "尚未由本机构接收" in raised.value.errors[0]["message"]
    with pytest.raises(ResultRowsError):
        record_results([{"barcode": "T0001", "result": "阴性"}], lab.triad.neighbour, NOW, "api")
    receive_tubes(lab.unit, ["T0001"], lab.worker, NOW)
    assert record_results([{"barcode": "T0001", "result": "阴性"}], lab.worker, NOW, "api")["negative"] == 1


def test_thousands_of_results_take_a_handful_of_queries(lab, django_assert_max_num_queries):
    """A lab reports a whole run at once: one UPDATE per chunk of tubes, not one per tube."""
    tubes = [Tube(barcode=f"B{i:05d}", round=lab.round, point=lab.east_point, unit_path=lab.east_point.unit_path,
                  status=TubeStatus.RECEIVED, batch=lab.batch, opened_at=EARLIER) for i in range(4500)]
    Tube.objects.bulk_create(tubes)
    rows = [{"barcode": t.barcode, "result": "阴性", "tested_at": NOW} for t in tubes]
    with django_assert_max_num_queries(16):
        counts = record_results(rows, lab.worker, NOW, "api")
    assert counts["negative"] == 4500 and counts["tubes"] == 4500
    settled = Tube.objects.filter(batch=lab.batch, result=Result.NEGATIVE, status=TubeStatus.RESULTED, result_at=NOW,
                                  conflict=False)
    assert settled.count() == 4500 and TubeResult.objects.count() == 4500
