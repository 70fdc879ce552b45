"""The derived tables of `rows_table`, on both databases."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.lib.db import rows_table


@pytest.mark.django_db
def test_a_derived_table_gives_back_its_rows_with_nulls_and_every_type():
    moment = timezone.make_aware(datetime.datetime(2022, 1, 27, 12, 0))
    rows = [(1, 7, "东门村, 一组", moment, True), (None, -3, "", None, False), (2**40, None, "it's", moment, None)]
    table, params = rows_table([("id", "bigint"), ("n", "int"), ("label", "text"), ("at", "timestamptz"),
                                ("ok", "bool")], rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, n, label, at, ok FROM {table} v", params)
        back = cursor.fetchall()
    assert [row[:3] for row in back] == [row[:3] for row in rows]
    assert [None if row[4] is None else bool(row[4]) for row in back] == [True, False, None]
    at = [row[3] for row in back]
    if connection.vendor == "sqlite":  # SQLite gives back the text Django stores: UTC, naive
        at = [None if value is None else datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC)
              for value in at]
    assert at == [moment, None, moment]


@pytest.mark.django_db
def test_an_empty_derived_table_has_no_rows():
    table, params = rows_table([("id", "bigint"), ("label", "text")], [])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} v", params)
        assert cursor.fetchone()[0] == 0


def test_insert_many_writes_every_field_and_gives_each_instance_its_pk(county):
    from fangkong.alerts.models import Alert, AlertKind
    from fangkong.lib.db import insert_many

    now = timezone.make_aware(datetime.datetime(2022, 1, 27, 12, 0))
    alerts = [Alert(kind=AlertKind.POSITIVE_TUBE, origin_unit=county.town, origin_path=county.town.path,
                    unit=county.town, level=i, title=f"第{i}条", detail="it's, \"quoted\"\n", key=f"k{i}",
                    subject_id=None if i else 2**40, raised_at=now, ack_due_at=None if i else now)
              for i in range(3)]
    assert insert_many(Alert, alerts) == alerts
    assert all(alert.pk for alert in alerts) and not any(alert._state.adding for alert in alerts)
    for alert in alerts:
        saved = Alert.objects.get(pk=alert.pk)
        assert (saved.kind, saved.title, saved.detail, saved.key, saved.level, saved.subject_id, saved.raised_at,
                saved.ack_due_at, saved.unit_id, saved.note) == (
            alert.kind, alert.title, alert.detail, alert.key, alert.level, alert.subject_id, alert.raised_at,
            alert.ack_due_at, county.town.pk, "")


def test_insert_many_refuses_a_field_it_cannot_carry_before_writing_anything(county):
    from fangkong.leads.models import Lead
    from fangkong.lib.db import insert_many

    with pytest.raises(TypeError, match="leads.Lead"):
        insert_many(Lead, [Lead(unit=county.town, name="张三", received_at=timezone.now())])
    assert not Lead.objects.exists()
