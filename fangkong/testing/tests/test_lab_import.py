import csv
import datetime

import xlsxwriter

from fangkong.testing.models import Result, Tube, TubeResult
from fangkong.testing.services.lab import ResultRowsError
from fangkong.testing.services.results_import import import_results

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401


def write_csv(path, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path, rows):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value, moment)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return path


def test_csv_in_gb18030_with_header_variants_is_imported(lab, tmp_path):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    make_tube(lab.east_point, "T0002", batch=lab.batch)
    path = write_csv(tmp_path / "结果.csv", [
        ["示范县疾控中心核酸检测结果"],
        ["管码", "结果", "ORF Ct", "N基因 Ct", "报告时间"],
        ["T0001", "阴性", "/", "", "2022年4月1日12时30分"],
        ["t0002", "可疑", "36.5", "37.1", "2022/4/1 13:00"],
    ], encoding="gb18030")
    counts = import_results(path, lab.worker, NOW)
    assert (counts["rows"], counts["negative"], counts["abnormal"]) == (2, 1, 1)
    second = TubeResult.objects.get(tube__barcode="T0002")
    assert second.ct_values == {"ORF1ab": 36.5, "N": 37.1}
    assert second.source == "结果.csv"
    assert Tube.objects.get(barcode="T0001").result_at == NOW - datetime.timedelta(minutes=90)


def test_xlsx_with_date_cells_and_ct_columns_is_imported(lab, tmp_path):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    make_tube(lab.west_point, "12345678", batch=lab.batch)
    tested = datetime.datetime(2022, 4, 1, 11, 15)
    path = write_xlsx(tmp_path / "results.xlsx", [
        ["试管条码", "检测结果", "ORF1ab Ct", "N Ct", "检测时间"],
        ["T0001", "阳性", 31.2, 29.8, tested],
        [12345678, "negative", "NoCt", "NoCt", tested],
    ])
    counts = import_results(path, lab.worker, NOW)
    assert (counts["positive"], counts["negative"]) == (1, 1)
    tube = Tube.objects.get(barcode="T0001")
    assert tube.result == Result.POSITIVE and tube.results.get().ct_values == {"ORF1ab": 31.2, "N": 29.8}
    assert Tube.objects.get(barcode="12345678").result == Result.NEGATIVE


def test_a_bad_row_in_a_file_writes_nothing_and_names_row_and_column(lab, tmp_path):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    make_tube(lab.east_point, "T0002", batch=lab.batch)
    path = write_csv(tmp_path / "bad.csv", [
        ["条码", "检测结果", "检测时间"],
        ["T0001", "阴性", "2022-04-01 12:00"],
        ["T0002", "阳性?", "2022-04-01 12:00"],
        ["T0003", "阴性", "昨天"],
    ])
    try:
        import_results(path, lab.worker, NOW)
    except ResultRowsError as error:
        errors = [(e["row"], e["column"]) for e in error.errors]
        messages = " ".join(e["message"] for e in error.errors)
    else:
        raise AssertionError("the bad rows were accepted")
    assert errors == [(3, "检测结果"), (4, "检测时间")]
    assert "无法识别的检测结果" in messages and "无法识别的时间" in messages
    assert not TubeResult.objects.exists()


def test_a_file_without_the_needed_columns_is_refused_in_chinese(lab, tmp_path):
    path = write_csv(tmp_path / "wrong.csv", [["姓名", "身份证号"], ["张三", "1"]])
    try:
        import_results(path, lab.worker, NOW)
    except ResultRowsError as error:
        assert "试管条码" in error.errors[0]["message"] and error.errors[0]["row"] is None
    else:
        raise AssertionError("a file without a header was accepted")
