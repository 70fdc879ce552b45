"""`fangkong testing …`: nucleic-acid testing from the command line.

    fangkong testing pool-size --prevalence P [--max-size N] [--json]
    fangkong testing frequency-list [--json]
    fangkong testing frequency-import FILE.yaml
    fangkong testing frequency-export CODE [-o FILE]
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangkong.testing.models import FrequencyRule
from fangkong.testing.services.frequency import export_rule_yaml, import_rule_yaml
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
        sub = parser.add_subparsers(dest="action",
                                    metavar="{pool-size,frequency-list,frequency-import,frequency-export}")
        sub.required = True

        pool = sub.add_parser("pool-size", help="按估计阳性率计算每人检测次数最少的混采人数（Dorfman 1943）")
        pool.add_argument("--prevalence", required=True, metavar="P", help="估计阳性率，0 ≤ P < 1，如 0.01")
        pool.add_argument("--max-size", type=int, metavar="N", help="最大混采人数（阳性率为 0 时必填）")
        pool.add_argument("--json", action="store_true", help='输出 JSON：{"pool_size": n, "tests_per_person": t}')

        listing = sub.add_parser("frequency-list", help="列出重点人群定期检测频次规则及其版本")
        listing.add_argument("--json", action="store_true", help="输出 JSON")
        importing = sub.add_parser("frequency-import", help="从 YAML 文件导入频次规则（新版本）")
        importing.add_argument("file", metavar="FILE.yaml")
        exporting = sub.add_parser("frequency-export", help="把频次规则（最新版本）导出为 YAML")
        exporting.add_argument("code", metavar="CODE")
        exporting.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认输出到屏幕）")

    def handle(self, *args, action, **options):
        handler = {
            "pool-size": self.pool_size,
            "frequency-list": self.frequency_list,
            "frequency-import": self.frequency_import,
            "frequency-export": self.frequency_export,
        }[action]
        handler(**options)

    def frequency_list(self, json=False, **options):
        rows = [
            {"code": rule.code, "version": rule.version, "name": rule.name,
             "unit": rule.unit.code if rule.unit_id else None,
             "effective_from": rule.effective_from.isoformat(),
             "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
             "groups": rule.groups}
            for rule in FrequencyRule.objects.select_related("unit").order_by("code", "version")
        ]
        if json:
            self.stdout.write(_json_dumps(rows))
            return
        for row in rows:
            groups = "、".join(f"{g['label']}每{g['days']}天{g['times']}次" for g in row["groups"])
            period = f"{row['effective_from']}～{row['effective_to'] or ''}"
            self.stdout.write(f"{row['code']} v{row['version']}\t{period}\t{row['name']}\t{groups}")

    def frequency_import(self, file, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"无法读取文件 {file}：{error}") from None
        try:
            rule = import_rule_yaml(text)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(f"已导入频次规则 {rule.code} 第{rule.version}版：{rule.name}")

    def frequency_export(self, code, output=None, **options):
        rule = FrequencyRule.objects.filter(code=code).order_by("-version").first()
        if rule is None:
            raise CommandError(f"频次规则不存在：{code}（用 `fangkong testing frequency-list` 查看）")
        text = export_rule_yaml(rule)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"已导出到 {output}")
        else:
            self.stdout.write(text, ending="")

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
