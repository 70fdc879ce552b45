from django.core.management.base import BaseCommand

from fangkong.people.services.ledger import write_persons_template


class Command(BaseCommand):
    help = "写出台账导入模板 (write the import template of a ledger)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["persons"], help="台账类型：persons 人员台账")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")

    def handle(self, *args, kind, output, **options):
        write_persons_template(output)
        self.stdout.write(f"已写出模板：{output}")
