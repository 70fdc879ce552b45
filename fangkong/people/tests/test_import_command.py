import io
import json

import openpyxl
import pytest
from django.core.management import call_command

from fangkong.cli import main
from fangkong.people.models import Person

from .ledger_files import person_row, write_csv


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_json_output_is_one_object_with_the_counts(county, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", [person_row(400), person_row(401, 联系电话="1")])
    out = io.StringIO()
    call_command("import", "persons", str(path), "--unit", county.east.code, "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}

    out = io.StringIO()
    call_command("import", "persons", str(path), "--unit", county.east.code, "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 2, "created": 0, "updated": 0, "unchanged": 1, "rejected": 1}


def test_errors_option_writes_the_rejected_rows(county, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", [person_row(402, 联系电话="1")])
    errors = tmp_path / "errors.xlsx"
    call_command("import", "persons", str(path), "--unit", county.east.code, "--errors", str(errors),
                 stdout=io.StringIO())
    sheet = openpyxl.load_workbook(errors).active
    assert sheet.cell(row=2, column=10).value == 2
    assert sheet.cell(row=2, column=11).value.startswith("第4列「联系电话」")


def test_dry_run_writes_nothing(county, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", [person_row(403)])
    out = io.StringIO()
    call_command("import", "persons", str(path), "--unit", county.east.code, "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1
    assert not Person.objects.exists()


def test_exit_status_zero_when_read_nonzero_when_unreadable(county, transactional_db, tmp_path, capsys):
    good = write_csv(tmp_path / "ledger.csv", [person_row(404, 联系电话="1")])
    main(["fangkong", "import", "persons", str(good), "--unit", county.east.code, "--json"])
    assert json.loads(capsys.readouterr().out)["rejected"] == 1

    not_a_sheet = tmp_path / "photo.xlsx"
    not_a_sheet.write_bytes(b"\x89PNG\r\n\x1a\n")
    for path, unit, message in [
        (tmp_path / "missing.csv", county.east.code, "找不到文件"),
        (not_a_sheet, county.east.code, "不是Excel文件"),
        (good, "no-such-unit", "单位编码不存在"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            main(["fangkong", "import", "persons", str(path), "--unit", unit, "--json"])
        assert exit_info.value.code != 0
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == ""
