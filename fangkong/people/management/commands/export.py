from django.core.management.base import BaseCommand, CommandError

from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.people.services.ledger import export_persons


class Command(BaseCommand):
    help = "导出台账 (export a ledger as .xlsx)"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["persons"], help="台账类型：persons 人员台账")
        parser.add_argument("--unit", required=True, metavar="CODE", help="导出该单位及其下级的人员")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
        parser.add_argument("--masked", action="store_true", help="证件号码和手机号脱敏")

    def handle(self, *args, kind, unit, output, masked=False, **options):
        root = Unit.objects.filter(code=unit).first()
        if root is None:
            raise CommandError(f"单位编码不存在: {unit}")
        persons = Person.objects.filter(unit_path__startswith=root.path).order_by("unit_path", "pk")
        export_persons(persons, output, masked=masked)
        self.stdout.write(f"已导出：{output}")
