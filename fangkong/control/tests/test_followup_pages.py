"""The follow-up pages: today's list (triad, unit filter, abnormal highlighted), the quick entry
by htmx, a case's history, the QR code and card, and regenerating the link."""

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.conftest import make_user
from fangkong.control.models import ControlCase, FollowUpEntry
from fangkong.control.services.followup import record_entry

from .test_followup_support import current, png  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = reverse("control:followup_today")


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_today_lists_the_cases_of_the_jurisdiction(as_user, triad, current):
    inside = body(as_user(triad.inside).get(TODAY))
    assert "张三丰" in inside and "李四" not in inside and "08:00–10:00" in inside
    neighbour = body(as_user(triad.neighbour).get(TODAY))
    assert "李四" in neighbour and "张三丰" not in neighbour
    above = body(as_user(triad.above).get(TODAY))
    assert "张三丰" in above and "李四" in above
    filtered = body(as_user(triad.above).get(TODAY, {"unit": triad.county.west.pk}))
    assert "李四" in filtered and "张三丰" not in filtered
    # A unit outside the jurisdiction is ignored, not shown.
    assert "李四" not in body(as_user(triad.inside).get(TODAY, {"unit": triad.county.west.pk}))


def test_abnormal_case_is_highlighted_and_filtered(as_user, triad, current):
    record_entry(current.east, temperature="38.0", method="phone", now=timezone.now())
    page = body(as_user(triad.above).get(TODAY))
    assert f'class="card abnormal" id="case-{current.east.pk}"' in page
    assert f'class="card" id="case-{current.west.pk}"' in page
    only = body(as_user(triad.above).get(TODAY, {"show": "abnormal"}))
    assert "张三丰" in only and "李四" not in only


def test_quick_entry_by_htmx_returns_the_card(as_user, triad, current):
    url = reverse("control:followup_entry", args=[current.east.pk])
    prefix = f"case-{current.east.pk}"
    response = as_user(triad.inside).post(url, {f"{prefix}-temperature": "36.4", f"{prefix}-method": "phone"},
                                          HTTP_HX_REQUEST="true")
    page = body(response)
    assert page.lstrip().startswith('<div class="card" id="case-') and "已登记。" in page
    assert FollowUpEntry.objects.get().recorder == triad.inside
    bad = body(as_user(triad.inside).post(url, {f"{prefix}-temperature": "30", f"{prefix}-method": "phone"},
                                          HTTP_HX_REQUEST="true"))
    assert "34℃至43℃" in bad and FollowUpEntry.objects.count() == 1


def test_entry_outside_the_jurisdiction_or_without_permission_is_refused(as_user, triad, current):
    url = reverse("control:followup_entry", args=[current.west.pk])
    prefix = f"case-{current.west.pk}"
    data = {f"{prefix}-temperature": "36.4", f"{prefix}-method": "phone"}
    assert as_user(triad.inside).post(url, data).status_code == 404
    assert as_user(triad.readonly).post(reverse("control:followup_entry", args=[current.east.pk]), data
                                        ).status_code == 403
    assert not FollowUpEntry.objects.exists()


def test_readonly_sees_the_list_without_forms_and_masked_phones(as_user, triad, current):
    page = body(as_user(triad.readonly).get(TODAY))
    assert "张三丰" in page and "登记体温" not in page and "138****5678" in page
    assert "13800135678" in body(as_user(triad.inside).get(TODAY))


def test_case_history_triad(as_user, triad, current):
    record_entry(current.east, temperature="36.6", method="phone", symptoms=["fatigue"], now=timezone.now())
    url = reverse("control:followup_case", args=[current.east.pk])
    page = body(as_user(triad.inside).get(url))
    assert "36.6℃" in page and "乏力" in page and "签字确认" in page
    assert as_user(triad.neighbour).get(url).status_code == 404
    assert "36.6℃" in body(as_user(triad.above).get(url))


def test_sign_off_from_the_page_once_per_member_day(as_user, triad, current):
    url = reverse("control:followup_signoff", args=[current.east.pk])
    member = current.east.team.get()
    data = {"member": member.pk, "day": timezone.localdate().isoformat()}
    client = as_user(triad.inside)
    assert client.post(url, {**data, "photo": png()}).status_code == 302
    follow = client.post(url, {**data, "photo": png()}, follow=True)
    assert "每人每天一次" in body(follow)
    assert current.east.sign_offs.count() == 1
    assert as_user(triad.neighbour).post(url, {**data, "photo": png()}).status_code == 404


def test_qr_code_and_card_carry_the_personal_link(as_user, triad, current):
    token = current.east.self_report_token
    svg = as_user(triad.inside).get(reverse("control:followup_qr", args=[current.east.pk]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    card = body(as_user(triad.inside).get(reverse("control:followup_card", args=[current.east.pk])))
    assert f"http://testserver/r/{token}/" in card and "<svg" in card
    assert as_user(triad.neighbour).get(reverse("control:followup_qr", args=[current.east.pk])).status_code == 404
    assert as_user(triad.neighbour).get(reverse("control:followup_card", args=[current.east.pk])).status_code == 404


def test_regenerating_the_token_invalidates_the_old_link(as_user, client, triad, current):
    old = current.east.self_report_token
    url = reverse("control:followup_token", args=[current.east.pk])
    assert as_user(triad.readonly).post(url).status_code == 403
    assert as_user(triad.neighbour).post(url).status_code == 404
    assert as_user(triad.inside).post(url).status_code == 302
    new = ControlCase.objects.get(pk=current.east.pk).self_report_token
    assert new != old and len(new) >= 40
    assert client.get(f"/r/{old}/").status_code == 404
    assert client.get(f"/r/{new}/").status_code == 200


def test_pages_need_a_login(client, current):
    assert client.get(TODAY).status_code == 302
    assert client.get(reverse("control:followup_qr", args=[current.east.pk])).status_code == 302


def test_entry_redirect_stays_on_the_site(as_user, triad, current):
    url = reverse("control:followup_entry", args=[current.east.pk])
    prefix = f"case-{current.east.pk}"
    data = {f"{prefix}-temperature": "36.4", f"{prefix}-method": "phone"}
    away = as_user(triad.inside).post(url, {**data, "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == reverse("control:followup_case", args=[current.east.pk])
    back = as_user(triad.inside).post(url, {**data, "next": f"{TODAY}?show=open"})
    assert back["Location"] == f"{TODAY}?show=open"


def test_card_masks_the_team_phones_for_readonly(as_user, triad, current):
    from django.contrib.auth.models import Permission

    current.east.team.update(phone="13912345678")
    url = reverse("control:followup_card", args=[current.east.pk])
    assert "13912345678" in body(as_user(triad.inside).get(url))
    # A read-only user may not print the card (whoever holds the link can report as the person)…
    assert as_user(triad.readonly).get(url).status_code == 403
    assert as_user(triad.readonly).get(reverse("control:followup_qr", args=[current.east.pk])).status_code == 403
    # …and a recorder whose role may not see identity gets the team's phones masked.
    recorder = make_user("east_recorder", "readonly", triad.county.east)
    recorder.user_permissions.add(Permission.objects.get(codename="add_followupentry"))
    masked = body(as_user(recorder).get(url))
    assert "13912345678" not in masked and "139****5678" in masked


def test_missing_sign_offs_page_triad(as_user, triad, current):
    url = reverse("control:followup_missing")
    inside = body(as_user(triad.inside).get(url))
    assert "张三丰" in inside and "李四" not in inside
    neighbour = body(as_user(triad.neighbour).get(url))
    assert "李四" in neighbour and "张三丰" not in neighbour
    above = body(as_user(triad.above).get(url))
    assert "张三丰" in above and "李四" in above


def test_sign_off_photo_is_served_only_within_the_jurisdiction(as_user, triad, current):
    from fangkong.control.services.signoff import sign_off

    record = sign_off(current.east, timezone.localdate(), current.east.team.get(), by=current.east_team,
                      photo=png(), now=timezone.now())
    url = reverse("control:followup_signoff_photo", args=[record.pk])
    response = as_user(triad.inside).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert as_user(triad.above).get(url).status_code == 200
    assert as_user(triad.neighbour).get(url).status_code == 404
