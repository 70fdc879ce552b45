import datetime

import pytest

from fangkong.areas.models import RiskArea


@pytest.fixture
def areas(db):
    """A high-risk street of 江夏区 (Wuhan), a medium-risk area in 西安雁塔区 lifted on 3 Feb 2022,
    and a low-risk area with no local cases in 长沙."""
    return {
        "jiangxia": RiskArea.objects.create(level="high", scope="street", division_code="420115001", name="湖北省武汉市江夏区纸坊街道",
                                            effective_from=datetime.date(2022, 1, 10)),
        "yanta": RiskArea.objects.create(level="medium", scope="county", division_code="610113", name="陕西省西安市雁塔区",
                                         effective_from=datetime.date(2022, 1, 1), effective_to=datetime.date(2022, 2, 3)),
        "changsha": RiskArea.objects.create(level="low", scope="city", division_code="4301", name="湖南省长沙市",
                                            effective_from=datetime.date(2022, 1, 1), local_cases=False),
    }
