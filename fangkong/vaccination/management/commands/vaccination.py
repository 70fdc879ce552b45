"""`fangkong vaccination …`: vaccination from the command line.

    fangkong vaccination import FILE [--user USERNAME] [--dry-run] [--replace] [--json]
    fangkong vaccination coverage --unit CODE [--date YYYY-MM-DD] [--json]
"""

import datetime
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.orgs.models import Unit
from fangkong.vaccination.services.coverage import unit_coverage
from fangkong.vaccination.services.importer import DoseImportError, describe_errors, import_doses

MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "疫苗接种：导入接种名单、查看接种率 (vaccination: import lists, coverage)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{import,coverage}")
        sub.required = True

        imp = sub.add_parser("import", help="导入接种名单（.xlsx、.xls、.csv），有一行出错则全部不导入")
        imp.add_argument("file", metavar="FILE")
        imp.add_argument("--user", metavar="USERNAME", help="以该用户的身份和辖区导入（按证件号码匹配其辖区内的人员）")
        imp.add_argument("--dry-run", action="store_true", help="只检查并计数，不写入")
        imp.add_argument("--replace", action="store_true", help="同一人同一剂次已登记且内容不同时，以名单为准覆盖")
        imp.add_argument("--json", action="store_true", dest="as_json", help="输出一个 JSON 对象")

        cov = sub.add_parser("coverage", help="单位及其下级按年龄组的接种率")
        cov.add_argument("--unit", required=True, metavar="CODE")
        cov.add_argument("--date", metavar="YYYY-MM-DD", help="统计日期，默认今天")
        cov.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, **options):
        {"import": self.import_list, "coverage": self.coverage}[action](**options)

    def import_list(self, file, user=None, dry_run=False, replace=False, as_json=False, **options):
        account = None
        if user is not None:
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"用户不存在或已停用: {user}")
        try:
            batch = import_doses(file, user=account, dry_run=dry_run, replace=replace)
        except DoseImportError as error:
            lines = describe_errors(error.errors)
            shown = "\n".join(lines[:MAX_ERRORS_SHOWN])
            more = f"\n……另有{len(lines) - MAX_ERRORS_SHOWN}处错误" if len(lines) > MAX_ERRORS_SHOWN else ""
            raise CommandError(f"未导入，请改正后重新导入：\n{shown}{more}") from None
        counts = batch.counts()
        if as_json:
            self.stdout.write(json.dumps(counts))
            return
        prefix = "试导入（未写入）" if dry_run else "导入完成"
        self.stdout.write(f"{prefix}：共{counts['rows']}行，新增{counts['created']}，更新{counts['updated']}，"
                          f"未变化{counts['unchanged']}")

    def coverage(self, unit, date=None, as_json=False, **options):
        root = Unit.objects.filter(code=unit).first()
        if root is None:
            raise CommandError(f"单位编码不存在: {unit}")
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"日期格式应为YYYY-MM-DD: {date}") from None
        coverage = unit_coverage(root, day)
        if as_json:
            self.stdout.write(json.dumps({"unit": root.code, "date": day.isoformat(), **coverage.as_dict()},
                                         ensure_ascii=False, default=str))
            return
        self.stdout.write(f"{root.name} {day.isoformat()}：3岁以上 {coverage.population} 人")
        for row in coverage.cohort_rows():
            rates = "，".join(f"{name} {'—' if value is None else f'{value}%'}" for name, value in (
                ("接种覆盖率", row["rates"]["coverage"]), ("全程接种率", row["rates"]["full"]),
                ("第二剂接种率", row["rates"]["second"]), ("加强针接种占比", row["rates"]["booster"])))
            self.stdout.write(f"  {row['label']}（{row['counts']['population']}人）：{rates}")
