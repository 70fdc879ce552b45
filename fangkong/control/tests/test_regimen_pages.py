"""The regimen pages: list, detail in words, preview in Chinese dates, edit as YAML (needs
control.change_regimenversion), upload and download. Login required; cases are counted within
the user's jurisdiction only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangkong.conftest import make_user
from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import load_presets
from fangkong.control.regimens.yaml_io import dump_regimen_yaml
from fangkong.control.testing import make_case


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


@pytest.mark.parametrize("name,args", [
    ("control:regimen_list", []), ("control:regimen_detail", ["national-v9"]),
    ("control:regimen_preview", ["national-v9"]), ("control:regimen_edit", ["national-v9"]),
    ("control:regimen_import", []), ("control:regimen_export", ["national-v9"]),
])
def test_login_required(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_list_shows_versions_with_cases_counted_in_the_jurisdiction(triad, as_user):
    gongtian = RegimenVersion.objects.get(code="gongtian-2022")
    make_case(triad.east_person, regimen=gongtian)
    make_case(triad.west_person, regimen=gongtian)
    response = as_user(triad.inside).get(reverse("control:regimen_list"))
    assert response.status_code == 200
    rows = {row["version"].code: row for row in response.context["rows"]}
    assert set(rows) >= {"early-2020", "gongtian-2022", "qingliangfeng-2022", "national-v8", "national-v9"}
    assert rows["gongtian-2022"]["cases"] == 1  # 西门村's case is not counted for 东门村

    def counts(user):
        rows = as_user(user).get(reverse("control:regimen_list")).context["rows"]
        return {row["version"].code: row["cases"] for row in rows}

    assert counts(triad.above)["gongtian-2022"] == 2
    assert counts(triad.neighbour)["gongtian-2022"] == 1
    text = response.content.decode()
    assert "公田镇2022年春节期间疫情防控重点人员管控措施" in text and "2022年1月10日" in text


def test_detail_describes_each_rule_in_words(triad, as_user):
    response = as_user(triad.readonly).get(reverse("control:regimen_detail", args=["gongtian-2022"]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "集中隔离医学观察14天（县隔离点负责） → 居家健康监测7天" in text
    assert "居家健康监测期间第2、7天核酸检测；解除后第7天再检测一次" in text
    assert "五包一（镇干部、村干部、村医、民警、网格员），每天在管控表上签字确认并拍工作照留存" in text
    assert "高风险岗位人员" in text and "每2天一次核酸检测" in text
    assert reverse("control:regimen_edit", args=["gongtian-2022"]) not in text  # readonly may not edit


def test_detail_of_a_missing_code_is_404(triad, as_user):
    assert as_user(triad.inside).get(reverse("control:regimen_detail", args=["nope"])).status_code == 404


def test_preview_page_shows_the_plan_in_chinese_dates(triad, as_user):
    url = reverse("control:regimen_preview", args=["gongtian-2022"])
    response = as_user(triad.inside).get(url, {"category": "high_risk_area", "anchor": "2022-01-10",
                                               "arrival": "2022-01-15"})
    assert response.status_code == 200
    assert response.context["plan"].preview()["release_on"] == "2022-02-01"
    text = response.content.decode()
    for expected in ("2022年1月15日", "2022年1月24日", "2022年1月26日", "2022年2月7日", "解除居家健康监测后第7天",
                     "2022年2月1日"):
        assert expected in text
    # Only the categories of this regimen are offered.
    categories = [value for value, _label in response.context["form"].fields["category"].choices]
    assert "low_risk_area" not in categories and "high_risk_post" in categories


def test_preview_page_reports_bad_input(triad, as_user):
    url = reverse("control:regimen_preview", args=["national-v8"])
    response = as_user(triad.inside).get(url, {"category": "close_contact", "anchor": "2022-01-10",
                                               "arrival": "2022-01-01"})
    assert response.context["plan"] is None
    assert "抵达日期不能早于起算日期" in response.content.decode()
    response = as_user(triad.inside).get(url, {"category": "low_risk_area", "anchor": "2022-01-10"})
    assert response.context["plan"] is None and response.context["form"].errors["category"]


def test_edit_requires_the_permission(triad, as_user):
    url = reverse("control:regimen_edit", args=["national-v9"])
    assert as_user(triad.inside).get(url).status_code == 403  # grid worker
    assert as_user(triad.readonly).post(url, {"text": "x"}).status_code == 403
    response = as_user(triad.above).get(url)  # leader holds the regimen permissions
    assert response.status_code == 200
    assert response.context["form"]["text"].value().startswith("code: national-v9")


def test_edit_shows_validation_errors_and_saves(triad, as_user):
    url = reverse("control:regimen_edit", args=["national-v9"])
    client = as_user(triad.above)
    text = dump_regimen_yaml(RegimenVersion.objects.get(code="national-v9"))
    bad = text.replace("days: 7", "days: 0", 1)
    response = client.post(url, {"text": bad})
    assert response.status_code == 200
    assert "inbound.phases[0].days：必须是正整数" in response.content.decode()
    good = text.replace("name: 新型冠状病毒肺炎防控方案（第九版）", "name: 第九版（本地修订）")
    response = client.post(url, {"text": good})
    assert response.status_code == 302 and response["Location"] == reverse("control:regimen_detail",
                                                                            args=["national-v9"])
    assert RegimenVersion.objects.get(code="national-v9").name == "第九版（本地修订）"


def test_edit_of_a_version_in_use_must_take_a_new_code(triad, as_user):
    version = RegimenVersion.objects.get(code="national-v9")
    make_case(triad.east_person, regimen=version)
    url = reverse("control:regimen_edit", args=["national-v9"])
    client = as_user(triad.above)
    text = dump_regimen_yaml(version).replace("days: 7", "days: 8", 1)
    response = client.post(url, {"text": text})
    assert "已有管控对象在使用" in response.content.decode(), response.context["form"].errors
    response = client.post(url, {"text": text.replace("code: national-v9", "code: national-v9-b")})
    assert response["Location"] == reverse("control:regimen_detail", args=["national-v9-b"])
    assert RegimenVersion.objects.get(code="national-v9").rules["inbound"]["phases"][0]["days"] == 7


def test_export_downloads_yaml(triad, as_user):
    response = as_user(triad.readonly).get(reverse("control:regimen_export", args=["early-2020"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert 'filename="early-2020.yaml"' in response["Content-Disposition"]
    assert response.content.decode().startswith("code: early-2020\n")


def test_import_uploads_a_new_version(triad, as_user):
    url = reverse("control:regimen_import")
    assert as_user(triad.inside).get(url).status_code == 403
    text = dump_regimen_yaml(RegimenVersion.objects.get(code="early-2020")).replace("code: early-2020",
                                                                                   "code: early-2020-b")
    upload = SimpleUploadedFile("r.yaml", text.encode("utf-8"), content_type="application/yaml")
    response = as_user(triad.above).post(url, {"file": upload})
    assert response.status_code == 302
    assert RegimenVersion.objects.filter(code="early-2020-b", is_preset=False).exists()
    upload = SimpleUploadedFile("r.yaml", b"code: [", content_type="application/yaml")
    response = as_user(triad.above).post(url, {"file": upload})
    assert response.status_code == 200 and "YAML 格式错误" in response.content.decode()


def test_roles_without_the_view_permission_are_refused(triad, as_user):
    tester = make_user("tester", "testing_staff", triad.county.east)
    assert as_user(tester).get(reverse("control:regimen_list")).status_code == 403
