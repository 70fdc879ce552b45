"""`fangkong control …`: the preview prints exactly one JSON object of the contract's shape;
bad input is a Chinese message and a non-zero exit; the regimens list, import and export."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fangkong.control.models import RegimenVersion
from fangkong.control.regimens.presets import load_presets
from fangkong.control.regimens.yaml_io import load_regimen_yaml


@pytest.fixture(autouse=True)
def presets(db):
    load_presets()


def run(*args):
    out = StringIO()
    call_command("control", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_preview_prints_one_json_object_of_the_contract_shape():
    text = run("preview", "--regimen", "gongtian-2022", "--category", "high_risk_area", "--anchor", "2022-01-10",
               "--arrival", "2022-01-15")
    value = json.loads(text)  # the whole output is one JSON value
    assert list(value) == ["phases", "tests", "release_on"]
    assert all(list(p) == ["measure", "first_day", "last_day"] for p in value["phases"])
    assert all(list(t) == ["date", "who"] for t in value["tests"])
    assert value["release_on"] == "2022-02-01"


@pytest.mark.parametrize(("args", "message"), [
    (["--regimen", "nope", "--category", "close_contact", "--anchor", "2022-01-10"], "管控方案不存在：nope"),
    (["--regimen", "national-v8", "--category", "low_risk_area", "--anchor", "2022-01-10"],
     "没有“低风险地区返乡人员”的管控规则"),
    (["--regimen", "national-v8", "--category", "martians", "--anchor", "2022-01-10"], "未知的人员类别：martians"),
    (["--regimen", "national-v8", "--category", "close_contact", "--anchor", "2022/01/10"],
     "--anchor 日期格式应为 YYYY-MM-DD"),
    (["--regimen", "national-v8", "--category", "close_contact", "--anchor", "2022-01-10", "--arrival", "2022-02-30"],
     "--arrival 日期格式应为 YYYY-MM-DD"),
    (["--regimen", "national-v8", "--category", "close_contact", "--anchor", "2022-01-10", "--arrival", "2022-01-09"],
     "不能早于起算日期"),
])
def test_preview_refuses_bad_input_in_chinese(args, message):
    with pytest.raises(CommandError, match=message):
        run("preview", *args)


def test_regimens_json_lists_codes_names_and_categories():
    rows = json.loads(run("regimens", "--json"))
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) >= {"early-2020", "gongtian-2022", "qingliangfeng-2022", "national-v8", "national-v9"}
    assert list(by_code["national-v8"]) == ["code", "name", "issuer", "effective_from", "effective_to", "categories"]
    assert by_code["national-v8"]["categories"] == ["inbound", "close_contact", "secondary_contact"]
    assert by_code["national-v8"]["effective_to"] == "2022-06-27"
    assert by_code["national-v9"]["effective_to"] is None
    assert "local_case_province" in by_code["gongtian-2022"]["categories"]


def test_regimens_table_is_readable():
    text = run("regimens")
    line = next(line for line in text.splitlines() if line.startswith("national-v9"))
    assert "新型冠状病毒肺炎防控方案（第九版）" in line and "low_risk_area" in line


def test_export_then_import_under_a_new_code(tmp_path):
    path = tmp_path / "v9.yaml"
    run("export-regimen", "national-v9", "-o", str(path))
    text = path.read_text(encoding="utf-8")
    assert load_regimen_yaml(text)["code"] == "national-v9"
    path.write_text(text.replace("code: national-v9", "code: national-v9-local").replace("days: 7", "days: 10", 1),
                    encoding="utf-8")
    assert "已导入管控方案 national-v9-local" in run("import-regimen", str(path))
    imported = RegimenVersion.objects.get(code="national-v9-local")
    assert not imported.is_preset
    assert imported.rules["inbound"]["phases"][0]["days"] == 10
    assert run("export-regimen", "national-v9").startswith("code: national-v9\n")


def test_import_reports_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("code: bad\nname: 坏方案\neffective_from: 2022-01-01\nrules:\n  close_contact:\n"
                    "    anchor: last_exposure\n    phases: [{measure: home_isolation, days: -1}]\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"close_contact\.phases\[0\]\.days：必须是正整数"):
        run("import-regimen", str(path))
    with pytest.raises(CommandError, match="无法读取文件"):
        run("import-regimen", str(tmp_path / "missing.yaml"))
    with pytest.raises(CommandError, match="管控方案不存在"):
        run("export-regimen", "missing")


def test_console_script_on_a_fresh_data_dir(tmp_path):
    """`fangkong migrate` loads the presets into a new embedded database; then the console
    script prints the preview and exits 0; bad input exits non-zero with Chinese on stderr."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    installed = Path(sys.executable).with_name("fangkong")  # the console script of this environment
    script = [str(installed)] if installed.exists() else [sys.executable, "-m", "fangkong.cli"]
    subprocess.run([*script, "migrate", "-v0"], env=env, check=True, capture_output=True)
    done = subprocess.run([*script, "control", "preview", "--regimen", "national-v9", "--category", "close_contact",
                           "--anchor", "2022-07-01", "--arrival", "2022-07-03"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "phases": [{"measure": "centralized_isolation", "first_day": "2022-07-03", "last_day": "2022-07-08"},
                   {"measure": "home_health_monitoring", "first_day": "2022-07-09", "last_day": "2022-07-11"}],
        "tests": [{"date": d, "who": "person"} for d in
                  ("2022-07-03", "2022-07-04", "2022-07-06", "2022-07-08", "2022-07-11")],
        "release_on": "2022-07-12",
    }
    failed = subprocess.run([*script, "control", "preview", "--regimen", "national-v9", "--category", "close_contact",
                             "--anchor", "7月1日"], env=env, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "日期格式应为 YYYY-MM-DD" in failed.stderr
