"""`fangkong control …`: regimens from the command line.

    fangkong control preview --regimen CODE --category CODE --anchor YYYY-MM-DD [--arrival YYYY-MM-DD]
    fangkong control regimens [--json]
    fangkong control import-regimen FILE.yaml
    fangkong control export-regimen CODE [-o FILE]
"""

import datetime
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangkong.control.models import Category, RegimenVersion
from fangkong.control.regimens import compute_plan
from fangkong.control.regimens.selection import categories_of, rule_of
from fangkong.control.regimens.yaml_io import dump_regimen_yaml, load_regimen_yaml, save_regimen


def _date(text, option):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(f"{option} 日期格式应为 YYYY-MM-DD：{text}") from None


def _messages(error):
    return "；".join(error.messages)


def _categories(version):
    return [c.value for c in categories_of(version)]


class Command(BaseCommand):
    help = "管控方案：预览管控计划、列出方案、导入导出 YAML (regimens: preview, list, import, export)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{preview,regimens,import-regimen,export-regimen}")
        sub.required = True

        preview = sub.add_parser("preview", help="按方案计算一个人的管控计划，输出 JSON")
        preview.add_argument("--regimen", required=True, metavar="CODE", help="方案编码，如 gongtian-2022")
        preview.add_argument("--category", required=True, metavar="CODE", help="人员类别，如 high_risk_area")
        preview.add_argument("--anchor", required=True, metavar="YYYY-MM-DD", help="起算日期（末次暴露、离开等）")
        preview.add_argument("--arrival", metavar="YYYY-MM-DD", help="抵达日期（不填为起算日期次日）")

        listing = sub.add_parser("regimens", help="列出管控方案")
        listing.add_argument("--json", action="store_true", help="输出 JSON 列表")

        importing = sub.add_parser("import-regimen", help="从 YAML 文件导入管控方案")
        importing.add_argument("file", metavar="FILE.yaml")

        exporting = sub.add_parser("export-regimen", help="把管控方案导出为 YAML")
        exporting.add_argument("code", metavar="CODE")
        exporting.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认输出到屏幕）")

    def handle(self, *args, action, **options):
        handler = {
            "preview": self.preview,
            "regimens": self.regimens,
            "import-regimen": self.import_regimen,
            "export-regimen": self.export_regimen,
        }[action]
        handler(**options)

    def _version(self, code):
        version = RegimenVersion.objects.filter(code=code).first()
        if version is None:
            raise CommandError(f"管控方案不存在：{code}（用 `fangkong control regimens` 查看可用的方案编码）")
        return version

    def preview(self, regimen, category, anchor, arrival=None, **options):
        version = self._version(regimen)
        anchor_date = _date(anchor, "--anchor")
        arrival_date = _date(arrival, "--arrival") if arrival else None
        if category not in Category.values:
            raise CommandError(f"未知的人员类别：{category}（可用：{'、'.join(Category.values)}）")
        try:
            plan = compute_plan(rule_of(version, category), anchor_date, arrival_date)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(json.dumps(plan.preview(), ensure_ascii=False))

    def regimens(self, json=False, **options):
        rows = [
            {
                "code": v.code,
                "name": v.name,
                "issuer": v.issuer,
                "effective_from": v.effective_from.isoformat(),
                "effective_to": v.effective_to.isoformat() if v.effective_to else None,
                "categories": _categories(v),
            }
            for v in RegimenVersion.objects.order_by("effective_from", "code")
        ]
        if json:
            self.stdout.write(_json_dumps(rows))
            return
        for row in rows:
            period = f"{row['effective_from']}～{row['effective_to'] or ''}"
            self.stdout.write(f"{row['code']}\t{period}\t{row['name']}\t{','.join(row['categories'])}")

    def import_regimen(self, file, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"无法读取文件 {file}：{error}") from None
        try:
            version = save_regimen(load_regimen_yaml(text))
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(f"已导入管控方案 {version.code}：{version.name}（{'、'.join(_categories(version))}）")

    def export_regimen(self, code, output=None, **options):
        text = dump_regimen_yaml(self._version(code))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"已导出到 {output}")
        else:
            self.stdout.write(text, ending="")


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False)
