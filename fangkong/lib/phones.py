"""Phone numbers as a grid worker writes them: a mainland mobile (13800135678) or a landline
with its area code (0731-84123456). One rule for the ledger import, the API and the pages,
so a number entered in one place matches the same number imported in another."""

import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext_lazy as _

# phonenumbers' own pattern for mainland mobiles, matched directly: parsing every number with
# phonenumbers.parse costs twenty times more and says the same for 11-digit numbers.
_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
_SEPARATORS = re.compile(r"[/,;、]|\d\s+1\d{10}")
_NOISE = re.compile(r"[\s\-()]")
PHONE_MESSAGE = _("不是有效的手机号或固定电话（固定电话请带区号，如0731-84123456）")


class PhoneError(ValueError):
    """Not a usable phone number; the message is for the user (Chinese)."""


def normalise_phone(text):
    """The stored form of `text`: 11 mobile digits, or 0<area>-<number> for a landline."""
    text = unicodedata.normalize("NFKC", text).strip()
    if _SEPARATORS.search(text):
        raise PhoneError(_("一个单元格只能填写一个电话号码"))
    digits = _NOISE.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) == 11 and digits[0] == "1" and digits.isdigit():
        if _MOBILE.fullmatch(digits):
            return digits
        raise PhoneError(PHONE_MESSAGE)
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        raise PhoneError(PHONE_MESSAGE) from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise PhoneError(PHONE_MESSAGE)
    national = str(number.national_number)
    area = phonenumbers.length_of_geographical_area_code(number)
    return f"0{national[:area]}-{national[area:]}" if area else national
