"""`fangkong demo`: the first command a newcomer runs. Migrates the (embedded) database,
loads the demo county once, makes the demo users, prints how to log in and serves."""

import argparse
import time
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.demo.services import DEMO_PASSWORD, build_demo, demo_county
from fangkong.demo.services.screening import demo_campaign
from fangkong.orgs.models import Unit, UnitType
from fangkong.people.models import Affiliation, Household, Person
from fangkong.reports.models import Filing
from fangkong.reports.services.completeness import completeness
from fangkong.reports.services.forms import FormNotFound, form_in_force
from fangkong.screening.models import FollowUpFlag
from fangkong.screening.services.coverage import coverage
from fangkong.testing.models import Chase, Result, Sample, Target, TestingRound, Tube
from fangkong.testing.services.coverage import drill_down


def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text, width):
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = _("建立演示部署（示范县）并启动服务 (build the demo deployment and serve it)")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help=_("监听地址 (address to listen on)"))
        parser.add_argument("--port", type=int, default=8000, help=_("端口 (port)"))
        parser.add_argument("--no-serve", action="store_true", help=_("只建立数据，不启动服务 (build only)"))
        # Tests build a small county.
        parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)

    def handle(self, *args, host, port, no_serve, scale, **options):
        self.stdout.write(_("数据库 (database): %(db)s") % {"db": self._database()})
        call_command("migrate", interactive=False, verbosity=0)

        if demo_county() is None:
            self.stdout.write(_("正在生成示范县演示数据，约需两分钟 (building the demo county, about two minutes)…"))
        started = time.monotonic()
        try:
            county, created, users = build_demo(scale=scale)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if created:
            self.stdout.write(self.style.SUCCESS(
                _("已载入示范县演示数据，用时 %(seconds).1f 秒 (demo county loaded)")
                % {"seconds": time.monotonic() - started}
            ))
        else:
            self.stdout.write(_("示范县演示数据已存在，直接使用 (demo county already loaded, reusing it)"))
        self._summary(county)
        self._credentials(users)

        if not no_serve:
            self._serve(host, port)

    def _database(self):
        name = connection.settings_dict["NAME"]
        return str(name) if connection.vendor == "sqlite" else f"{connection.vendor} {name}"

    def _summary(self, county):
        per_type = dict(
            Unit.objects.filter(path__startswith=county.path).order_by().values_list("type").annotate(n=Count("id"))
        )
        shown = ["town", "village", "grid", "building", "school", "class", "company", "team", "checkpoint",
                 "isolation_site", "room", "sampling_point", "clinic"]
        labels = dict(UnitType.choices)
        self.stdout.write(" · ".join(f"{labels[t]} {per_type.get(t, 0)}" for t in shown))
        self.stdout.write(
            _("人员 (people) %(persons)d · 家庭户 (households) %(households)d · 学校/企业/场所所属关系 (affiliations) %(aff)d")
            % {
                "persons": Person.objects.filter(unit_path__startswith=county.path).count(),
                "households": Household.objects.filter(unit_path__startswith=county.path).count(),
                "aff": Affiliation.objects.filter(unit_path__startswith=county.path).count(),
            }
        )
        campaign = demo_campaign(county)
        if campaign is not None:
            total = coverage(campaign, county).total
            flagged = FollowUpFlag.objects.filter(campaign=campaign, resolved_at__isnull=True).count()
            self.stdout.write(
                _("%(campaign)s (screening)：已走访 (visited) %(visited)d 户 · 待回访 (to revisit) %(revisit)d 户 · "
                  "需跟进 (to follow up) %(flagged)d 人")
                % {"campaign": campaign.name, "visited": total.households_visited,
                   "revisit": total.households_revisit, "flagged": flagged}
            )
        self._testing_summary(county)
        self._reports_summary(county)

    def _testing_summary(self, county):
        testing_round = (TestingRound.objects.filter(unit_path__startswith=county.path, target=Target.ALL_RESIDENTS)
                         .order_by("-starts_on", "-pk").first())
        if testing_round is None:
            return
        tubes = Tube.objects.filter(round=testing_round)
        total, _rows = drill_down(testing_round, testing_round.owner_unit)
        self.stdout.write(
            _("%(round)s (testing)：%(tubes)d 管 (tubes) · 采样 (sampled) %(people)d 人，应检 (target) %(target)d 人 · "
              "阳性/异常管 (positive tubes) %(positive)d，已追踪 (chased) %(chased)d · 待出结果 (pending) %(pending)d 管")
            % {"round": testing_round.name, "tubes": tubes.count(),
               "people": Sample.objects.filter(round=testing_round).values("person").distinct().count(),
               "target": total.target,
               "positive": tubes.filter(result__in=[Result.POSITIVE, Result.ABNORMAL]).count(),
               "chased": Chase.objects.filter(tube__round=testing_round).count(),
               "pending": tubes.exclude(result__in=[Result.NEGATIVE, Result.POSITIVE, Result.ABNORMAL]).count()}
        )

    def _reports_summary(self, county):
        try:
            form = form_in_force("daily")
        except FormNotFound:
            return
        filings = Filing.objects.filter(form_code=form.code, unit_path__startswith=county.path)
        if not filings.exists():
            return
        today = completeness(form, county, timezone.localdate())
        self.stdout.write(
            _("%(form)s (daily reports)：%(days)d 天 · %(filings)d 份 · 迟报 (late) %(late)d · "
              "零报告 (zero) %(zero)d · 更正 (corrected) %(corrected)d · 今日已报 (filed today) %(received)d/%(expected)d")
            % {
                "form": form.name, "days": filings.values("day").distinct().count(),
                "filings": filings.current().count(), "late": filings.current().filter(late=True).count(),
                "zero": filings.current().filter(zero_report=True).count(),
                "corrected": filings.filter(version__gt=1).count(),
                "received": today["received"], "expected": today["expected"],
            }
        )

    def _credentials(self, users):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("演示账号 (demo accounts)")))
        header = [_("用户名 (user)"), _("密码 (password)"), _("角色 (role)"), _("单位 (unit)")]
        rows = [
            [u.username, DEMO_PASSWORD if u.password_unchanged else _("（已修改）"), u.role, u.unit]
            for u in users
        ]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths)) + "  " + row[3])

    def _serve(self, host, port):
        from waitress.server import create_server

        # WhiteNoise serves static files from the apps (WHITENOISE_USE_FINDERS) but warns about
        # a missing STATIC_ROOT when the application loads.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        from fangkong.wsgi import application

        try:
            server = create_server(application, host=host, port=port)
        except OSError as error:
            raise CommandError(
                _("无法在 %(host)s:%(port)d 上启动服务：%(error)s（端口被占用？请用 --port 换一个）")
                % {"host": host, "port": port, "error": error}
            ) from None
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            _("请用浏览器打开 (open in a browser): http://%(host)s:%(port)d/login/") % {"host": shown_host, "port": port}
        ))
        self.stdout.write(_("按 Ctrl+C 停止服务 (press Ctrl+C to stop)"))
        # waitress closes the server itself on Ctrl+C and returns.
        server.run()
        self.stdout.write(_("服务已停止 (stopped)"))
