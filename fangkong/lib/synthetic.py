"""Fictional people for the demo county, benchmarks and tests: names, checksum-valid
resident IDs with real region codes, phone numbers. Deterministic for a given seed."""

import datetime
import random

from .idnumbers import with_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰文辉志强春梅海燕红梅小红晓东子涵一诺浩然欣怡梓轩雨桐思远佳怡宇航俊杰嘉豪婷婷丹丹亮亮宏伟德胜金花德华国强秀珍凤英"
# County-level division codes around the fictional county (Hunan), all in use since the 1980s.
REGIONS = ["430626", "430621", "430623", "430624", "430681", "430682", "430602", "430603", "430611", "430102",
           "430103", "430104", "430105", "430111", "430121", "420106", "420102", "441302", "440305", "360426"]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
                  "186", "187", "188", "189", "191", "198", "199"]


class PersonFactory:
    """Makes fictional people. Each ID number is unique within one factory."""

    def __init__(self, seed=20220127, today=None):
        self.rng = random.Random(seed)
        self.today = today or datetime.date(2022, 1, 27)
        self._sequence = {}

    def name(self):
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.6 else "")
        return self.rng.choice(SURNAMES) + given

    def birth_date(self, min_age=0, max_age=90):
        days = self.rng.randint(min_age * 365, max_age * 365)
        return self.today - datetime.timedelta(days=days)

    def resident_id(self, birth=None, sex=None):
        """A checksum-valid number; unique because the (region, birth date) sequence is counted."""
        birth = birth or self.birth_date()
        region = self.rng.choice(REGIONS)
        key = (region, birth)
        seq = self._sequence.get(key, self.rng.randint(0, 49) * 10)
        while True:
            seq += 1
            if sex is None or (seq % 2 == 1) == (sex == "M"):
                break
        if seq > 999:
            return self.resident_id(birth + datetime.timedelta(days=1), sex)
        self._sequence[key] = seq
        return with_check_digit(f"{region}{birth:%Y%m%d}{seq:03d}")

    def phone(self):
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"
