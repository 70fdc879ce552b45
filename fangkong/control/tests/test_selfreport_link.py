"""/r/<token>/: the person's own link. No login; only their own plan and form; no ID or phone
numbers; stops at release (410); rate-limited per token."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.models import CaseStatus, FollowUpEntry, Method

from .test_followup_support import current  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def link(case):
    return f"/r/{case.self_report_token}/"


def test_shows_only_the_own_plan_without_identity(client, triad, current):
    response = client.get(link(current.east))
    page = response.content.decode()
    assert response.status_code == 200
    assert "张**" in page and "张三丰" not in page and "李四" not in page
    assert triad.east_person.id_number not in page and "13800135678" not in page
    assert "居家隔离医学观察" in page and "年" in page and "08:00–10:00" in page
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"


def test_report_records_a_self_report_entry(client, current):
    response = client.post(link(current.east), {"temperature": "36.7"})
    assert response.status_code == 302
    entry = FollowUpEntry.objects.get()
    assert entry.case == current.east and entry.method == Method.SELF_REPORT and entry.recorder is None
    assert "已提交" in client.get(link(current.east)).content.decode()


def test_abnormal_self_report_alerts_the_team(client, current):
    client.post(link(current.east), {"temperature": "36.5", "symptoms": ["sore_throat"]})
    alert = Alert.objects.get(kind=AlertKind.ABNORMAL_FOLLOW_UP)
    assert list(alert.recipients.all()) == [current.east_team]


def test_bad_temperature_is_refused_in_chinese(client, current):
    response = client.post(link(current.east), {"temperature": "50"})
    assert response.status_code == 400 and "34℃至43℃" in response.content.decode()
    assert not FollowUpEntry.objects.exists()


@pytest.mark.parametrize("status", [CaseStatus.RELEASED, CaseStatus.TRANSFERRED_OUT, CaseStatus.LOST])
def test_link_stops_working_when_the_case_is_no_longer_active(client, current, status):
    current.east.status = status
    current.east.closed_at = timezone.now()
    current.east.save()
    for response in (client.get(link(current.east)), client.post(link(current.east), {"temperature": "36.5"})):
        assert response.status_code == 410 and "此链接已失效" in response.content.decode()
    assert not FollowUpEntry.objects.exists()


def test_unknown_token_is_not_found(client, current):
    assert client.get("/r/not-a-real-token-at-all/").status_code == 404


def test_reports_are_rate_limited_per_token(client, current):
    for _ in range(6):
        assert client.post(link(current.east), {"temperature": "36.5"}).status_code == 302
    limited = client.post(link(current.east), {"temperature": "36.5"})
    assert limited.status_code == 429 and "操作过于频繁" in limited.content.decode()
    assert FollowUpEntry.objects.count() == 6
    assert client.post(link(current.west), {"temperature": "36.5"}).status_code == 302
