"""The preset vaccine products (`vaccination/presets/products.yaml`), loaded after every
migrate: a missing code is created; an existing product with that code is never touched (an
admin may have corrected its aliases or full course)."""

from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _

from fangkong.lib.documents import Errors, parse_yaml, unknown_keys

PRESET_FILE = Path(__file__).resolve().parent.parent / "presets" / "products.yaml"
FIELDS = ("code", "name", "manufacturer", "full_course_doses", "aliases")
MAX_FULL_COURSE = 5


def validate_products(documents):
    """The product rows of a presets document; ValidationError listing every problem."""
    errors = Errors()
    if not isinstance(documents, list):
        errors.add("", _("应为疫苗产品的列表"))
        errors.raise_if_any()
    codes = set()
    for index, doc in enumerate(documents):
        place = f"[{index}]"
        if not isinstance(doc, dict):
            errors.add(place, _("应为一个疫苗产品（code、name、full_course_doses…）"))
            continue
        unknown_keys(errors, place, doc, FIELDS)
        for key in ("code", "name"):
            if not isinstance(doc.get(key), str) or not doc[key].strip():
                errors.add(f"{place}.{key}", _("必须填写"))
        if doc.get("code") in codes:
            errors.add(f"{place}.code", _("编码重复"))
        codes.add(doc.get("code"))
        doses = doc.get("full_course_doses")
        if not isinstance(doses, int) or isinstance(doses, bool) or not 1 <= doses <= MAX_FULL_COURSE:
            errors.add(f"{place}.full_course_doses", _("全程剂次应为1至%(n)s的整数") % {"n": MAX_FULL_COURSE})
        aliases = doc.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            errors.add(f"{place}.aliases", _("别名应为文字列表"))
    errors.raise_if_any()
    return [{key: doc[key] for key in FIELDS if key in doc} for doc in documents]


def preset_products():
    return validate_products(parse_yaml(PRESET_FILE.read_text(encoding="utf-8")))


def load_presets(using="default", **kwargs):
    """post_migrate receiver; returns the codes created."""
    from ..models import Product

    if Product._meta.db_table not in connections[using].introspection.table_names():
        return []
    existing = set(Product.objects.using(using).values_list("code", flat=True))
    missing = [doc for doc in preset_products() if doc["code"] not in existing]
    Product.objects.using(using).bulk_create([Product(**doc, is_preset=True) for doc in missing])
    return [doc["code"] for doc in missing]
