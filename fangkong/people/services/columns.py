"""The columns of the persons ledger (人员台账): headers and the variants people write,
drop-down values, and how one cell becomes a stored value.

The template, the export and the import share this one list, so an exported ledger can be
imported again. Parsers take a raw cell (str from CSV; str, int, float, bool or date from
Excel) and return the canonical value or raise CellError with a Chinese message.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.lib.idnumbers import IDNumberError, normalise, validate_resident_id, with_check_digit
from fangkong.lib.phones import PhoneError, normalise_phone
from fangkong.people.models import IDType, PopulationType, Sex


class CellError(ValueError):
    """A cell whose value cannot be used; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple = ()
    required: bool = False
    choices: tuple = ()
    # Whether the template's drop-down refuses other values (relations are open-ended).
    strict_choices: bool = True
    # Excel must keep these as text: long digit strings turn into 4.30626E+17 otherwise.
    text: bool = False
    width: int = 12
    note: str = ""


# The ledger is a Chinese form whatever the interface language: its values are not translated.
with translation.override("zh-hans"):
    LABELS = {
        field: {value: str(label) for value, label in choices.choices}
        for field, choices in (("id_type", IDType), ("sex", Sex), ("population_type", PopulationType))
    }
YES_NO = ("是", "否")
RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "祖父母", "儿媳/女婿", "其他亲属", "非亲属")
# 与户主关系 values that make the person the head of the household.
HEAD_RELATIONS = {"户主", "本人"}

COLUMNS = (
    Column("name", "姓名", ("名字", "人员姓名"), required=True, width=10),
    Column("id_type", "证件类型", ("证件种类",), choices=tuple(LABELS["id_type"].values()), width=14,
           note=gettext_lazy("不填视为居民身份证")),
    Column("id_number", "证件号码", ("证件号", "身份证号", "身份证号码", "身份证", "公民身份号码"),
           required=True, text=True, width=21,
           note=gettext_lazy("同一证件号码只登记一人，再次导入时按证件号码更新；请将本列设为文本格式")),
    Column("sex", "性别", choices=tuple(LABELS["sex"].values()), width=6, note=gettext_lazy("居民身份证可不填，按证件号码判断")),
    Column("birth_date", "出生日期", ("出生年月日", "生日"), width=12,
           note=gettext_lazy("居民身份证可不填；其他证件请填写，如1980-01-31")),
    Column("phone", "联系电话", ("手机号", "手机号码", "手机", "电话", "电话号码", "联系方式"), text=True, width=14,
           note=gettext_lazy("手机号或带区号的固定电话，只填一个")),
    Column("address", "现住址", ("住址", "居住地址", "现居住地址", "现居住地", "家庭住址"), width=28),
    Column("unit", "所属网格", ("网格编码", "网格", "网格名称", "所属网格编码"), text=True, width=18,
           note=gettext_lazy("网格（或村/社区、楼栋）的编码或名称；不填则归入导入时选择的单位")),
    Column("household_number", "户号", ("户编号",), text=True, width=14,
           note=gettext_lazy("同户成员填写相同户号；不填户号时可填户主身份证号")),
    Column("head_id_number", "户主身份证号", ("户主身份证号码", "户主证件号码"), text=True, width=21,
           note=gettext_lazy("同户成员填写户主的证件号码")),
    Column("relation", "与户主关系", ("与户主的关系", "关系"), choices=RELATIONS, strict_choices=False, width=11,
           note=gettext_lazy("户主本人填“户主”")),
    Column("population_type", "人员类别", ("人口类别", "人员类型", "人口类型"), choices=tuple(LABELS["population_type"].values()),
           width=9, note=gettext_lazy("不填视为常住")),
    Column("is_elderly", "老年人", choices=YES_NO, width=7),
    Column("has_chronic_illness", "慢性病", ("慢性病患者",), choices=YES_NO, width=7),
    Column("is_pregnant", "孕产妇", choices=YES_NO, width=7),
    Column("is_disabled", "残疾人", choices=YES_NO, width=7),
)
COLUMN = {column.key: column for column in COLUMNS}
FLAG_KEYS = ("is_elderly", "has_chronic_illness", "is_pregnant", "is_disabled")

# The template's example row, skipped by the import if it is left in the file.
EXAMPLE_ID_NUMBER = with_check_digit("43062619900101999")
EXAMPLE_ROW = {
    "name": "张三", "id_type": LABELS["id_type"][IDType.RESIDENT], "id_number": EXAMPLE_ID_NUMBER,
    "sex": LABELS["sex"][Sex.MALE],
    "birth_date": "1990-01-01", "phone": "13812345678", "address": "城关镇东门村一组8号",
    "head_id_number": EXAMPLE_ID_NUMBER, "relation": "户主", "population_type": LABELS["population_type"][PopulationType.RESIDENT],
    "is_elderly": "否", "has_chronic_illness": "否", "is_pregnant": "否", "is_disabled": "否",
}


def normalise_header(value):
    """证件号码（必填）, ＊姓名 and " 姓 名 " all become the bare name."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"\([^)]*\)", "", text)
    return re.sub(r"[\s*]", "", text)


HEADER_KEYS = {normalise_header(name): column.key for column in COLUMNS for name in (column.header, *column.aliases)}


def map_header(cells):
    """{column key: index} for the recognised headers; the first of two synonyms wins."""
    mapping = {}
    for index, cell in enumerate(cells):
        key = HEADER_KEYS.get(normalise_header(cell))
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def is_header(cells):
    mapping = map_header(cells)
    return all(column.key in mapping for column in COLUMNS if column.required)


def cell_text(raw):
    """The text of a cell: Excel numbers without a trailing .0, dates as 1980-01-31."""
    if type(raw) is str:
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return str(raw).strip()


def is_blank(raw):
    if type(raw) is str:
        return not raw or raw.isspace()
    return raw is None


def _lookup(table):
    """A dict from the normalised spellings of each value to the stored value."""
    return {normalise(name).upper(): value for name, value in table}


ID_TYPES = _lookup(
    [(label, value) for value, label in LABELS["id_type"].items()]
    + [("身份证", IDType.RESIDENT), ("二代身份证", IDType.RESIDENT), ("港澳通行证", IDType.HK_MACAO),
       ("回乡证", IDType.HK_MACAO), ("台胞证", IDType.TAIWAN), ("台湾通行证", IDType.TAIWAN)]
)
SEXES = _lookup([("男", Sex.MALE), ("女", Sex.FEMALE), ("男性", Sex.MALE), ("女性", Sex.FEMALE),
                 ("M", Sex.MALE), ("F", Sex.FEMALE)])
POPULATION_TYPES = _lookup(
    [(label, value) for value, label in LABELS["population_type"].items()]
    + [(f"{label}人口", value) for value, label in LABELS["population_type"].items()]
    + [("户籍", PopulationType.RESIDENT), ("户籍人口", PopulationType.RESIDENT)]
)
FLAGS = _lookup([(word, True) for word in ("是", "Y", "YES", "TRUE", "有", "√", "✓", "1")]
                + [(word, False) for word in ("否", "N", "NO", "FALSE", "无", "×", "✗", "0")])


def _choice(table, raw, message):
    value = table.get(raw) if type(raw) is str else None
    if value is None:
        value = table.get(normalise(cell_text(raw)))
        if value is None:
            raise CellError(str(message))
    return value


ID_TYPE_MESSAGE = format_lazy("{}{}", gettext_lazy("无法识别的证件类型，可选："), "、".join(LABELS["id_type"].values()))
SEX_MESSAGE = gettext_lazy("性别应填写“男”或“女”")
POPULATION_TYPE_MESSAGE = gettext_lazy("人员类别应填写“常住”“流动”或“暂住”")
FLAG_MESSAGE = gettext_lazy("应填写“是”或“否”")


def parse_id_type(raw):
    return _choice(ID_TYPES, raw, ID_TYPE_MESSAGE)


def parse_sex(raw):
    return _choice(SEXES, raw, SEX_MESSAGE)


def parse_population_type(raw):
    return _choice(POPULATION_TYPES, raw, POPULATION_TYPE_MESSAGE)


def parse_flag(raw):
    return _choice(FLAGS, raw, FLAG_MESSAGE)


def parse_text(raw, max_length, label):
    text = cell_text(raw)
    if len(text) > max_length:
        raise CellError(_("%(label)s不能超过%(n)s个字") % {"label": label, "n": max_length})
    return text


EXCEL_NUMBER_MESSAGE = gettext_lazy(
    "身份证号被Excel存成了数字（科学计数法），后几位已丢失，请将该列设为文本格式后重新填写"
)
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
# Excel keeps 15 significant digits: an 18-digit number typed into a number cell ends in 000.
_LOST_DIGITS = re.compile(r"^\d{15}000$")
_OTHER_ID = re.compile(r"^[A-Z0-9][A-Z0-9()\-]{2,29}$")


def parse_resident_id(raw):
    """The canonical 18-digit number, or CellError; IDs that Excel turned into numbers get their own message."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        text = str(int(raw))
        if len(text) > 15:
            raise CellError(EXCEL_NUMBER_MESSAGE)
    else:
        text = normalise(raw)
        if _SCIENTIFIC.match(text):
            raise CellError(EXCEL_NUMBER_MESSAGE)
        if "*" in text:
            raise CellError(_("证件号码中有*号：脱敏导出的台账不能用来导入"))
    try:
        return validate_resident_id(text)
    except IDNumberError as error:
        if _LOST_DIGITS.match(text):
            raise CellError(EXCEL_NUMBER_MESSAGE) from None
        raise CellError(str(error)) from None


def parse_other_id(raw):
    """Passport and permit numbers: letters, digits, brackets and dashes."""
    if isinstance(raw, float) and raw.is_integer() and len(str(int(raw))) > 15:
        raise CellError(EXCEL_NUMBER_MESSAGE)
    text = normalise(cell_text(raw))
    if not _OTHER_ID.match(text):
        raise CellError(_("证件号码应为3至30位字母、数字或-"))
    return text


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(raw, today=None):
    """1980-01-31, 1980/1/31, 1980.1.31, 1980年1月31日, 19800131, or an Excel date cell."""
    if isinstance(raw, datetime.datetime):
        value = raw.date()
    elif isinstance(raw, datetime.date):
        value = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 < raw < 100000:
        # A date cell that lost its date format shows Excel's day count.
        value = _EXCEL_EPOCH + datetime.timedelta(days=int(raw))
    else:
        text = unicodedata.normalize("NFKC", cell_text(raw))
        match = _DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
        if not match:
            raise CellError(_("无法识别的日期，请写成1980-01-31"))
        try:
            value = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise CellError(_("日期不存在")) from None
    if value > (today or datetime.date.today()) or value.year < 1880:
        raise CellError(_("日期不合理"))
    return value


def parse_phone(raw):
    """A mainland mobile (11 digits) or a landline with its area code (0731-84123456)."""
    try:
        return normalise_phone(cell_text(raw))
    except PhoneError as error:
        raise CellError(str(error)) from None
