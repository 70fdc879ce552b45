"""The derived tables of `rows_table`, on both databases."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.lib.db import rows_table


@pytest.mark.django_db
def test_a_derived_table_gives_back_its_rows_with_nulls_and_every_type():
    moment = timezone.make_aware(datetime.datetime(2022, 1, 27, 12, 0))
    rows = [(1, 7, "东门村, 一组", moment), (None, -3, "", None), (2**40, None, "it's", moment)]
    table, params = rows_table([("id", "bigint"), ("n", "int"), ("label", "text"), ("at", "timestamptz")], rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, n, label, at FROM {table} v", params)
        back = cursor.fetchall()
    assert [row[:3] for row in back] == [row[:3] for row in rows]
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
