"""What the rest of the system asks of the risk areas (中高风险地区).

A place is given by its division code (区划代码): 12 digits, or any leading part of them
(42 = 湖北省, 4201 = 武汉市, 420115 = 江夏区). An area covers a place when the area's code (2,
4, 6 or 9 digits, by scope) is a prefix of the place's code. An area is in force on a date
from its 生效日期 up to the day before its 解除日期 (the day it was lifted no longer counts).

The categories of returnees follow the Gongtian plan (001:237): ① a high-risk area, or the
county (县/市/区/旗) of an area that reported local cases, → 14 days centralised + 7 days home
monitoring; ② a medium-risk area, or another county of the same prefecture-level city,
→ 7 days home monitoring; ③ a province with local cases → a test on arrival. 001:234 lists
whom the screening looks for (14 days in a medium/high-risk area), 001:253 the travel rules
for the areas, their counties and their cities.
"""

import unicodedata
from os.path import commonprefix

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.screening.services.places import place_prefixes

from .models import SCOPE_DIGITS, RiskArea, RiskLevel

LEVEL_RANK = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}
SCOPE_OF_LENGTH = {digits: scope for scope, digits in SCOPE_DIGITS.items()}
ELEVATED = (RiskLevel.MEDIUM, RiskLevel.HIGH)


def in_force(on_date):
    """The areas in force on `on_date`."""
    return RiskArea.objects.filter(effective_from__lte=on_date).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=on_date)
    )


def _code(code):
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(code or "")) if ch.isdigit())


def _candidates(code, on_date, levels=None):
    """Areas in force in the same province as `code` (the only ones any query can match)."""
    code = _code(code)
    if len(code) < 2:
        return code, []
    areas = in_force(on_date).filter(division_code__startswith=code[:2])
    if levels:
        areas = areas.filter(level__in=levels)
    return code, list(areas.only("level", "division_code", "local_cases"))


def risk_level_on(division_code, on_date):
    """The highest level of any area in force on `on_date` that covers the place (001:237):
    "high", "medium", "low", or None when the place lies in no listed area."""
    code, areas = _candidates(division_code, on_date)
    levels = [area.level for area in areas if code.startswith(area.division_code)]
    return max(levels, key=LEVEL_RANK.get) if levels else None


def was_risk_area(code, on_date, levels=ELEVATED):
    """Whether the place lay in an area of one of `levels` on `on_date` (001:234: 14天内有国内中高风险地区旅居史)."""
    level = risk_level_on(code, on_date)
    return level is not None and level in levels


def _shares(code, on_date, digits, levels=ELEVATED, local_cases=False):
    code, areas = _candidates(code, on_date, levels)
    if len(code) < digits:
        return False
    for area in areas:
        if local_cases and not area.local_cases:
            continue
        if code.startswith(area.division_code) or (
            len(area.division_code) >= digits and area.division_code[:digits] == code[:digits]
        ):
            return True
    return False


def same_city_as_risk_area(code, on_date):
    """The place lies in a prefecture-level city (first 4 digits) with a medium/high-risk area
    in force (001:237 ②, 001:253 2.)."""
    return _shares(code, on_date, 4)


def same_county_as_risk_area(code, on_date):
    """The place lies in a county (first 6 digits) with a medium/high-risk area in force
    (001:253 1.: 中、高风险地区及所在县)."""
    return _shares(code, on_date, 6)


def province_has_local_cases(code, on_date):
    """An area in force in the province (first 2 digits) reports local cases (001:237 ③)."""
    code, areas = _candidates(code, on_date)
    return any(area.local_cases for area in areas)


def classify_origin(code, on_date):
    """The control category for someone who was at the place on `on_date`, per 001:237:
    high_risk_area (a high-risk area, or elsewhere in the county of a medium/high-risk area
    reporting local cases: ①), medium_risk_area (a medium-risk area, or elsewhere in the
    same city as a medium/high-risk area: ②),
    local_case_province (③), low_risk_area (a listed low-risk area); None otherwise."""
    code = _code(code)
    if not code or on_date is None:
        return None
    level = risk_level_on(code, on_date)
    # The place's own level first: a medium-risk area is named in ② even though its county
    # has reported local cases; the rest of such a county falls under ①.
    if level == RiskLevel.HIGH:
        return "high_risk_area"
    if level == RiskLevel.MEDIUM:
        return "medium_risk_area"
    if _shares(code, on_date, 6, local_cases=True):
        return "high_risk_area"
    if same_city_as_risk_area(code, on_date):
        return "medium_risk_area"
    if province_has_local_cases(code, on_date):
        return "local_case_province"
    if level == RiskLevel.LOW:
        return "low_risk_area"
    return None


def check(code, on_date):
    """Everything the API's check answers, in one place."""
    return {
        "level": risk_level_on(code, on_date),
        "same_city": same_city_as_risk_area(code, on_date),
        "same_county": same_county_as_risk_area(code, on_date),
        "province_local_cases": province_has_local_cases(code, on_date),
        "category": classify_origin(code, on_date),
    }


# Entering areas ------------------------------------------------------------------------------

def normalise_division_code(raw):
    """(code prefix, scope) from a code as people write it: 42, 420000, 4201, 420100,
    420115, 420115001, 420115001000. Raises ValidationError (Chinese) otherwise."""
    code = _code(raw)
    if len(code) == 12:
        if not code.endswith("000"):
            raise ValidationError(_("风险地区最小到街道/乡镇（9位区划代码），不能是村/社区"))
        code = code[:9]
        if code.endswith("000"):
            code = code[:6]
    if len(code) == 9 and code.endswith("000"):
        code = code[:6]
    if len(code) == 6:
        if code.endswith("0000"):
            code = code[:2]
        elif code.endswith("00"):
            code = code[:4]
    if len(code) not in SCOPE_OF_LENGTH or code.strip("0") == "":
        raise ValidationError(_("区划代码应为2、4、6、9或12位数字"))
    return code, SCOPE_OF_LENGTH[len(code)]


def resolve_place(name):
    """The division code prefix a place name stands for (湖北省武汉市江夏区 → 420115), or ""
    when the name is unknown. A name several places share is narrowed to what they have in
    common (two districts of one city → the city)."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        return ""
    if name.isdigit():
        return name
    prefixes = place_prefixes(name.replace(" ", ""))
    if not prefixes:
        return ""
    longest = max(map(len, prefixes))
    deepest = sorted(code for code in prefixes if len(code) == longest)
    # The chain 湖北→武汉→江夏 gives 42, 4201, 420115: keep the deepest if it lies in the others.
    if len(deepest) == 1:
        return deepest[0]
    common = commonprefix(deepest)
    for digits in (9, 6, 4, 2):
        if len(common) >= digits:
            return common[:digits]
    return ""


def save_area(*, level, name, effective_from, effective_to=None, division_code="", local_cases=True, source="",
              by=None, instance=None):
    """Enter (or correct) one area; the code is resolved from the name when not given."""
    if not division_code:
        division_code = resolve_place(name)
        if not division_code:
            raise ValidationError({"division_code": _("无法从地区名称识别区划代码，请填写区划代码")})
    try:
        code, scope = normalise_division_code(division_code)
    except ValidationError as error:
        raise ValidationError({"division_code": error.messages}) from None
    if effective_to is not None and effective_to < effective_from:
        raise ValidationError({"effective_to": _("解除日期不能早于生效日期")})
    area = instance or RiskArea(created_by=by)
    area.level, area.name, area.division_code, area.scope = level, name.strip(), code, scope
    area.effective_from, area.effective_to = effective_from, effective_to
    area.local_cases, area.source = local_cases, source
    area.save()
    return area


def lift_area(area, on_date):
    """解除: the area stops being in force from `on_date` (the record and its history stay)."""
    if on_date < area.effective_from:
        raise ValidationError(_("解除日期不能早于生效日期"))
    with transaction.atomic():
        updated = RiskArea.objects.filter(pk=area.pk).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=on_date)
        ).exists()
        if not updated:
            raise ValidationError(_("该地区在此日期前已解除"))
        area.effective_to = on_date
        area.save(update_fields=["effective_to"])
    return area
