"""The situation-report pages: bulletins listed and downloaded within the jurisdiction (404
outside), writing one downloads the .docx and keeps it numbered, and the templates page
lists versions, downloads them and takes new ones (errors in Chinese)."""

import datetime
import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangkong.conftest import make_user
from fangkong.control.testing import local
from fangkong.reports.models import Bulletin, ReportTemplate
from fangkong.reports.services.situation import write_situation
from fangkong.reports.tests.test_situation_write import AS_OF, NOW, docx_text
from fangkong.reports.views_situation import default_as_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def bulletins(triad):
    county = triad.county
    return {
        "east": write_situation(county.east, AS_OF, now=NOW),
        "west": write_situation(county.west, AS_OF, now=NOW),
    }


@pytest.mark.parametrize("name,args", [
    ("reports:situation_list", []), ("reports:situation_download", [1]), ("reports:situation_templates", []),
    ("reports:situation_template_download", [1]),
])
def test_login_required(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_list_shows_the_bulletins_of_the_jurisdiction_only(triad, bulletins, as_user):
    def titles(user):
        response = as_user(user).get(reverse("reports:situation_list"))
        assert response.status_code == 200
        return {bulletin.unit.name for bulletin in response.context["page"].object_list}

    assert titles(triad.inside) == {"东门村"}
    assert titles(triad.neighbour) == {"西门村"}
    assert titles(triad.above) == {"东门村", "西门村"}
    page = as_user(triad.inside).get(reverse("reports:situation_list")).content.decode()
    assert "东门村疫情防控工作情况汇报（第1期，截至2022年1月27日12时）" in page
    assert "生成情况汇报" not in page  # a grid worker may read bulletins, not write them


def test_a_bulletin_downloads_inside_and_above_and_is_404_for_the_neighbour(triad, bulletins, as_user):
    url = reverse("reports:situation_download", args=[bulletins["east"].pk])
    for user in (triad.inside, triad.above):
        response = as_user(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == DOCX
        assert "东门村疫情防控工作情况汇报" in docx_text(b"".join(response.streaming_content))
    assert as_user(triad.neighbour).get(url).status_code == 404


def test_filtering_by_a_unit_outside_the_jurisdiction_is_404(triad, bulletins, as_user):
    url = reverse("reports:situation_list") + f"?unit={triad.county.west.code}"
    assert as_user(triad.inside).get(url).status_code == 404
    response = as_user(triad.above).get(url)
    assert [b.unit.name for b in response.context["page"].object_list] == ["西门村"]


def test_writing_downloads_the_docx_and_keeps_the_next_number(triad, bulletins, as_user):
    client = as_user(triad.above)
    form = client.get(reverse("reports:situation_list")).context["form"]
    county = triad.county
    assert [code for code, _label in form.fields["unit"].widget.choices] == [
        county.town.code, county.east.code, county.west.code]
    response = client.post(reverse("reports:situation_write"), {
        "unit": triad.county.east.code, "as_of": "2022-01-27T12:00", "template": "bulletin",
    })
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    assert "attachment" in response["Content-Disposition"]
    text = docx_text(b"".join(response.streaming_content))
    assert "东门村疫情防控工作简报" in text and "第2期" in text and "截至2022年1月27日12时" in text
    written = Bulletin.objects.get(unit=triad.county.east, number=2)
    assert written.issued_by == triad.above and written.template.code == "bulletin"


def test_writing_for_a_unit_outside_the_jurisdiction_is_404_and_needs_the_permission(triad, as_user):
    west_clerk = make_user("west_clerk", "statistician", triad.county.west)
    data = {"unit": triad.county.east.code, "as_of": "2022-01-27T12:00", "template": "situation-2020"}
    assert as_user(west_clerk).post(reverse("reports:situation_write"), data).status_code == 404
    assert as_user(triad.inside).post(reverse("reports:situation_write"), data).status_code == 403
    assert not Bulletin.objects.exists()


def test_a_cut_off_in_the_future_is_refused_in_chinese(triad, as_user):
    response = as_user(triad.above).post(reverse("reports:situation_write"), {
        "unit": triad.county.town.code, "as_of": "2099-01-01T12:00", "template": "situation-2020",
    })
    assert response.status_code == 400
    assert "统计截至时间不能晚于现在" in response.content.decode()
    assert not Bulletin.objects.exists()


def test_the_form_defaults_to_noon_today_or_the_last_hour_before_noon():
    day = datetime.date(2022, 1, 27)
    assert default_as_of(local(day, datetime.time(15, 20))) == local(day, datetime.time(12))
    assert default_as_of(local(day, datetime.time(9, 40))) == local(day, datetime.time(9))


def test_the_templates_page_lists_versions_and_the_tags(triad, as_user):
    response = as_user(triad.readonly).get(reverse("reports:situation_templates"))
    assert response.status_code == 200
    text = response.content.decode()
    assert {group["latest"].code for group in response.context["groups"]} >= {
        "situation-2020", "bulletin", "isolation-census", "four-categories"}
    assert "{{ items.hubei_returnees.cumulative }}" in text and "湖北省返乡人员（人）：累计" in text
    assert response.context["form"] is None  # readonly may not upload


def test_a_template_version_downloads_as_a_word_document(triad, as_user):
    template = ReportTemplate.objects.get(code="bulletin", version=1)
    response = as_user(triad.readonly).get(reverse("reports:situation_template_download", args=[template.pk]))
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))
    assert document.paragraphs[0].text == "{{ unit_name }}疫情防控工作简报"


def _upload(text, name="模板.docx"):
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=DOCX)


def test_uploading_makes_a_new_version(triad, as_user):
    response = as_user(triad.above).post(reverse("reports:situation_template_upload"), {
        "code": "bulletin", "name": "", "description": "", "file": _upload("{{ unit_name }}简报第{{ number }}期"),
    })
    assert response.status_code == 302
    latest = ReportTemplate.objects.filter(code="bulletin").order_by("-version").first()
    assert (latest.version, latest.uploaded_by) == (2, triad.above)


def test_a_bad_upload_shows_the_reason_in_chinese_and_stores_nothing(triad, as_user):
    response = as_user(triad.above).post(reverse("reports:situation_template_upload"), {
        "code": "bulletin", "name": "", "description": "", "file": _upload("{{ items.no_such_item }}"),
    })
    assert response.status_code == 400
    assert "模板中用到了不存在的变量或项目“no_such_item”" in response.content.decode()
    assert ReportTemplate.objects.filter(code="bulletin").count() == 1


def test_uploading_needs_the_permission(triad, as_user):
    response = as_user(triad.inside).post(reverse("reports:situation_template_upload"), {
        "code": "bulletin", "file": _upload("{{ unit_name }}"),
    })
    assert response.status_code == 403
    assert ReportTemplate.objects.filter(code="bulletin").count() == 1
