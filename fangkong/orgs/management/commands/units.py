import json

from django.core.management.base import BaseCommand, CommandError

from fangkong.orgs.models import Unit, UnitType


class Command(BaseCommand):
    help = "列出组织机构 (list units): code, name, type, parent"

    def add_arguments(self, parser):
        parser.add_argument("--under", metavar="CODE", help="只列出该单位及其下级 (this unit and its subtree)")
        parser.add_argument("--type", choices=UnitType.values, help="只列出该类型 (only this type)")
        parser.add_argument("--json", action="store_true", help="输出 JSON 列表")

    def handle(self, *args, under=None, type=None, json=False, **options):
        units = Unit.objects.all()
        if under:
            root = Unit.objects.filter(code=under).first()
            if root is None:
                raise CommandError(f"单位编码不存在: {under}")
            units = units.filter(path__startswith=root.path)
        if type:
            units = units.filter(type=type)
        parents = dict(Unit.objects.values_list("path", "code"))
        rows = (
            {"code": u.code, "name": u.name, "type": u.type, "parent": parents.get(u.path[: -Unit.steplen])}
            for u in units.only("code", "name", "type", "path").iterator(chunk_size=2000)
        )
        if json:
            self._write_json(rows)
        else:
            for row in rows:
                self.stdout.write(f"{row['code']}\t{row['type']}\t{row['name']}\t{row['parent'] or ''}")

    def _write_json(self, rows):
        out = self.stdout
        out.write("[", ending="")
        for i, row in enumerate(rows):
            out.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False), ending="")
        out.write("\n]")

