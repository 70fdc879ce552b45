from django.core.management.base import BaseCommand, CommandError

from fangkong.people.services.ledger import generate_persons


class Command(BaseCommand):
    help = "生成虚构的台账 (write a synthetic ledger of any size, .csv or .xlsx)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["persons"], help="台账类型：persons 人员台账")
        parser.add_argument("--rows", type=int, required=True, metavar="N")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.csv|FILE.xlsx")
        parser.add_argument("--unit-codes", nargs="*", default=[], metavar="CODE", help="人员随机分到这些网格")
        parser.add_argument("--seed", type=int, default=20220127)

    def handle(self, *args, kind, rows, output, unit_codes, seed, **options):
        if rows < 0:
            raise CommandError("--rows 不能为负数")
        if not output.lower().endswith((".csv", ".xlsx")):
            raise CommandError("输出文件应为 .csv 或 .xlsx")
        generate_persons(output, rows, unit_codes, seed=seed)
        self.stdout.write(f"已生成{rows}行：{output}")
