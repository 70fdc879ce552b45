"""Coverage of a campaign (乡不漏村、村不漏户、户不漏人) as numbers: households visited of
households registered, persons verified of persons registered, households awaiting a revisit.

Every number is an aggregate query over the copied `unit_path` columns, grouped by the
branch of the tree a row lies in, so a page costs the same handful of queries however many
units and people there are. A child unit's numbers include its whole subtree."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Substr

from fangkong.orgs.jurisdiction import jurisdiction_paths
from fangkong.orgs.models import Unit
from fangkong.people.models import Household, Person
from fangkong.screening.models import VERIFIED, MemberAnswer, Outcome, Visit

from .campaigns import scope_filter, scope_paths, within

COUNTS = ("households", "households_visited", "households_revisit", "persons", "persons_verified")


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


@dataclass
class CoverageRow:
    """The numbers for one unit's subtree (or for a campaign as a whole)."""

    unit: Unit | None = None
    households: int = 0
    households_visited: int = 0
    households_revisit: int = 0
    persons: int = 0
    persons_verified: int = 0

    @property
    def households_not_visited(self):
        return self.households - self.households_visited - self.households_revisit

    @property
    def household_rate(self):
        return _percent(self.households_visited, self.households)

    @property
    def person_rate(self):
        return _percent(self.persons_verified, self.persons)

    def add(self, counts):
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + counts.get(name, 0))


@dataclass
class Coverage:
    campaign: object
    unit: Unit
    rows: list = field(default_factory=list)
    total: CoverageRow = None


def _revisits(visits):
    """Visits that left their household awaiting a revisit: not completed, and no completed
    visit to the same household in the same campaign (a later completed visit clears it)."""
    completed = Visit.objects.filter(
        campaign=OuterRef("campaign"), household=OuterRef("household"), outcome=Outcome.COMPLETED
    )
    return visits.exclude(outcome=Outcome.COMPLETED).filter(~Exists(completed))


def _verified_answers():
    return MemberAnswer.objects.filter(presence__in=VERIFIED)


def _by_branch(queryset, column, unit, **aggregates):
    """{branch path: {name: n}}: rows under `unit` grouped by the child of `unit` they lie
    under (rows on `unit` itself under its own path)."""
    branch = Substr(column, 1, len(unit.path) + unit.steplen)
    rows = (
        queryset.filter(**{f"{column}__startswith": unit.path})
        .annotate(branch=branch)
        .order_by()
        .values("branch")
        .annotate(**aggregates)
    )
    return {row.pop("branch"): row for row in rows}


def _branch_counts(campaign, scope, unit):
    visits = Visit.objects.filter(campaign=campaign)
    parts = [
        _by_branch(Household.objects.filter(scope), "unit_path", unit, households=Count("pk")),
        _by_branch(Person.objects.filter(scope), "unit_path", unit, persons=Count("pk")),
        _by_branch(
            visits.filter(outcome=Outcome.COMPLETED), "unit_path", unit,
            households_visited=Count("household", distinct=True),
        ),
        _by_branch(_revisits(visits), "unit_path", unit, households_revisit=Count("household", distinct=True)),
        _by_branch(
            _verified_answers().filter(visit__campaign=campaign), "visit__unit_path", unit,
            persons_verified=Count("person", distinct=True),
        ),
    ]
    merged = {}
    for part in parts:
        for branch, counts in part.items():
            merged.setdefault(branch, {}).update(counts)
    return merged


def coverage(campaign, unit):
    """The campaign's coverage under `unit`: a row per child unit that the scope reaches
    (each for its whole subtree) and the total for `unit`. The caller checks that the user
    may see `unit`."""
    paths = scope_paths(campaign)
    counts = _branch_counts(campaign, within(paths), unit)
    rows = []
    for child in Unit.objects.get_children(unit):
        if any(child.path.startswith(path) or path.startswith(child.path) for path in paths):
            row = CoverageRow(unit=child)
            row.add(counts.get(child.path, {}))
            rows.append(row)
    total = CoverageRow(unit=unit)
    for branch_counts in counts.values():
        total.add(branch_counts)
    return Coverage(campaign=campaign, unit=unit, rows=rows, total=total)


def campaign_totals(campaigns, user):
    """{campaign pk: CoverageRow} for each campaign over the part of its scope within the
    user's jurisdiction, five queries for the lot. Campaigns should have `units` prefetched."""
    campaigns = list(campaigns)
    if not campaigns:
        return {}
    totals = {campaign.pk: CoverageRow() for campaign in campaigns}
    scopes = {campaign.pk: scope_filter(campaign) for campaign in campaigns}
    registered = [
        (Household.objects.restrict(user), "households"),
        (Person.objects.restrict(user), "persons"),
    ]
    for queryset, name in registered:
        counts = queryset.aggregate(**{f"c{pk}": Count("pk", filter=scope) for pk, scope in scopes.items()})
        for campaign in campaigns:
            totals[campaign.pk].add({name: counts[f"c{campaign.pk}"]})
    visits = Visit.objects.restrict(user).filter(campaign__in=campaigns)
    grouped = [
        (visits.filter(outcome=Outcome.COMPLETED), "campaign", "household", "households_visited"),
        (_revisits(visits), "campaign", "household", "households_revisit"),
        (_verified_answers().filter(visit__in=visits), "visit__campaign", "person", "persons_verified"),
    ]
    for queryset, campaign_column, counted, name in grouped:
        rows = queryset.order_by().values(campaign_column).annotate(n=Count(counted, distinct=True))
        for row in rows:
            totals[row[campaign_column]].add({name: row["n"]})
    return totals


def coverage_root(campaign, user):
    """Where a user's view of a campaign starts: the owning unit when the user sees it,
    otherwise the first unit of the user's own jurisdiction that the scope reaches."""
    paths = jurisdiction_paths(user)
    if paths is None or any(campaign.owner_unit.path.startswith(path) for path in paths):
        return campaign.owner_unit
    scope = scope_paths(campaign)
    for path in paths:
        if any(path.startswith(scope_path) or scope_path.startswith(path) for scope_path in scope):
            return Unit.objects.get(path=path)
    return None
