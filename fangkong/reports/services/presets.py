"""The preset report forms (`reports/presets/*.yaml`, one version of a form per file) and the
built-in situation-report templates, loaded after every migrate. A missing form is created with
all its preset versions. A later preset version of a form the database has is added only while
that form is still exactly as shipped — every version a preset no one has edited — so an edited
preset or a version of the user's own is never overridden, and filings keep the version they
were filed on."""

from pathlib import Path

import yaml
from django.db import connections

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"


def preset_forms():
    """The preset form documents, validated, by code and version."""
    from .form_rules import validate_form

    docs = [validate_form(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in PRESET_DIR.glob("*.yaml")]
    return sorted(docs, key=lambda doc: (doc["code"], doc["version"]))


def _as_shipped(existing, using):
    """Whether the stored versions of a code are all presets that were never changed after
    they were created (their history has no change record)."""
    from ..models import ReportForm

    if any(not form.is_preset for form in existing):
        return False
    changes = ReportForm.history.using(using).filter(id__in=[form.pk for form in existing], history_type="~")
    return not changes.exists()


def load_presets(using="default", **kwargs):
    """post_migrate receiver; returns "code" for each form created and "code vN" for each later
    version added to a form already there."""
    from ..models import ReportForm
    from .templates import load_template_presets

    if ReportForm._meta.db_table not in connections[using].introspection.table_names():
        return []
    created = []
    for doc in preset_forms():
        existing = list(ReportForm.objects.using(using).filter(code=doc["code"]))
        if existing and (any(form.version == doc["version"] for form in existing) or not _as_shipped(existing, using)):
            continue
        ReportForm.objects.using(using).create(**doc, is_preset=True)
        created.append(f"{doc['code']} v{doc['version']}" if existing else doc["code"])
    return created + load_template_presets(using)
