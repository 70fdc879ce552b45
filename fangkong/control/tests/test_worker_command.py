"""`fangkong worker --once --now …`: every configured pass runs once at the given moment, a
failing pass is reported and the others still run."""

import json

import pytest
from django.core.management import CommandError, call_command

from fangkong.alerts.models import Alert, AlertKind
from fangkong.control.models import FollowUpSlot, SlotStatus

from .test_followup_support import START, cases  # noqa: F401

pytestmark = pytest.mark.django_db

CONTROL = "fangkong.control.services.worker.run_control_pass"


def broken(now):
    raise RuntimeError("坏了")


def test_once_with_now_closes_the_slots_due_then(cases, settings, capsys):
    settings.FANGKONG_WORKER_PASSES = [CONTROL, "fangkong.alerts.services.escalate_due"]
    call_command("worker", "--once", "--now", "2022-01-27 10:00", "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["pass"] for line in lines] == [CONTROL, "fangkong.alerts.services.escalate_due"]
    assert lines[0]["counts"]["slots_closed"] == 2 and lines[0]["counts"]["missed_alerts"] == 2
    assert lines[0]["now"].startswith("2022-01-27T10:00:00+08:00")
    assert FollowUpSlot.objects.filter(day=START, status=SlotStatus.MISSED).count() == 2
    # Run again at the same moment: nothing new.
    call_command("worker", "--once", "--now", "2022-01-27 10:00", "--json")
    again = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert again[0]["counts"]["slots_closed"] == 0 and again[0]["counts"]["missed_alerts"] == 0
    assert Alert.objects.filter(kind=AlertKind.MISSED_SLOT).count() == 2


def test_escalation_runs_in_the_same_command_later(cases, settings, capsys):
    settings.FANGKONG_WORKER_PASSES = [CONTROL, "fangkong.alerts.services.escalate_due"]
    call_command("worker", "--once", "--now", "2022-01-27 10:00")
    call_command("worker", "--once", "--now", "2022-01-27 12:01")
    out = capsys.readouterr().out
    assert "worker.run_control_pass" in out and "slots_closed=2" in out and "alerts_escalated=2" in out
    assert Alert.objects.filter(kind=AlertKind.MISSED_SLOT, level=1).count() == 2


def test_a_failing_pass_is_reported_and_the_others_run(cases, settings, capsys):
    settings.FANGKONG_WORKER_PASSES = [f"{__name__}.broken", CONTROL]
    call_command("worker", "--once", "--now", "2022-01-27 10:00", "--json")
    first, second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first["error"] == "RuntimeError: 坏了" and second["counts"]["slots_closed"] == 2


def test_bad_now_is_refused_in_chinese(settings):
    with pytest.raises(CommandError, match="YYYY-MM-DD HH:MM"):
        call_command("worker", "--once", "--now", "27/01/2022")
