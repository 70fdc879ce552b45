import pytest

from fangkong.accounts.models import User
from fangkong.people.models import Person
from fangkong.screening.models import Campaign, FollowUpFlag
from fangkong.screening.services.visits import record_visit

from .conftest import answer, visit_time


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", password="Fk-root-pass-2022"))
    return client


@pytest.mark.parametrize("model", ["campaign", "visit", "followupflag"])
def test_lists_open(admin_client, campaigns, model):
    assert admin_client.get(f"/admin/screening/{model}/").status_code == 200


def test_scope_outside_the_owning_unit_is_refused(admin_client, triad):
    county = triad.county
    data = {"name": "摸排", "owner_unit": county.east.pk, "units": [county.west.pk], "starts_on": "2022-01-25",
            "lookback_days": 14, "flag_travel": "on", "fever_threshold": "37.3"}
    response = admin_client.post("/admin/screening/campaign/add/", data)
    assert "摸排范围应在发起单位“东门村”之内，“西门村”不在其中。" in response.content.decode()
    assert not Campaign.objects.exists()


def test_resolving_flags_clears_the_follow_up_mark(admin_client, triad, campaigns):
    record_visit(campaign=campaigns.town, household=triad.east_household, user=triad.inside, outcome="completed",
                 answers=[answer(triad.east_person, case_contact=True)], visited_at=visit_time(1))
    flag = FollowUpFlag.objects.get()
    response = admin_client.post("/admin/screening/followupflag/",
                                 {"action": "resolve", "_selected_action": [flag.pk]})
    assert response.status_code == 302
    assert FollowUpFlag.objects.get().resolved_at is not None
    assert not Person.objects.get(pk=triad.east_person.pk).needs_follow_up
