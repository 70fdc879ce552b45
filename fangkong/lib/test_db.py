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


@pytest.mark.django_db
@pytest.mark.parametrize("texts", [
    ["东门村", "", "it's \"quoted\", 一组\n", "长" * 3000],  # joined into one parameter
    ["a\x1fb", "c"],  # holds the separator: passed as an array
    [""],  # one empty text
    ["x", None, ""],  # a NULL
])
def test_a_derived_table_gives_back_texts_exactly_whatever_they_hold(texts):
    table, params = rows_table([("n", "int"), ("label", "text")], list(enumerate(texts)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n, label FROM {table} v ORDER BY n", params)
        assert [label for _n, label in cursor.fetchall()] == texts


def test_insert_rows_writes_the_fields_given_and_the_defaults_of_the_others(county, django_user_model):
    from fangkong.alerts.models import Alert, AlertKind, Delivery
    from fangkong.lib.db import insert_rows

    now = timezone.make_aware(datetime.datetime(2022, 1, 27, 12, 0))
    user = django_user_model.objects.create_user(username="grid-worker")
    alert = Alert.objects.create(kind=AlertKind.POSITIVE_TUBE, origin_unit=county.town, origin_path=county.town.path,
                                 unit=county.town, title="阳性管", key="k", raised_at=now)
    rows = [(alert.pk, user.pk, "in_app", now), (alert.pk, user.pk, "sms", now)]
    pks = insert_rows(Delivery, ["alert_id", "user_id", "channel", "sent_at"], rows)
    assert len(pks) == 2 and len(set(pks)) == 2
    saved = {d.pk: d for d in Delivery.objects.filter(pk__in=pks)}
    assert [(saved[pk].channel, saved[pk].sent_at, saved[pk].level, saved[pk].ok, saved[pk].error, saved[pk].read_at)
            for pk in pks] == [("in_app", now, 0, True, "", None), ("sms", now, 0, True, "", None)]
    assert insert_rows(Delivery, ["alert_id", "user_id", "channel", "sent_at"], []) == []


def test_insert_rows_refuses_an_unknown_field_or_one_set_on_save_before_writing_anything(county):
    from fangkong.leads.models import LeadBatch
    from fangkong.lib.db import insert_rows
    from fangkong.people.models import Household

    with pytest.raises(TypeError, match="no field"):
        insert_rows(LeadBatch, ["nonsense"], [("x",)])
    with pytest.raises(TypeError, match="set on save"):
        insert_rows(Household, ["number", "unit_id", "unit_path"], [("H1", county.town.pk, county.town.path)])
    assert not Household.objects.exists()
