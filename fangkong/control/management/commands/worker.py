"""`fangkong worker [--once] [--interval SECONDS] [--now "YYYY-MM-DD HH:MM"] [--json]`: run every
pass in settings.FANGKONG_WORKER_PASSES (close slots, raise and escalate alerts, move cases,
prompt releases), print what each did, and repeat every --interval seconds until interrupted.

A pass that fails is logged and skipped; the others still run. Safe to run in two processes
at once: every pass claims its rows with conditional updates."""

import json
import logging
import time
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("fangkong.worker")


def parse_now(text):
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return timezone.make_aware(datetime.strptime(text.strip(), pattern))
        except ValueError:
            continue
    raise CommandError(f"--now 应为“YYYY-MM-DD HH:MM”格式，收到“{text}”。")


class Command(BaseCommand):
    help = "后台任务：关闭到期的监测时段、推进管控阶段、发出和上报预警（--once 只运行一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只运行一轮后退出")
        parser.add_argument("--interval", type=float, default=60.0, help="两轮之间的秒数（默认60）")
        parser.add_argument("--now", help="把“现在”定为此时刻（YYYY-MM-DD HH:MM，本地时间），用于补跑和测试")
        parser.add_argument("--json", action="store_true", help="每个任务输出一行JSON")

    def handle(self, *args, **options):
        once, interval, now, as_json = options["once"], options["interval"], options["now"], options["json"]
        if interval <= 0:
            raise CommandError("--interval 必须大于0。")
        fixed_now = parse_now(now) if now else None
        passes = [(path, import_string(path)) for path in settings.FANGKONG_WORKER_PASSES]
        failures = 0
        try:
            while True:
                started = time.monotonic()
                failures = self.run_round(passes, fixed_now or timezone.now(), as_json=as_json)
                if once:
                    break
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stderr.write("已停止。")
        if once and failures == len(passes) and passes:
            raise CommandError("全部任务均运行失败。")

    def run_round(self, passes, now, as_json=False):
        failures = 0
        for path, function in passes:
            started = time.monotonic()
            try:
                counts = function(now) or {}
            except Exception as exc:
                failures += 1
                logger.exception("worker pass %s failed", path)
                self.emit(path, now, {}, time.monotonic() - started, as_json, error=f"{type(exc).__name__}: {exc}")
                continue
            self.emit(path, now, counts, time.monotonic() - started, as_json)
        return failures

    def emit(self, path, now, counts, seconds, as_json, error=None):
        if as_json:
            row = {"pass": path, "now": now.isoformat(), "seconds": round(seconds, 3), "counts": counts}
            if error:
                row["error"] = error
            self.stdout.write(json.dumps(row, ensure_ascii=False, default=str))
            return
        when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        name = path.rsplit(".", 2)[-2] + "." + path.rsplit(".", 1)[-1]
        if error:
            self.stdout.write(self.style.ERROR(f"[{when}] {name} 失败：{error}"))
            return
        summary = "，".join(f"{key}={value}" for key, value in counts.items()) or "无"
        self.stdout.write(f"[{when}] {name}（{seconds:.2f}秒）：{summary}")
