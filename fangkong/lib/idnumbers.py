"""Resident ID numbers (居民身份证号, GB 11643-1999) and other identity documents.

python-stdnum does the checksum and birth-date work. Its region check also demands that
the region code existed in the birth year, which rejects real numbers of older people
whose county was re-coded after birth (numbers were only issued from the mid-1980s), so
the region is checked here against every code that ever existed, whatever the year.
"""

import datetime
import functools
import unicodedata

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError


class IDNumberError(ValueError):
    """A resident ID number that cannot be right; the message is for the user (Chinese)."""


def normalise(value):
    """Trim, turn full-width characters into ASCII and a lower-case x into X."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text.replace(" ", "").upper()


@functools.lru_cache(maxsize=8192)
def region_exists(code):
    """True when the six-digit code was a county-level division code at any time."""
    if len(code) != 6 or not code.isdigit():
        return False
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def _upgrade_15(number):
    """An old 15-digit number: insert the century and compute the check digit."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def validate_resident_id(value, today=None):
    """Return the canonical 18-digit number or raise IDNumberError with a Chinese message."""
    number = normalise(value)
    if not number:
        raise IDNumberError("身份证号为空")
    if len(number) == 15 and number.isdigit():
        number = _upgrade_15(number)
    if len(number) != 18:
        raise IDNumberError(f"身份证号应为18位，实际为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IDNumberError("身份证号只能由数字和末位X组成")
    if number[17] != ric.calc_check_digit(number):
        raise IDNumberError("身份证号校验位不正确")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise IDNumberError("身份证号中的出生日期不存在") from None
    today = today or datetime.date.today()
    if birth > today or birth.year < 1880:
        raise IDNumberError("身份证号中的出生日期不合理")
    if not region_exists(number[:6]):
        raise IDNumberError("身份证号前6位不是有效的行政区划代码")
    return number


def sex_from_resident_id(number):
    """'M' or 'F' from the sequence digit (odd is male)."""
    return "M" if int(number[16]) % 2 else "F"


def birth_date_from_resident_id(number):
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def with_check_digit(first17):
    """Complete a 17-digit body with its check digit (used to make fictional numbers)."""
    return first17 + ric.calc_check_digit(first17 + "0")
