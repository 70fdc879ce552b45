import datetime

import pytest
from django.utils import timezone

from fangkong.conftest import fictional_id


def at(day, hour, minute=0):
    """An aware local time (Asia/Shanghai) on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


DAY = datetime.date(2022, 1, 20)


@pytest.fixture
def newcomer():
    """Lead data for somebody not on the books, living in 东门村."""
    return {"name": "王五", "id_number": fictional_id("420115", "19900305", 31), "phone": "13712345678",
            "address": "城关镇东门村5号", "origin": "湖北省武汉市江夏区", "departed_on": "2022-01-17",
            "arrived_on": "2022-01-18", "reason": "大数据推送：武汉江夏来返"}
