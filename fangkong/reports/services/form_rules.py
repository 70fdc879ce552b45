"""Validation of a report form document (the YAML of a form, or what the admin saves)."""

from django.core.exceptions import ValidationError

FIELDS = ("code", "version", "name", "period", "effective_from", "effective_to", "unit_types", "deadlines",
          "lock_after_days", "items", "rules", "source")


def validate_form(doc):
    """The form document cleaned to the model's fields; raises ValidationError with Chinese
    messages that name the place of the error."""
    if not isinstance(doc, dict) or not doc.get("code") or not doc.get("items"):
        raise ValidationError("报表必须有 code 和 items")
    return {key: doc[key] for key in FIELDS if key in doc}
