"""`fangkong report …`: daily reports and situation reports from the command line.

    fangkong report daily --unit CODE --date YYYY-MM-DD --format json|xlsx [-o FILE] [--form CODE]
    fangkong report situation --unit CODE --as-of "YYYY-MM-DD HH:MM" [--template CODE] -o FILE.docx
    fangkong report snapshot --date YYYY-MM-DD [--unit CODE] [--form CODE]
    fangkong report forms [--json]
    fangkong report import-form FILE.yaml
    fangkong report export-form CODE [-o FILE]
"""

import datetime
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.orgs.models import Unit
from fangkong.reports.models import ReportForm
from fangkong.reports.services.daily import daily_report
from fangkong.reports.services.form_rules import export_form_yaml, import_form_yaml
from fangkong.reports.services.forms import DEFAULT_FORM, FormNotFound, form_in_force
from fangkong.reports.services.situation import write_situation
from fangkong.reports.services.snapshots import snapshot_units, take_snapshots
from fangkong.reports.services.xlsx import daily_xlsx


def _date(text, option):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(f"{option} 日期格式应为 YYYY-MM-DD：{text}") from None


def _moment(text, option):
    try:
        value = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(f'{option} 时间格式应为 "YYYY-MM-DD HH:MM"：{text}') from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _unit(code):
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(f"单位不存在：{code}（用 `fangkong units --json` 查看单位编码）")
    return unit


def _form(code, day):
    try:
        return form_in_force(code, day)
    except FormNotFound:
        raise CommandError(f"{day.isoformat()} 没有生效的报表：{code}（用 `fangkong report forms` 查看）") from None


def _messages(error):
    return "；".join(error.messages)


class Command(BaseCommand):
    help = "日报与汇报：日报汇总（JSON/Excel）、情况汇报（Word）、每日快照、报表导入导出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", metavar="{daily,situation,snapshot,forms,import-form,export-form}"
        )
        sub.required = True

        daily = sub.add_parser("daily", help="一个单位某日的日报汇总，输出 JSON 或 Excel")
        daily.add_argument("--unit", required=True, metavar="CODE", help="单位编码")
        daily.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="日期")
        daily.add_argument("--format", choices=["json", "xlsx"], default="json", help="输出格式")
        daily.add_argument("--form", default=DEFAULT_FORM, metavar="CODE", help="报表编码（默认 daily）")
        daily.add_argument("-o", "--output", metavar="FILE", help="写入文件（JSON 默认输出到屏幕；xlsx 必须指定）")

        situation = sub.add_parser("situation", help="按模板生成情况汇报（.docx），并编入简报期数")
        situation.add_argument("--unit", required=True, metavar="CODE", help="单位编码")
        situation.add_argument("--as-of", required=True, metavar='"YYYY-MM-DD HH:MM"', help="统计截至时间")
        situation.add_argument("--template", default="situation-2020", metavar="CODE", help="模板编码")
        situation.add_argument("-o", "--output", required=True, metavar="FILE.docx", help="写入文件")

        snapshot = sub.add_parser("snapshot", help="生成某日的汇总快照（已有且未变化的不重复生成）")
        snapshot.add_argument("--date", required=True, metavar="YYYY-MM-DD")
        snapshot.add_argument("--unit", metavar="CODE", help="只生成该单位及其下级（默认全部）")
        snapshot.add_argument("--form", default=DEFAULT_FORM, metavar="CODE")

        forms = sub.add_parser("forms", help="列出报表及其版本")
        forms.add_argument("--json", action="store_true", help="输出 JSON 列表")

        importing = sub.add_parser("import-form", help="从 YAML 文件导入报表（新版本）")
        importing.add_argument("file", metavar="FILE.yaml")

        exporting = sub.add_parser("export-form", help="把报表导出为 YAML")
        exporting.add_argument("code", metavar="CODE")
        exporting.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认输出到屏幕）")

    def handle(self, *args, action, **options):
        handler = {
            "daily": self.daily,
            "situation": self.situation,
            "snapshot": self.snapshot,
            "forms": self.forms,
            "import-form": self.import_form,
            "export-form": self.export_form,
        }[action]
        handler(**options)

    def daily(self, unit, date, format, form, output=None, **options):
        unit, day = _unit(unit), _date(date, "--date")
        report_form = _form(form, day)
        report = daily_report(unit, day, form=report_form)
        if format == "json":
            text = json.dumps(report, ensure_ascii=False, indent=2)
            if output:
                Path(output).write_text(text + "\n", encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        if not output:
            raise CommandError("xlsx 格式需要用 -o 指定输出文件")
        as_of = datetime.datetime.fromisoformat(report["as_of"])
        Path(output).write_bytes(daily_xlsx(report, unit, day, report_form, as_of))
        self.stderr.write(f"已写入 {output}")

    def situation(self, unit, as_of, template, output, **options):
        unit, moment = _unit(unit), _moment(as_of, "--as-of")
        try:
            bulletin = write_situation(unit, moment, template_code=template)
        except (ValidationError, LookupError) as error:
            text = _messages(error) if isinstance(error, ValidationError) else str(error)
            raise CommandError(f"生成失败：{text}") from None
        Path(output).write_bytes(bytes(bulletin.content))
        self.stderr.write(f"已写入 {output}（{bulletin}）")

    def snapshot(self, date, form, unit=None, **options):
        day = _date(date, "--date")
        report_form = _form(form, day)
        root = _unit(unit) if unit else None
        written = take_snapshots(report_form, day, snapshot_units(report_form, root))
        self.stdout.write(f"生成快照 {len(written)} 个")

    def forms(self, **options):
        rows = [
            {"code": form.code, "version": form.version, "name": form.name, "period": form.period,
             "unit_types": form.unit_types, "deadlines": form.deadlines,
             "effective_from": form.effective_from.isoformat(),
             "effective_to": form.effective_to.isoformat() if form.effective_to else None,
             "items": [item["code"] for item in form.items]}
            for form in ReportForm.objects.order_by("code", "version")
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(f"{row['code']} v{row['version']}  {row['name']}  {row['effective_from']} 起  "
                              f"{len(row['items'])} 项")

    def import_form(self, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在：{file}")
        try:
            form = import_form_yaml(path.read_text(encoding="utf-8"))
        except ValidationError as error:
            raise CommandError(f"导入失败：{_messages(error)}") from None
        self.stdout.write(f"已导入报表 {form.code} v{form.version}")

    def export_form(self, code, output=None, **options):
        form = ReportForm.objects.filter(code=code).order_by("-version").first()
        if form is None:
            raise CommandError(f"报表不存在：{code}")
        text = export_form_yaml(form)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)
