"""The preset report forms (`reports/presets/*.yaml`) and the built-in situation-report
templates, loaded after every migrate: a missing one is created; an existing row with that code
is never touched (an admin may have edited it or uploaded a new version)."""

from pathlib import Path

import yaml
from django.db import connections

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"


def preset_forms():
    from .form_rules import validate_form

    return [validate_form(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in sorted(PRESET_DIR.glob("*.yaml"))]


def load_presets(using="default", **kwargs):
    """post_migrate receiver; returns the codes created."""
    from ..models import ReportForm
    from .templates import load_template_presets

    if ReportForm._meta.db_table not in connections[using].introspection.table_names():
        return []
    created = []
    for doc in preset_forms():
        if ReportForm.objects.using(using).filter(code=doc["code"]).exists():
            continue
        ReportForm.objects.using(using).create(**doc, is_preset=True)
        created.append(doc["code"])
    return created + load_template_presets(using)
