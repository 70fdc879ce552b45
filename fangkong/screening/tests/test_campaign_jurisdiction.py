from fangkong.screening.models import Campaign

from .conftest import add_campaign


def names(user):
    return sorted(Campaign.objects.restrict(user).values_list("name", flat=True))


def test_a_campaign_is_seen_where_its_scope_reaches(triad, campaigns):
    assert names(triad.inside) == ["东门村入户摸排", "城关镇敲门行动"]
    assert names(triad.neighbour) == ["城关镇敲门行动"]
    assert names(triad.above) == ["东门村入户摸排", "城关镇敲门行动"]


def test_a_town_campaign_over_one_village_is_not_seen_by_the_other(triad):
    add_campaign(triad.county.town, [triad.county.east], name="东门村专项")
    assert names(triad.inside) == ["东门村专项"]
    assert names(triad.neighbour) == []
    assert names(triad.above) == ["东门村专项"]


def test_a_county_campaign_is_seen_by_every_village(triad):
    add_campaign(triad.county.county, [triad.county.county], name="全县敲门行动")
    assert names(triad.inside) == names(triad.neighbour) == ["全县敲门行动"]


def test_only_the_owning_units_manage_a_campaign(triad, campaigns):
    def owned(user):
        return sorted(Campaign.objects.restrict_owned(user).values_list("name", flat=True))

    assert owned(triad.inside) == ["东门村入户摸排"]
    assert owned(triad.neighbour) == []
    assert owned(triad.above) == ["东门村入户摸排", "城关镇敲门行动"]


def test_changes_are_kept_in_the_history_with_the_scope(triad, campaigns):
    campaign = campaigns.town
    campaign.units.set([triad.county.east])
    campaign.places_of_concern = "湖北、浙江温州"
    campaign.save()
    latest = campaign.history.first()
    assert latest.places_of_concern == "湖北、浙江温州"
    assert [row.unit_id for row in latest.units.all()] == [triad.county.east.pk]
