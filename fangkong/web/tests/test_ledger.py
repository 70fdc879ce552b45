import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from fangkong.accounts.models import Role, RoleAssignment
from fangkong.conftest import fictional_id
from fangkong.people.models import ImportBatch, Person
from fangkong.people.services.ledger import import_persons


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def ledger_csv(rows, name="东门台账.csv"):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["姓名", "身份证号", "联系电话", "所属网格"])
    writer.writerows(rows)
    upload = io.BytesIO(text.getvalue().encode("utf-8-sig"))
    upload.name = name
    return upload


GOOD = ["王五", fictional_id(seq=301), "13700001111", "430626100201-01"]
def wrong_check_digit(number):
    return number[:-1] + ("1" if number[-1] != "1" else "2")


BAD = ["赵六", wrong_check_digit(fictional_id(seq=302)), "13700002222", "430626100201-01"]


def post_import(client, unit, rows, **extra):
    return client.post(reverse("ledger_import"), {"file": ledger_csv(rows), "unit": unit.pk, **extra})


def test_import_counts_and_rejected_rows_file(as_user, triad):
    client = as_user(triad.inside)
    response = post_import(client, triad.county.east, [GOOD, BAD])
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger_batch", args=[batch.pk])
    assert batch.counts() == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert batch.user == triad.inside and batch.file_name == "东门台账.csv"
    assert Person.objects.filter(name="王五", unit=triad.county.east_grid).exists()

    page = client.get(response["Location"]).content.decode()
    assert reverse("ledger_errors", args=[batch.pk]) in page

    download = client.get(reverse("ledger_errors", args=[batch.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[1][0] == "赵六" and "校验位" in rows[1][-1]


def test_dry_run_writes_nothing(as_user, triad):
    response = post_import(as_user(triad.inside), triad.county.east, [GOOD], dry_run="on")
    assert response.status_code == 302
    assert ImportBatch.objects.get().dry_run
    assert not Person.objects.filter(name="王五").exists()


def test_unreadable_file_shows_the_chinese_message(as_user, triad):
    upload = io.BytesIO(b"\x00\x01 not a spreadsheet")
    upload.name = "坏文件.xlsx"
    response = as_user(triad.inside).post(reverse("ledger_import"), {"file": upload, "unit": triad.county.east.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Person.objects.filter(name="王五").exists()


def test_wrong_extension_is_refused(as_user, triad):
    upload = io.BytesIO(b"name\n")
    upload.name = "people.txt"
    response = as_user(triad.inside).post(reverse("ledger_import"), {"file": upload, "unit": triad.county.east.pk})
    assert "只能导入" in response.content.decode() and not ImportBatch.objects.exists()


def test_target_unit_must_be_in_the_jurisdiction(as_user, triad):
    client = as_user(triad.inside)
    choices = [u.name for u in client.get(reverse("ledger_import")).context["form"].fields["unit"].queryset]
    assert choices == ["东门村", "东门一组"]
    response = post_import(client, triad.county.west, [GOOD])
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not ImportBatch.objects.exists()


def test_import_needs_the_permission(as_user, triad):
    client = as_user(triad.readonly)
    assert client.get(reverse("ledger_import")).status_code == 403
    assert post_import(client, triad.county.east, [GOOD]).status_code == 403
    assert client.get(reverse("ledger_template")).status_code == 403


def test_batch_and_error_file_triad(as_user, triad, tmp_path):
    path = tmp_path / "east.csv"
    path.write_bytes(ledger_csv([GOOD, BAD]).getvalue())
    batch = import_persons(path, unit=triad.county.east, user=triad.inside, file_name="east.csv")
    for name in ["ledger_batch", "ledger_errors"]:
        url = reverse(name, args=[batch.pk])
        assert as_user(triad.inside).get(url).status_code == 200
        assert as_user(triad.neighbour).get(url).status_code == 404
        assert as_user(triad.above).get(url).status_code == 403  # a leader does not import
    RoleAssignment.objects.create(user=triad.above, role=Role.objects.get(code="statistician"), unit=triad.county.town)
    assert as_user(triad.above).get(reverse("ledger_errors", args=[batch.pk])).status_code == 200
    listed = [b.pk for b in as_user(triad.neighbour).get(reverse("ledger_import")).context["batches"]]
    assert batch.pk not in listed


def test_batch_without_errors_has_no_download(as_user, triad, tmp_path):
    path = tmp_path / "east.csv"
    path.write_bytes(ledger_csv([GOOD]).getvalue())
    batch = import_persons(path, unit=triad.county.east, user=triad.inside)
    assert as_user(triad.inside).get(reverse("ledger_errors", args=[batch.pk])).status_code == 404


def test_template_download_is_an_xlsx_with_the_headers(as_user, triad):
    response = as_user(triad.inside).get(reverse("ledger_template"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headers = next(sheet.iter_rows(values_only=True))
    assert "姓名" in headers and "证件号码" in headers


def exported(client, **params):
    response = client.get(reverse("person_export"), params)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


@pytest.fixture
def exporter(triad):
    """A role that may export but not see ID numbers, held by the readonly user of 东门村 and
    by the neighbour of 西门村."""
    role = Role.objects.create(code="exporter", name="导出员")
    role.permissions.add(*Permission.objects.filter(codename__in=["export_person", "view_person"]))
    RoleAssignment.objects.create(user=triad.readonly, role=role, unit=triad.county.east)
    RoleAssignment.objects.create(user=triad.neighbour, role=role, unit=triad.county.west)
    return role


def test_export_triad_follows_the_jurisdiction_and_the_filter(as_user, triad, exporter):
    assert [r["姓名"] for r in exported(as_user(triad.readonly))] == ["张三丰"]
    assert [r["姓名"] for r in exported(as_user(triad.neighbour))] == ["李四"]
    assert sorted(r["姓名"] for r in exported(as_user(triad.above))) == ["张三丰", "李四"]
    assert [r["姓名"] for r in exported(as_user(triad.above), q="zsf")] == ["张三丰"]
    assert [r["姓名"] for r in exported(as_user(triad.above), unit=triad.county.west.code)] == ["李四"]
    assert exported(as_user(triad.neighbour), unit=triad.county.east.code) == []


def test_export_masks_for_a_role_without_identity(as_user, triad, exporter):
    person = triad.east_person
    masked = exported(as_user(triad.readonly))[0]
    assert masked["证件号码"] == person.id_number_for(triad.readonly) != person.id_number
    assert masked["联系电话"] == "138****5678"
    assert exported(as_user(triad.above), q="zsf")[0]["证件号码"] == person.id_number


def test_export_needs_the_permission(as_user, triad):
    assert as_user(triad.inside).get(reverse("person_export")).status_code == 403
    assert "导出台账" not in as_user(triad.inside).get(reverse("person_list")).content.decode()
    assert "导出台账" in as_user(triad.above).get(reverse("person_list")).content.decode()


def test_target_units_are_indented_from_the_users_top_unit(as_user, triad):
    RoleAssignment.objects.create(user=triad.above, role=Role.objects.get(code="statistician"), unit=triad.county.town)
    field = as_user(triad.above).get(reverse("ledger_import")).context["form"].fields["unit"]
    labels = [field.label_from_instance(unit) for unit in field.queryset]
    assert labels[:3] == ["城关镇（430626100）", "　东门村（430626100201）", "　　东门一组（430626100201-01）"]
