"""Regimens as data (管控方案): the rule schema, the plan engine, presets and YAML in and out.

    from fangkong.control.regimens import compute_plan
    plan = compute_plan(rule_dict, anchor=date(2022, 1, 10), arrival=date(2022, 1, 15))
"""

from .plan import PhasePlan, Plan, TestPlan

__all__ = ["PhasePlan", "Plan", "TestPlan", "compute_plan"]


def compute_plan(rule, anchor, arrival=None):
    from .engine import compute_plan as _compute

    return _compute(rule, anchor, arrival)
