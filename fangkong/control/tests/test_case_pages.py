"""Pages of control cases, with the jurisdiction triad."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.control.models import CaseStatus, CaseTransfer, ControlCase, PhaseChange
from fangkong.control.services.cases import open_case
from fangkong.control.services.transfers import transfer_case
from fangkong.leads.models import Lead

from .test_case_support import v8, v9  # noqa: F401


@pytest.fixture
def case(triad, v8):
    """A close contact of 东门一组 opened today under national-v8 (last exposure yesterday)."""
    today = timezone.localdate()
    return open_case(triad.east_person, "close_contact", anchor_date=today - timedelta(days=1), regimen=v8,
                     by=triad.inside, now=timezone.now())


def test_list_is_limited_to_the_jurisdiction_and_masked_per_role(triad, case, as_user):
    url = reverse("control:case_list")
    assert "张三丰" in as_user(triad.inside).get(url).content.decode()
    assert "张三丰" in as_user(triad.above).get(url).content.decode()
    assert "张三丰" not in as_user(triad.neighbour).get(url).content.decode()
    page = as_user(triad.readonly).get(url).content.decode()
    assert "张三丰" in page and triad.east_person.id_number not in page
    assert triad.east_person.id_number in as_user(triad.inside).get(url).content.decode()


def test_list_filters_and_htmx_fragment(triad, case, as_user):
    client = as_user(triad.above)
    url = reverse("control:case_list")
    assert "张三丰" in client.get(url, {"status": "active", "category": "close_contact"}).content.decode()
    assert "张三丰" not in client.get(url, {"status": "released"}).content.decode()
    assert "张三丰" not in client.get(url, {"measure": "home_isolation"}).content.decode()
    assert "张三丰" in client.get(url, {"q": triad.east_person.id_number[-4:]}).content.decode()
    assert "张三丰" not in client.get(url, {"q": "李四"}).content.decode()
    assert "张三丰" not in client.get(url, {"unit": triad.county.west.code}).content.decode()
    fragment = client.get(url, {"q": "张"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "张三丰" in fragment.content.decode()


def test_detail_shows_the_file_and_is_404_outside(triad, case, as_user):
    url = reverse("control:case_detail", args=[case.pk])
    page = as_user(triad.inside).get(url).content.decode()
    for text in ("集中隔离医学观察", "居家健康监测", "新型冠状病毒肺炎防控方案（第八版）", "变更记录", "解除管控"):
        assert text in page
    assert as_user(triad.above).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404
    readonly = as_user(triad.readonly).get(url).content.decode()
    assert triad.east_person.id_number not in readonly and "解除管控</button>" not in readonly


def test_open_a_case_from_the_form(triad, v8, as_user):
    client = as_user(triad.inside)
    data = {"person": triad.east_person.pk, "category": "close_contact", "anchor_date": "2022-01-10",
            "regimen": v8.pk, "place": "home", "team-TOTAL_FORMS": "2", "team-INITIAL_FORMS": "0",
            "team-0-role": "网格员", "team-0-name": "王五", "team-0-phone": "13800138000",
            "team-1-role": "村医", "team-1-name": "", "team-1-phone": "", "action": "open"}
    response = client.post(reverse("control:case_open"), data)
    case = ControlCase.objects.get(person=triad.east_person)
    assert response.status_code == 302 and response["Location"] == reverse("control:case_detail", args=[case.pk])
    assert case.release_on.isoformat() == "2022-02-01"
    assert list(case.team.values_list("name", flat=True)) == ["王五"]
    # A second one is refused on the form.
    again = client.post(reverse("control:case_open"), data)
    assert again.status_code == 200 and "已有正在管控的档案" in again.content.decode()


def test_open_form_preview_fills_the_plan_and_team_roles(triad, as_user):
    data = {"person": triad.east_person.pk, "category": "high_risk_area", "anchor_date": "2022-01-20",
            "arrival_date": "2022-01-22", "place": "home", "team-TOTAL_FORMS": "0", "team-INITIAL_FORMS": "0",
            "action": "preview"}
    page = as_user(triad.inside).post(reverse("control:case_open"), data).content.decode()
    # gongtian-2022 is in force on 1月20日 and names its team (五包一).
    assert "按“" in page and "解除日期" in page and "2022年1月22日" in page
    assert not ControlCase.objects.exists()


def test_open_refuses_a_person_outside_the_jurisdiction(triad, v8, as_user):
    data = {"person": triad.west_person.pk, "category": "close_contact", "anchor_date": "2022-01-10",
            "place": "home", "team-TOTAL_FORMS": "0", "team-INITIAL_FORMS": "0", "action": "open"}
    response = as_user(triad.inside).post(reverse("control:case_open"), data)
    assert response.status_code == 200 and "不在您的辖区内" in response.content.decode()
    assert not ControlCase.objects.exists()
    assert as_user(triad.readonly).get(reverse("control:case_open")).status_code == 403


def test_open_prefilled_from_a_lead_and_person_search(triad, as_user):
    lead = Lead.objects.create(source="push", unit=triad.county.east_grid, person=triad.east_person, name="张三丰",
                               category="close_contact", last_exposure_on="2022-01-10", received_at=timezone.now())
    url = reverse("control:case_open")
    page = as_user(triad.inside).get(url, {"lead": lead.pk}).content.decode()
    assert "张三丰" in page and 'value="close_contact" selected' in page and 'value="2022-01-10"' in page
    assert as_user(triad.neighbour).get(url, {"lead": lead.pk}).status_code == 404
    # Opening the case from the lead disposes of the lead.
    data = {"person": triad.east_person.pk, "category": "close_contact", "anchor_date": "2022-01-10",
            "place": "home", "team-TOTAL_FORMS": "0", "team-INITIAL_FORMS": "0", "action": "open", "lead": lead.pk}
    page = as_user(triad.inside).post(f"{url}?lead={lead.pk}", data, follow=True).content.decode()
    case = ControlCase.objects.get(person=triad.east_person)
    assert case.lead == lead
    lead.refresh_from_db()
    assert lead.status == "disposed" and lead.outcome == "case_opened" and lead.disposed_by == triad.inside
    assert "请到线索页登记该线索的处置结果" not in page
    found = as_user(triad.inside).get(reverse("control:case_person_search"), {"q": "三丰"}).content.decode()
    assert "张三丰" in found
    assert "李四" not in as_user(triad.inside).get(reverse("control:case_person_search"), {"q": "李四"}).content.decode()


def test_phase_change_release_and_close_through_the_pages(triad, case, as_user):
    client = as_user(triad.inside)
    last = case.phases.get(index=0).last_day
    client.post(reverse("control:case_phase_change", args=[case.pk]),
                {"phase": 0, "new_last_day": (last + timedelta(days=2)).isoformat(), "reason": "延长观察"})
    assert PhaseChange.objects.get().reason == "延长观察"
    response = client.post(reverse("control:case_release", args=[case.pk]), {"note": ""}, follow=True)
    assert "暂不能解除管控" in response.content.decode()
    assert as_user(triad.readonly).post(reverse("control:case_release", args=[case.pk])).status_code == 403
    assert as_user(triad.neighbour).post(reverse("control:case_close", args=[case.pk]),
                                         {"status": "lost", "note": "x"}).status_code == 404
    test = case.tests.order_by("due_on").first()
    client.post(reverse("control:case_test_record", args=[case.pk, test.pk]), {"result": "negative"})
    test.refresh_from_db()
    assert test.result == "negative"
    client.post(reverse("control:case_close", args=[case.pk]), {"status": "hospital", "note": "发热转诊"})
    case.refresh_from_db()
    assert case.status == CaseStatus.HOSPITAL


def test_transfer_and_accept_through_the_pages(triad, case, as_user):
    sender = as_user(triad.inside)
    response = sender.post(reverse("control:case_transfer", args=[case.pk]),
                           {"to_unit": triad.county.west_grid.code, "reason": "实际居住在西门村"})
    assert response.status_code == 302
    transfer = CaseTransfer.objects.get()
    receiver = as_user(triad.neighbour)
    listing = receiver.get(reverse("control:case_list")).content.decode()
    assert "待接收的协查移交" in listing and "实际居住在西门村" in listing
    assert "已移交待对方接收" in sender.get(reverse("control:case_list")).content.decode()
    # Only the receiver may accept; for the sender it is not found.
    assert sender.post(reverse("control:transfer_accept", args=[transfer.pk])).status_code == 404
    response = receiver.post(reverse("control:transfer_accept", args=[transfer.pk]))
    assert response.status_code == 302
    assert receiver.get(reverse("control:case_detail", args=[case.pk])).status_code == 200
    assert sender.get(reverse("control:case_detail", args=[case.pk])).status_code == 404


def test_decline_through_the_pages(triad, case, as_user):
    transfer = transfer_case(case, to_unit=triad.county.west_grid, reason="x", by=triad.inside, now=timezone.now())
    as_user(triad.neighbour).post(reverse("control:transfer_decline", args=[transfer.pk]), {"reason": "查无此人"})
    transfer.refresh_from_db()
    assert transfer.declined_at is not None and transfer.decline_reason == "查无此人"


def test_regimen_change_page_previews_then_applies_the_chosen(triad, v8, v9, as_user):
    case = open_case(triad.east_person, "close_contact", anchor_date=timezone.localdate() - timedelta(days=1),
                     regimen=v8, now=timezone.now())
    url = reverse("control:regimen_change")
    assert as_user(triad.inside).get(url).status_code == 403
    client = as_user(triad.above)
    page = client.get(url, {"regimen": v9.pk}).content.decode()
    assert "张三丰" in page and 'name="case"' in page
    case.refresh_from_db()
    assert case.regimen == v8
    client.post(url, {"regimen": v9.pk, "case": [case.pk]})
    case.refresh_from_db()
    assert case.regimen == v9
    # The neighbour's leader sees nothing to change here.
    from fangkong.conftest import make_user

    other = make_user("river_leader", "leader", triad.county.other_town)
    assert "张三丰" not in as_user(other).get(url, {"regimen": v8.pk}).content.decode()


def test_detail_masks_the_team_phones_for_roles_without_identity(triad, v8, as_user):
    case = open_case(triad.east_person, "close_contact", anchor_date=timezone.localdate() - timedelta(days=1),
                     regimen=v8, team=[("网格员", "王五", "13800138000")], by=triad.inside, now=timezone.now())
    url = reverse("control:case_detail", args=[case.pk])
    assert "13800138000" in as_user(triad.inside).get(url).content.decode()
    readonly = as_user(triad.readonly).get(url).content.decode()
    assert "王五" in readonly and "13800138000" not in readonly and "138****8000" in readonly
