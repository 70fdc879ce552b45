from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import raise_alert
from fangkong.control.models import ControlCase, FollowUpSlot
from fangkong.control.testing import make_case
from fangkong.orgs.services import move_unit


def test_moving_a_village_carries_its_cases_slots_and_alerts_to_the_new_town(triad):
    county = triad.county
    case = make_case(triad.east_person)
    alert = raise_alert(AlertKind.OTHER, county.east_grid, key="move-test", title="测试")
    move_unit(county.east, county.other_town)
    county.east.refresh_from_db()
    case.refresh_from_db()
    alert.refresh_from_db()
    assert case.unit_path.startswith(county.east.path)
    assert set(FollowUpSlot.objects.filter(case=case).values_list("unit_path", flat=True)) == {case.unit_path}
    assert alert.origin_path.startswith(county.east.path)
    # The old town's leader no longer sees the case; the new town's users would.
    assert not ControlCase.objects.restrict(triad.above).filter(pk=case.pk).exists()
    assert ControlCase.objects.restrict(triad.inside).filter(pk=case.pk).exists()
