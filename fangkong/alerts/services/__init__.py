"""The one alert mechanism: raise, acknowledge, resolve, escalate, deliver.

Other apps call only these functions (never create `Alert` rows themselves):

    raise_alert(kind, unit, key=..., title=..., detail=..., subject=obj, recipients=users, now=now)
    resolve_alerts(kind, key, now=now)
    rule_for(kind, unit, on_date)          # the AlertRule in force (defaults when none is stored)

Time is always passed in (`now`), so tests inject it instead of waiting.
"""

from .core import (
    acknowledge,
    default_rule,
    escalate_due,
    mark_read,
    raise_alert,
    resolve,
    resolve_alerts,
    responsible_users,
    rule_for,
)

__all__ = ["acknowledge", "default_rule", "escalate_due", "mark_read", "raise_alert", "resolve", "resolve_alerts",
           "responsible_users", "rule_for"]
