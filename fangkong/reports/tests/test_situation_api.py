"""The API of situation reports: /api/v1/bulletins/ within the caller's jurisdiction with the
.docx download, and /api/v1/report-templates/."""

from fangkong.conftest import make_user
from fangkong.reports.services.situation import write_situation
from fangkong.reports.services.templates import upload_template
from fangkong.reports.tests.test_situation_pages import DOCX, _upload
from fangkong.reports.tests.test_situation_write import AS_OF, NOW, docx_text


def _bulletins(triad):
    county = triad.county
    return write_situation(county.east, AS_OF, now=NOW), write_situation(county.west, AS_OF, now=NOW)


def test_bulletins_are_listed_within_the_jurisdiction(triad, api):
    east, west = _bulletins(triad)

    def units(user):
        response = api(user).get("/api/v1/bulletins/")
        assert response.status_code == 200
        return {row["unit"] for row in response.json()["results"]}

    assert units(triad.inside) == {triad.county.east.code}
    assert units(triad.neighbour) == {triad.county.west.code}
    assert units(triad.above) == {triad.county.east.code, triad.county.west.code}
    row = api(triad.inside).get(f"/api/v1/bulletins/{east.pk}/").json()
    assert row["number"] == 1 and row["template"] == "situation-2020" and row["unit_name"] == "东门村"
    assert row["title"] == "东门村疫情防控工作情况汇报（第1期，截至2022年1月27日12时）"
    filtered = api(triad.above).get(f"/api/v1/bulletins/?unit={triad.county.west.code}").json()["results"]
    assert [r["id"] for r in filtered] == [west.pk]


def test_a_bulletin_downloads_inside_and_is_404_for_the_neighbour(triad, api):
    east, _west = _bulletins(triad)
    response = api(triad.above).get(f"/api/v1/bulletins/{east.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    assert "东门村疫情防控工作情况汇报" in docx_text(b"".join(response.streaming_content))
    assert api(triad.neighbour).get(f"/api/v1/bulletins/{east.pk}/").status_code == 404
    assert api(triad.neighbour).get(f"/api/v1/bulletins/{east.pk}/download/").status_code == 404


def test_reading_needs_the_view_permission(triad, api):
    guard = make_user("east_guard", "checkpoint_staff", triad.county.east)
    assert api(guard).get("/api/v1/bulletins/").status_code == 403
    assert api(guard).get("/api/v1/report-templates/").status_code == 403
    assert api().get("/api/v1/bulletins/").status_code == 401


def test_templates_are_listed_with_the_version_in_use(triad, api):
    upload_template("bulletin", "", _upload("{{ unit_name }}").read(), "新简报.docx", triad.above)
    rows = api(triad.readonly).get("/api/v1/report-templates/?code=bulletin").json()["results"]
    assert [(row["version"], row["latest"], row["is_preset"]) for row in rows] == [(2, True, False), (1, False, True)]
    assert rows[0]["uploaded_by"] == "town_leader"
    download = api(triad.readonly).get(f"/api/v1/report-templates/{rows[1]['id']}/download/")
    assert download.status_code == 200 and download["Content-Type"] == DOCX
