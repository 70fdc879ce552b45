"""`fangkong testing …`: nucleic-acid testing from the command line.

    fangkong testing pool-size --prevalence P [--max-size N] [--json]
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangkong.testing.services.pooling import optimal_pool_size


def _messages(error):
    return "；".join(error.messages)


def _prevalence(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        raise CommandError(f"--prevalence 应为 0 到 1 之间的数（不含 1），如 0.01 表示 1%：{text}") from None


class Command(BaseCommand):
    help = "核酸检测：按 Dorfman 两阶段混采计算最优混采人数 (nucleic-acid testing: optimal pool size)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{pool-size}")
        sub.required = True

        pool = sub.add_parser("pool-size", help="按估计阳性率计算每人检测次数最少的混采人数（Dorfman 1943）")
        pool.add_argument("--prevalence", required=True, metavar="P", help="估计阳性率，0 ≤ P < 1，如 0.01")
        pool.add_argument("--max-size", type=int, metavar="N", help="最大混采人数（阳性率为 0 时必填）")
        pool.add_argument("--json", action="store_true", help='输出 JSON：{"pool_size": n, "tests_per_person": t}')

    def handle(self, *args, action, **options):
        handler = {"pool-size": self.pool_size}[action]
        handler(**options)

    def pool_size(self, prevalence, max_size=None, json=False, **options):
        value = _prevalence(prevalence)
        try:
            best = optimal_pool_size(value, max_size=max_size)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        tests = round(best.tests_per_person, 4)
        if json:
            self.stdout.write(_json_dumps({"pool_size": best.size, "tests_per_person": tests}))
            return
        if best.beats_individual:
            line = f"阳性率 {value:g}：最优混采比例 1:{best.size}，每人平均检测 {tests} 次，比单人单管节省 {best.saving:.1%}。"
        else:
            line = f"阳性率 {value:g}：{best.size} 人一管时每人平均检测 {tests} 次，仍不比单人单管省，应单人单管检测。"
        self.stdout.write(line)


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False)
