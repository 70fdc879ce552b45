"""A rule in words, for the pages and for the person who declares themselves: e.g.
"集中隔离医学观察14天 → 居家健康监测7天；居家健康监测第2、7天核酸检测，解除后第7天再检测一次"."""

from django.utils.translation import gettext as _

from fangkong.control.models import Anchor, Measure

from .schema import DEFAULT_RELEASE_CONDITIONS, DEFAULT_WINDOWS, RELEASE_CONDITIONS


def _days_list(days):
    return "、".join(str(d) for d in days)


def _who(who):
    return _("共同居住人") if who == "co_residents" else ""


def _phase_tests(phase):
    """Tests on given days (the person's, then the co-residents'), then recurring tests."""
    days = {"person": [], "co_residents": []}
    recurring = []
    for test in phase.get("tests", []):
        who = test.get("who", "person")
        if "day" in test:
            days[who].append(test["day"])
            continue
        first = test.get("from", 1)
        when = _("每%(n)d天一次") % {"n": test["every"]} if test["every"] > 1 else _("每天")
        if first > 1:
            when = _("自第%(day)d天起") % {"day": first} + when
        recurring.append(_("%(who)s%(when)s核酸检测") % {"who": _who(who), "when": when})
    parts = [
        _("%(who)s第%(days)s天核酸检测") % {"who": _who(who), "days": _days_list(sorted(set(listed)))}
        for who, listed in days.items() if listed
    ]
    return parts + recurring


def describe_rule(rule):
    """The rule as a list of short Chinese sentences: the phases, the tests, the daily
    follow-up, the release conditions and the team ([] for an empty rule)."""
    if not rule or not rule.get("phases"):
        return []
    phases = rule.get("phases", [])
    chain = " → ".join(
        _("%(measure)s%(days)d天") % {"measure": Measure(p["measure"]).label, "days": p["days"]}
        + (_("（%(note)s）") % {"note": p["note"]} if p.get("note") else "")
        for p in phases
    )
    anchor = Anchor(rule["anchor"]).label if rule.get("anchor") in Anchor.values else rule.get("anchor", "")
    if rule.get("fill_and_top_up"):
        start = _("自%(anchor)s之日起算，按填平补齐原则（已过的天数不再补）") % {"anchor": anchor}
    elif rule.get("anchor") == Anchor.ARRIVAL:
        start = _("自抵达之日起算")
    else:
        start = _("自抵达（开始管控）之日起连续计算，不填平补齐（起算依据：%(anchor)s）") % {"anchor": anchor}
    lines = [f"{chain}；{start}"]

    tests = []
    for test in rule.get("tests", []):
        if test.get("on_arrival"):
            tests.append(_("%(who)s抵达时核酸检测") % {"who": _who(test.get("who", "person"))})
    for phase in phases:
        for part in _phase_tests(phase):
            tests.append(_("%(measure)s期间%(part)s") % {"measure": Measure(phase["measure"]).label, "part": part})
    for test in rule.get("tests", []):
        if "after_release" in test:
            tests.append(_("%(who)s解除后第%(day)d天再检测一次")
                         % {"who": _who(test.get("who", "person")), "day": test["after_release"]})
    lines.append("；".join(tests) if tests else _("不安排核酸检测"))

    windows = rule.get("follow_up", {}).get("windows") or DEFAULT_WINDOWS
    lines.append(_("每天随访%(count)d次：%(windows)s")
                 % {"count": len(windows), "windows": "、".join(f"{a}–{b}" for a, b in windows)})
    conditions = rule.get("release_conditions") or DEFAULT_RELEASE_CONDITIONS
    named = "、".join(str(RELEASE_CONDITIONS[c]) for c in conditions)
    lines.append(_("解除条件：%(conditions)s") % {"conditions": named})
    team = rule.get("team")
    if team:
        text = team.get("name") or _("责任人")
        if team.get("roles"):
            text += _("（%(roles)s）") % {"roles": "、".join(team["roles"])}
        if team.get("daily_sign_off"):
            text += _("，每天在管控表上签字确认") + (_("并拍工作照留存") if team.get("photo") else "")
        lines.append(_("责任人：%(team)s") % {"team": text})
    if rule.get("notes"):
        lines.append(rule["notes"])
    return lines
