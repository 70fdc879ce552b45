import json
import shutil

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fangkong.orgs.models import Unit
from fangkong.people.services.ledger import LedgerError, import_persons


class Command(BaseCommand):
    help = "导入台账 (import a ledger: .xlsx, .xls or .csv)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["persons"], help="台账类型：persons 人员台账")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--unit", required=True, metavar="CODE", help="未填写网格的人员归入此单位；网格须在其范围内")
        parser.add_argument("--user", metavar="USERNAME", help="以该用户的身份和辖区导入")
        parser.add_argument("--dry-run", action="store_true", help="只检查并计数，不写入")
        parser.add_argument("--errors", metavar="OUT.xlsx", help="把错误行（含错误原因）写到这个文件")
        parser.add_argument("--json", action="store_true", dest="as_json", help="输出一个 JSON 对象")

    def handle(self, *args, file, unit, user=None, dry_run=False, errors=None, as_json=False, **options):
        root = Unit.objects.filter(code=unit).first()
        if root is None:
            raise CommandError(f"单位编码不存在: {unit}")
        username, user = user, None
        if username is not None:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"用户不存在或已停用: {username}")
        try:
            batch = import_persons(file, unit=root, user=user, dry_run=dry_run)
        except LedgerError as error:
            raise CommandError(str(error)) from None
        if errors and batch.error_file:
            with batch.error_file.open("rb") as source, open(errors, "wb") as target:
                shutil.copyfileobj(source, target)
        counts = batch.counts()
        if as_json:
            self.stdout.write(json.dumps(counts))
            return
        prefix = "试导入（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            f"{prefix}：共{counts['rows']}行，新增{counts['created']}，更新{counts['updated']}，"
            f"未变化{counts['unchanged']}，拒绝{counts['rejected']}"
        )
        if batch.error_file:
            self.stdout.write(f"错误行：{errors or batch.error_file.path}")
