"""Where the computed items of a report form come from (数据来源). Each source is a set of
records with a tree-path column, what to count distinctly in it (a person, so that a person is
counted once however many records they have in a subtree), and either the moment of the event
(for 当日新增 and 累计) or the interval a record is in force (for 截至时点在管). The moment and
the interval may lie on a related record (a sample's tube's result time).

A few figures are not a count of one set of records — the coverage of the testing round in
force, the vaccination coverage — and are counted by their app's own function instead: such a
source has `compute(paths, on_date, as_of) -> {path: {field: number}}` (each path over its
subtree; paths of any level, nested), called once per roll-up for all its units and items, and an
item picks one of its `fields` with `params: {field: …}`.

A form's item names a source and may narrow it with params; the roll-up engine
(`services.rollup`) does the counting, grouped by tree prefix, in one query per item and level.
Later record families register their own sources with `register`.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Callable

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Source:
    code: str
    label: str
    queryset: Callable = None  # () -> QuerySet of the records
    path: str = ""  # the tree-path field of a record
    distinct: str = ""  # what is counted once (a person, a household, the record itself)
    moment: str = ""  # when the event happened: for new and cumulative
    since: str = ""  # when a record came into force and ...
    until: str = ""  # ... when it stopped (null: still in force): for current
    narrow: Callable = field(default=lambda qs, params: qs)  # (queryset, item params) -> queryset
    compute: Callable = None  # (paths, on_date, as_of) -> {path: {field: number}}, instead of records
    fields: tuple = ()  # the fields `compute` gives, one chosen by an item's params.field
    current_word: str = _("在管")  # what a figure at the cut-off is called on the form page

    @property
    def measures(self):
        return ("current",) if self.since or self.compute else ("new", "cumulative", "both")


SOURCES = {}


def register(source):
    SOURCES[source.code] = source
    return source


def source(code):
    try:
        return SOURCES[code]
    except KeyError:
        raise LookupError(code) from None


def _any_place(qs, params):
    places = params.get("places") or []
    if not places:
        return qs
    return qs.filter(reduce(or_, (Q(places_visited__icontains=place) for place in places)))


def _cases(qs, params):
    if params.get("category"):
        qs = qs.filter(category__in=params["category"])
    if params.get("exclude_category"):
        qs = qs.exclude(category__in=params["exclude_category"])
    if params.get("place"):
        qs = qs.filter(place=params["place"])
    return qs


def _answers():
    from fangkong.screening.models import MemberAnswer

    return MemberAnswer.objects.all()


def _completed_visits():
    from fangkong.screening.models import Outcome, Visit

    return Visit.objects.filter(outcome=Outcome.COMPLETED)


def _flags():
    from fangkong.screening.models import FollowUpFlag

    return FollowUpFlag.objects.all()


def _leads():
    from fangkong.leads.models import Lead

    return Lead.objects.all()


def _opened_cases():
    from fangkong.control.models import ControlCase

    return ControlCase.objects.all()


def _released_cases():
    from fangkong.control.models import CaseStatus, ControlCase

    return ControlCase.objects.filter(status=CaseStatus.RELEASED)


def _abnormal_entries():
    from fangkong.control.models import FollowUpEntry

    return FollowUpEntry.objects.filter(abnormal=True)


def _tests_done():
    from fangkong.control.models import CaseTest, TestStatus

    return CaseTest.objects.filter(status=TestStatus.DONE)


def _tests_positive():
    from fangkong.control.models import CaseTest, TestResult, TestStatus

    return CaseTest.objects.filter(status=TestStatus.DONE, result=TestResult.POSITIVE)


register(Source("screened_persons", _("入户摸排人数"), _answers, "visit__unit_path", "person_id",
                moment="visit__visited_at", narrow=_any_place))
register(Source("screened_households", _("走访户数"), _completed_visits, "unit_path", "household_id",
                moment="visited_at"))
register(Source("flagged_persons", _("摸排发现需跟进人员"), _flags, "unit_path", "person_id", moment="created_at"))
register(Source("leads_received", _("接收线索"), _leads, "unit_path", "id", moment="received_at"))
register(Source("key_persons", _("登记重点人员"), _opened_cases, "unit_path", "person_id", moment="opened_at",
                narrow=_cases))
register(Source("key_persons_current", _("在管重点人员"), _opened_cases, "unit_path", "person_id",
                since="opened_at", until="closed_at", narrow=_cases))
register(Source("released", _("解除管控人员"), _released_cases, "unit_path", "person_id", moment="closed_at",
                narrow=_cases))
register(Source("follow_up_anomalies", _("随访异常人员"), _abnormal_entries, "unit_path", "case__person_id",
                moment="recorded_at"))
register(Source("tests_done", _("核酸检测人次"), _tests_done, "unit_path", "id", moment="done_at"))
register(Source("tests_positive", _("核酸检测阳性"), _tests_positive, "unit_path", "id", moment="done_at"))


# 全员核酸 (pooled whole-population testing), as against the key persons' own tests above: the
# samples scanned into tubes, counted where the person lives (a sample's unit_path is the
# person's), each sample once (人次).


def _samples():
    from fangkong.testing.models import Sample

    return Sample.objects.all()


def _positive_samples():
    from fangkong.testing.models import Result, Sample

    return Sample.objects.filter(tube__result=Result.POSITIVE)


def _round_coverage(paths, on_date, as_of):
    from fangkong.testing.services.coverage import round_coverage

    return round_coverage(paths, on_date, as_of)


def _vaccination_counts(paths, on_date, as_of):
    from fangkong.vaccination.services.coverage import vaccination_counts

    return vaccination_counts(paths, on_date)


register(Source("samples_taken", _("全员核酸采样人次"), _samples, "unit_path", "id", moment="scanned_at"))
register(Source("samples_positive", _("混管阳性人次"), _positive_samples, "unit_path", "id",
                moment="tube__result_at"))
register(Source("samples_pending", _("待出结果人次"), _samples, "unit_path", "id", since="scanned_at",
                until="tube__result_at", current_word=_("待出")))
register(Source("round_coverage", _("本轮核酸检测应检、免检、已检人数"), compute=_round_coverage,
                fields=("target", "exempt", "sampled"), current_word=_("本轮")))
register(Source("vaccination", _("疫苗接种人数"), compute=_vaccination_counts,
                fields=("population", "vaccinated", "full", "boosted", "population_60", "vaccinated_60"),
                current_word=_("截至")))
