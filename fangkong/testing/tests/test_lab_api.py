import datetime

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.conftest import make_user
from fangkong.testing.models import LabBatch, Result, Tube, TubeResult, TubeStatus

from .test_lab_support import NOW, lab_fixture, make_tube  # noqa: F401


def test_lab_receives_tubes_by_api(lab, api):
    make_tube(lab.east_point, "T0001")
    response = api(lab.worker).post("/api/v1/lab-batches/", {"lab": lab.unit.code, "barcodes": ["T0001", "NOPE"]},
                                    format="json")
    assert response.status_code == 201, response.data
    assert response.data["tubes"] == 1 and response.data["unknown"] == ["NOPE"]
    assert "查无此管" in response.data["messages"][0]
    assert Tube.objects.get(barcode="T0001").status == TubeStatus.RECEIVED


def test_receiving_needs_the_permission_and_a_lab_of_ones_own(lab, api):
    make_tube(lab.east_point, "T0001")
    body = {"lab": lab.unit.code, "barcodes": ["T0001"]}
    assert api(lab.triad.inside).post("/api/v1/lab-batches/", body, format="json").status_code == 403
    other = make_user("other_lab", "testing_staff", lab.triad.county.river)
    response = api(other).post("/api/v1/lab-batches/", body, format="json")
    assert response.status_code == 400 and "不在您的辖区内" in str(response.data["lab"])
    response = api(lab.worker).post("/api/v1/lab-batches/", {"lab": lab.unit.code, "barcodes": ["NOPE"]},
                                    format="json")
    assert response.status_code == 400 and "查无此管" in str(response.data)
    assert LabBatch.objects.count() == 1


def test_results_are_posted_as_a_json_list_and_counted(lab, api):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    make_tube(lab.east_point, "T0002", batch=lab.batch)
    rows = [{"barcode": "T0001", "result": "阴性", "ct_values": {"ORF1ab": 38.0}, "tested_at": "2022-04-01T12:00"},
            {"barcode": "T0002", "result": "invalid"}]
    response = api(lab.worker).post("/api/v1/tube-results/", rows, format="json")
    assert response.status_code == 201, response.data
    assert response.data["negative"] == 1 and response.data["invalid"] == 1 and response.data["tubes"] == 2
    assert TubeResult.objects.count() == 2


def test_a_bad_row_is_a_400_with_chinese_reasons_and_nothing_written(lab, api):
    make_tube(lab.east_point, "T0001", batch=lab.batch)
    rows = [{"barcode": "T0001", "result": "阴性"}, {"barcode": "T0001", "result": "maybe"}, {"result": "阴性"}]
    response = api(lab.worker).post("/api/v1/tube-results/", rows, format="json")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.data["errors"]] == [(2, "result"), (3, "barcode")]
    assert "未写入任何结果" in response.data["detail"]
    assert not TubeResult.objects.exists() and Tube.objects.get(barcode="T0001").result == ""
    assert api(lab.worker).post("/api/v1/tube-results/", {"barcode": "T0001"}, format="json").status_code == 400


def test_posting_results_needs_the_lab_permission(lab, api):
    make_tube(lab.east_point, "T0001")
    response = api(lab.triad.inside).post("/api/v1/tube-results/", [{"barcode": "T0001", "result": "阴性"}],
                                          format="json")
    assert response.status_code == 403


def test_result_lists_follow_jurisdiction(lab, api):
    east = make_tube(lab.east_point, "E0001")
    west = make_tube(lab.west_point, "W0001")
    for tube in (east, west):
        TubeResult.objects.create(tube=tube, result=Result.NEGATIVE, tested_at=NOW, reported_at=NOW)

    def barcodes(user, query=""):
        response = api(user).get(f"/api/v1/tube-results/{query}")
        assert response.status_code == 200
        return {row["barcode"] for row in response.data["results"]}

    assert barcodes(lab.triad.inside) == {"E0001"}
    assert barcodes(lab.triad.neighbour) == {"W0001"}
    assert barcodes(lab.triad.above) == {"E0001", "W0001"}
    assert barcodes(lab.triad.above, "?barcode=w0001") == {"W0001"}
    assert barcodes(lab.worker) == set()
    Tube.objects.filter(pk=west.pk).update(batch=lab.batch)
    assert barcodes(lab.worker) == {"W0001"}


def negative_now(lab, person, hours_ago=10):
    moment = timezone.now() - datetime.timedelta(hours=hours_ago)
    tube = make_tube(lab.west_point, f"C{person.pk}", [person], opened_at=moment - datetime.timedelta(hours=3))
    Tube.objects.filter(pk=tube.pk).update(result=Result.NEGATIVE, result_at=moment, status=TubeStatus.RESULTED)


def test_anyone_with_the_permission_checks_anyone_by_full_id_number_and_sees_only_masked_identity(lab, api):
    person = lab.triad.west_person
    negative_now(lab, person)
    response = api(lab.triad.inside).get(f"/api/v1/testing/certificate/?id_number={person.id_number.lower()}"
                                         "&hours=24")
    assert response.status_code == 200, response.data
    data = response.data
    assert data["valid"] is True and data["window_hours"] == 24 and 9.9 <= data["age_hours"] <= 10.1
    assert data["person"] == {"name": "李*", "id_number": person.id_number[:4] + "*" * 10 + person.id_number[-4:]}
    assert set(data) == {"person", "valid", "tested_at", "age_hours", "window_hours"}


def test_identity_is_shown_in_full_only_inside_the_jurisdiction_to_roles_that_see_it(lab, api):
    person = lab.triad.west_person
    negative_now(lab, person, hours_ago=50)
    response = api(lab.triad.neighbour).get(f"/api/v1/testing/certificate/?person={person.pk}")
    assert response.status_code == 200
    assert response.data["person"] == {"name": "李四", "id_number": person.id_number}
    assert response.data["valid"] is False and response.data["window_hours"] == 48
    assert api(lab.triad.neighbour).get(
        f"/api/v1/testing/certificate/?person={person.pk}&hours=72").data["valid"] is True
    readonly = api(lab.triad.readonly).get(f"/api/v1/testing/certificate/?id_number={lab.triad.east_person.id_number}")
    assert readonly.status_code == 200 and readonly.data["person"]["name"] == "张*丰"
    assert readonly.data["tested_at"] is None and readonly.data["valid"] is False


def test_by_record_id_only_within_the_jurisdiction(lab, api):
    person = lab.triad.west_person
    assert api(lab.triad.inside).get(f"/api/v1/testing/certificate/?person={person.pk}").status_code == 404
    assert api(lab.triad.above).get(f"/api/v1/testing/certificate/?person={person.pk}").status_code == 200


def test_certificate_needs_authentication_permission_a_known_person_and_a_known_window(lab, api):
    id_number = lab.triad.east_person.id_number
    assert api().get(f"/api/v1/testing/certificate/?id_number={id_number}").status_code in (401, 403)
    no_role = User.objects.create_user(username="no_role", password="Fk-test-pass-2022")
    assert api(no_role).get(f"/api/v1/testing/certificate/?id_number={id_number}").status_code == 403
    inside = api(lab.triad.inside)
    assert inside.get("/api/v1/testing/certificate/?id_number=110101199001011234").status_code == 404
    response = inside.get(f"/api/v1/testing/certificate/?id_number={id_number}&hours=36")
    assert response.status_code == 400 and "24、48、72或168" in str(response.data["hours"])
    assert inside.get("/api/v1/testing/certificate/").status_code == 400
