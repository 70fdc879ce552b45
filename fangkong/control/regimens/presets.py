"""The preset regimens (`control/presets/*.yaml`), loaded after every migrate: a missing preset
is created; an existing row with that code is never touched (an admin may have edited it)."""

from pathlib import Path

from django.db import connections

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"


def preset_documents():
    """Every preset document, validated, in file-name order."""
    from .yaml_io import load_regimen_yaml

    return [load_regimen_yaml(path.read_text(encoding="utf-8")) for path in sorted(PRESET_DIR.glob("*.yaml"))]


def load_presets(using="default", **kwargs):
    """post_migrate receiver; returns the codes created."""
    from fangkong.control.models import RegimenVersion

    if RegimenVersion._meta.db_table not in connections[using].introspection.table_names():
        return []
    created = []
    for doc in preset_documents():
        if RegimenVersion.objects.using(using).filter(code=doc["code"]).exists():
            continue
        RegimenVersion.objects.using(using).create(
            code=doc["code"], name=doc["name"], issuer=doc["issuer"], effective_from=doc["effective_from"],
            effective_to=doc["effective_to"], source=doc["source"], rules=doc["rules"], is_preset=True,
        )
        created.append(doc["code"])
    return created
