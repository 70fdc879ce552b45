"""Synthetic persons ledgers of any size for demos, tests and benchmarks: households of one
to five people (head, spouse, children, a parent) made by `fangkong.lib.synthetic.PersonFactory`,
written row by row to .csv or .xlsx with the template's headers."""

import csv
from pathlib import Path

from django.utils.translation import gettext as _

from fangkong.lib.idnumbers import birth_date_from_resident_id
from fangkong.lib.synthetic import PersonFactory

from .columns import COLUMNS, LABELS
from .xlsx import LedgerSheet, new_workbook

STREETS = ["人民路", "建设路", "解放路", "新华街", "东风路", "文化路", "幸福巷", "长江路", "和平街", "工农路"]
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
SIZE_WEIGHTS = (15, 25, 30, 20, 10)
RELATIONS = ("户主", "配偶", "子女", "子女", "父母")
POPULATION_WEIGHTS = {"resident": 85, "mobile": 10, "temporary": 5}


def household_members(factory, size):
    """(relation, birth date, sex) of the members of one household, the head first."""
    rng = factory.rng
    head_age = rng.randint(22, 80)
    head_sex = rng.choice("MF")
    members = [("户主", factory.birth_date(head_age, head_age + 1), head_sex)]
    for relation in RELATIONS[1:size]:
        if relation == "配偶":
            age, sex = max(20, head_age + rng.randint(-4, 4)), "F" if head_sex == "M" else "M"
        elif relation == "子女":
            age, sex = max(0, head_age - rng.randint(20, 36)), rng.choice("MF")
        else:
            age, sex = min(100, head_age + rng.randint(20, 32)), rng.choice("MF")
        members.append((relation, factory.birth_date(age, age + 1), sex))
    return members


def synthetic_rows(count, unit_codes=(), seed=20220127):
    """Yield `count` ledger rows as {column key: cell text}."""
    factory = PersonFactory(seed=seed)
    rng = factory.rng
    made = 0
    while made < count:
        size = rng.choices(HOUSEHOLD_SIZES, SIZE_WEIGHTS)[0]
        unit = rng.choice(unit_codes) if unit_codes else ""
        address = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        population_type = rng.choices(list(POPULATION_WEIGHTS), list(POPULATION_WEIGHTS.values()))[0]
        head_id = None
        for relation, birth, sex in household_members(factory, size)[: count - made]:
            id_number = factory.resident_id(birth, sex)
            # The factory moves to the next day when a birth date's sequence numbers run out.
            birth = birth_date_from_resident_id(id_number)
            head_id = head_id or id_number
            age = (factory.today - birth).days // 365
            yield {
                "name": factory.name(), "id_type": LABELS["id_type"]["resident"], "id_number": id_number,
                "sex": LABELS["sex"][sex], "birth_date": birth.isoformat(),
                "phone": factory.phone() if age >= 16 else "", "address": address, "unit": unit,
                "household_number": "", "head_id_number": head_id, "relation": relation,
                "population_type": LABELS["population_type"][population_type],
                "is_elderly": "是" if age >= 60 else "否",
                "has_chronic_illness": "是" if rng.random() < 0.1 else "否",
                "is_pregnant": "是" if sex == "F" and 20 <= age <= 40 and rng.random() < 0.03 else "否",
                "is_disabled": "是" if rng.random() < 0.02 else "否",
            }
            made += 1


def generate_persons(out, count, unit_codes=(), seed=20220127):
    """Write a synthetic ledger of `count` persons to the path `out` (.csv or .xlsx)."""
    keys = [column.key for column in COLUMNS]
    rows = synthetic_rows(count, unit_codes, seed)
    if Path(out).suffix.lower() == ".xlsx":
        workbook = new_workbook(str(out))
        sheet = LedgerSheet(workbook, _("人员台账"), [column.header for column in COLUMNS])
        for row in rows:
            sheet.write_row([row[key] for key in keys])
        workbook.close()
    else:
        # With a BOM so that Excel on Chinese Windows opens it as UTF-8.
        with open(out, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([column.header for column in COLUMNS])
            writer.writerows([row[key] for key in keys] for row in rows)
