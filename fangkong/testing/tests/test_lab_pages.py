from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.testing.models import Result, TubeResult
from fangkong.testing.services.lab import record_results

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401


def upload(client, name, text, encoding="utf-8"):
    return client.post("/testing/lab/", {"file": SimpleUploadedFile(name, text.encode(encoding))})


def test_uploading_a_results_file_shows_the_counts(lab, as_user):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    make_tube(lab.east_point, "T0002", batch=lab.batch)
    client = as_user(lab.worker)
    assert client.get("/testing/lab/").status_code == 200
    response = upload(client, "结果.csv", "试管条码,检测结果,检测时间\nT0001,阴性,2022-04-01 12:00\n"
                                          "T0002,阴性,2022-04-01 12:00\n", encoding="gb18030")
    assert response.status_code == 200
    page = response.content.decode()
    assert "已导入" in page and "<td>2</td>" in page
    assert TubeResult.objects.count() == 2


def test_a_bad_file_shows_the_errors_in_chinese_and_writes_nothing(lab, as_user):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    response = upload(as_user(lab.worker), "bad.csv", "条码,结果\nT0001,阴性\nT0009,阴性\n")
    page = response.content.decode()
    assert "未导入" in page and "第3行" in page and "T0009" in page
    assert not TubeResult.objects.exists()


def test_uploading_needs_the_lab_permission(lab, as_user):
    assert as_user(lab.triad.inside).get("/testing/lab/").status_code == 403


def test_conflicting_tubes_show_both_results_within_the_jurisdiction(lab, as_user):
    make_tube(lab.east_point, "E0001", batch=lab.batch)
    make_tube(lab.west_point, "W0001", batch=lab.batch)
    for barcode in ("E0001", "W0001"):
        record_results([{"barcode": barcode, "result": "阴性", "tested_at": "2022-04-01 12:00"}], lab.worker, NOW, "api")
        record_results([{"barcode": barcode, "result": "阳性", "tested_at": "2022-04-01 13:00"}], lab.worker, NOW, "api")
    assert TubeResult.objects.filter(conflicting=True, result=Result.POSITIVE).count() == 2
    inside = as_user(lab.triad.inside).get("/testing/lab/conflicts/").content.decode()
    assert "E0001" in inside and "W0001" not in inside
    assert "阴性（2022年4月1日12时0分" in inside and "阳性（2022年4月1日13时0分" in inside
    assert "与首次结果不一致" in inside
    above = as_user(lab.triad.above).get("/testing/lab/conflicts/").content.decode()
    assert "E0001" in above and "W0001" in above
    assert "W0001" in as_user(lab.worker).get("/testing/lab/conflicts/").content.decode()
