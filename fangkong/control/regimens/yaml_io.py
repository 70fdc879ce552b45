"""Regimens in and out as YAML: what admins import, export and edit in the UI."""

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.control.models import Category, RegimenVersion
from fangkong.lib.documents import parse_yaml
from fangkong.orgs.models import Unit

from .schema import canonical_rule, validate_document


def load_regimen_yaml(text):
    """Parse and validate a regimen document; ValidationError (Chinese, with the line of a
    YAML syntax error or the place of each rule error) if it is not one."""
    doc = parse_yaml(text)
    return validate_document(doc)


def document_of(version):
    """The regimen version as a document (the shape `load_regimen_yaml` returns)."""
    rules = version.rules or {}
    return {
        "code": version.code,
        "name": version.name,
        "issuer": version.issuer,
        "effective_from": version.effective_from,
        "effective_to": version.effective_to,
        "unit": version.unit.code if version.unit_id else None,
        "source": version.source,
        "rules": {c: canonical_rule(rules[c]) for c in Category.values if c in rules},
    }


def _scalar(value):
    return not isinstance(value, dict | list)


def _leaf(value):
    """A scalar, a list of scalars or a short mapping of scalars."""
    if isinstance(value, list):
        return all(_scalar(v) for v in value)
    if isinstance(value, dict):
        return all(_scalar(v) for v in value.values()) and len(value) <= 4
    return True


class _Dumper(yaml.SafeDumper):
    """Small leaves on one line, as the presets are written: `{day: 2}`, `[镇干部, 村干部]`,
    `{measure: home_isolation, days: 7}`; everything else in block style."""

    def represent_list(self, data):
        flow = all(_leaf(v) for v in data) and bool(data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def represent_dict(self, data):
        flow = all(_scalar(v) for v in data.values()) and len(data) <= 4
        return self.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(dict, _Dumper.represent_dict)


def dump_regimen_yaml(version):
    """The regimen version as YAML text (UTF-8, Chinese kept as is)."""
    return yaml.dump(document_of(version), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def save_regimen(doc, user=None):
    """Save a validated document: a new code makes a new version; an existing code is changed
    in place (the history keeps the old one) unless cases already use it — a regimen that
    cases were planned with never changes under them, so it needs a new code. Returns the
    version."""
    unit = None
    if doc.get("unit"):
        unit = Unit.objects.filter(code=doc["unit"]).first()
        if unit is None:
            raise ValidationError(_("unit：单位编码“%(code)s”不存在") % {"code": doc["unit"]})
    fields = {
        "name": doc["name"],
        "issuer": doc.get("issuer", ""),
        "effective_from": doc["effective_from"],
        "effective_to": doc.get("effective_to"),
        "unit": unit,
        "source": doc.get("source", ""),
        "rules": doc["rules"],
    }
    with transaction.atomic():
        version = RegimenVersion.objects.select_for_update().filter(code=doc["code"]).first()
        if version is None:
            version = RegimenVersion(code=doc["code"], **fields)
        else:
            if version.cases.exists():
                message = _("方案“%(code)s”已有管控对象在使用，不能修改；请改用新的方案编码另存为新版本。")
                raise ValidationError(message % {"code": version.code}, code="in_use")
            for name, value in fields.items():
                setattr(version, name, value)
        if user is not None:
            version._history_user = user
        version.save()
    return version
