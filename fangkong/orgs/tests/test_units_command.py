import json

from django.core.management import call_command


def run_units(capsys, *args):
    call_command("units", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_units_json_lists_code_name_type_parent(county, capsys):
    rows = run_units(capsys)
    assert rows[0] == {"code": "430626", "name": "示范县", "type": "county", "parent": None}
    assert {"code": "430626100201", "name": "东门村", "type": "village", "parent": "430626100"} in rows
    assert len(rows) == 8


def test_units_under_and_type_filter(county, capsys):
    rows = run_units(capsys, "--under", "430626100", "--type", "village")
    assert [r["code"] for r in rows] == ["430626100201", "430626100202"]
