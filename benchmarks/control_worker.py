"""Benchmark: one control worker pass over a city's active cases, against the limit measured in
the same run (one hand-written SQL statement finding the same missed slots), and the line-list
pages of a county with 20,000 active cases.

    python benchmarks/control_worker.py --cases 200000 [--database-url postgres://…]

The data: a city with a county of min(20,000, cases) active cases (the line-list county) and a
second county with the rest; each case has one 14-day phase that ends today, two follow-up
slots a day (08:00–10:00, 16:00–18:00: 28 slots a case, 5.6 million at full size) and an entry
for every slot except about 3% missed (a few entries abnormal). Earlier passes have already
closed the earlier windows (missed slots are `missed`, and the missed alerts of this morning's
window are out, half of them acknowledged); the afternoon window has just closed, so its
slots without an entry are still `open`. Loaded with COPY on PostgreSQL, executemany on SQLite.

Then, at `now` = today 18:00:30:
  limit      SELECT of the open slots whose window has closed (read-only, best of three);
  pass       fangkong.control.services.worker.run_control_pass(now) followed by
             fangkong.alerts.services.escalate_due(now); it must close exactly the slots the
             statement found (asserted);
  line list  the county leader's /control/lists/ page and one list page through Django's test
             client (server time around client.get, median of three).

Without --database-url (or DATABASE_URL) it runs on SQLite in a temporary data directory; with a
PostgreSQL URL it creates a throwaway database on that server and drops it afterwards. Every
step runs in its own child process.
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_persons import Database, add_child_arguments, child, run_child  # noqa: E402  (shared lifecycle, runner)

LIST_COUNTY_CASES = 20_000
CASES_PER_GRID = 250
GRIDS_PER_VILLAGE = 5
VILLAGES_PER_TOWN = 5
DAYS = 14
MISSED_RATE = 0.03
ABNORMAL_RATE = 0.001
WINDOWS = ((8, 10), (16, 18))
PASS_GOAL = 1.0
PASS_RATIO_GOAL = 3.0
LIST_GOAL = 0.3


def _moments():
    """Today (local), the injected `now` (18:00:30, the afternoon window just closed)."""
    from django.utils import timezone

    today = timezone.localdate()
    now = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=18, seconds=30)
    return today, now


# ---- child steps ----

def _county(root, code, name, cases):
    """A county under `root` with enough grids for `cases`; returns [(grid, n cases)]."""
    from fangkong.orgs.services import add_unit

    county = add_unit(root, code=code, name=name, type="county")
    grids_needed = max(1, -(-cases // CASES_PER_GRID))
    grids = []
    town_index = 0
    while len(grids) < grids_needed:
        town = add_unit(county, code=f"{code}-T{town_index}", name=f"{name}{town_index}镇", type="town")
        for v in range(VILLAGES_PER_TOWN):
            if len(grids) >= grids_needed:
                break
            village = add_unit(town, code=f"{code}-T{town_index}-V{v}", name=f"{name}{town_index}镇{v}村",
                               type="village")
            for g in range(GRIDS_PER_VILLAGE):
                if len(grids) >= grids_needed:
                    break
                grids.append(add_unit(village, code=f"{village.code}-G{g}", name=f"{village.name}{g}组", type="grid"))
        town_index += 1
    sizes = [cases // len(grids) + (1 if i < cases % len(grids) else 0) for i in range(len(grids))]
    return county, list(zip(grids, sizes))


class Loader:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def value(self, value):
        """SQLite wants text for dates and times (UTC), 1/0 for booleans."""
        if self.pg or value is None:
            return value
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, datetime):
            return self.connection.ops.adapt_datetimefield_value(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    def load(self, table, columns, rows):
        with self.connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["?"] * len(columns))
                sqlite3.Cursor.executemany(
                    cursor.cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
                )

    def reset_sequence(self, table):
        if self.pg:
            with self.connection.cursor() as cursor:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def step_load(workdir, cases):
    """Migrate, build the tree and users, and load persons, cases, phases, slots, entries and
    this morning's missed alerts. Returns what the other steps need."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from fangkong.accounts.models import Role, RoleAssignment, User
    from fangkong.alerts.models import Alert, AlertKind
    from fangkong.control.models import ControlCase, FollowUpEntry, FollowUpSlot
    from fangkong.control.testing import testing_regimen
    from fangkong.orgs.models import Unit
    from fangkong.orgs.services import add_unit

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    today, now = _moments()
    first_day = today - timedelta(days=DAYS - 1)
    list_cases = min(LIST_COUNTY_CASES, cases)
    city = add_unit(None, code="BC", name="基准市", type="city")
    list_county, list_grids = _county(city, "BC1", "名单县", list_cases)
    other_grids = []
    if cases > list_cases:
        _other, other_grids = _county(city, "BC2", "基准县", cases - list_cases)
    grids = list_grids + other_grids

    leader_role, worker_role = Role.objects.get(code="leader"), Role.objects.get(code="grid_worker")
    leader = User.objects.create_user(username="bench-leader")
    RoleAssignment.objects.create(user=leader, role=leader_role, unit=list_county)
    villages = {Unit.objects.get_parent(grid) for grid, _n in grids}
    workers = User.objects.bulk_create(User(username=f"bench-worker-{v.code}") for v in villages)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=u, role=worker_role, unit=v) for u, v in zip(workers, villages)
    )
    regimen = testing_regimen()

    loader = Loader(connection)
    v = loader.value
    rng = random.Random(20220127)
    opened = v(now - timedelta(days=DAYS))
    windows = []
    for d in range(DAYS):
        day = first_day + timedelta(days=d)
        for start, end in WINDOWS:
            starts = datetime.combine(day, datetime.min.time()).replace(hour=start)
            ends = starts.replace(hour=end)
            starts, ends = timezone.make_aware(starts), timezone.make_aware(ends)
            windows.append((v(day), v(starts), v(ends), v(starts + timedelta(minutes=30))))
    owners = []  # (unit id, unit path) per case, case id = index + 1
    for grid, n in grids:
        owners.extend([(grid.pk, grid.path)] * n)
    with transaction.atomic():
        loader.load(
            "people_person",
            ["id", "name", "name_initials", "id_type", "id_number", "sex", "phone", "relation_to_head", "address",
             "unit_id", "unit_path", "population_type", "is_elderly", "has_chronic_illness", "is_pregnant",
             "is_disabled", "needs_follow_up", "created_at", "updated_at"],
            ((i + 1, f"基准{i}", "JZ", "resident", "", "", "", "", "", unit_id, path, "resident",
              v(False), v(False), v(False), v(False), v(False), opened, opened)
             for i, (unit_id, path) in enumerate(owners)),
        )
        loader.load(
            ControlCase._meta.db_table,
            ["id", "person_id", "unit_id", "unit_path", "category", "regimen_id", "anchor_date", "arrival_date",
             "rule", "status", "current_measure", "release_on", "place", "opened_at", "self_report_token",
             "closed_note", "note"],
            ((i + 1, i + 1, unit_id, path, "close_contact", regimen.pk, v(first_day - timedelta(days=1)),
              v(first_day), "{}", "under_control", "centralized_isolation", v(today + timedelta(days=1)), "home",
              opened, f"bench-{i + 1}", "", "")
             for i, (unit_id, path) in enumerate(owners)),
        )
        loader.load(
            "control_casephase",
            ["case_id", '"index"', "measure", "first_day", "last_day", "planned_last_day"],
            ((i + 1, 0, "centralized_isolation", v(first_day), v(today), v(today)) for i in range(len(owners))),
        )
        # Which slots have an entry, decided once so slots and entries agree.
        last = len(windows) - 1
        missed = {}
        for i in range(len(owners)):
            for k in range(len(windows)):
                if rng.random() < MISSED_RATE:
                    missed[i * len(windows) + k] = True
        per_case = len(windows)

        def slots():
            for i, (_unit_id, path) in enumerate(owners):
                for k, (day, starts, ends, _at) in enumerate(windows):
                    slot_id = i * per_case + k + 1
                    if slot_id - 1 not in missed:
                        yield slot_id, i + 1, path, day, starts, ends, "done", None
                    elif k == last:
                        yield slot_id, i + 1, path, day, starts, ends, "open", None
                    else:
                        yield slot_id, i + 1, path, day, starts, ends, "missed", ends

        loader.load(
            FollowUpSlot._meta.db_table,
            ["id", "case_id", "unit_path", "day", "starts_at", "ends_at", "status", "closed_at"],
            slots(),
        )

        def entries():
            for i, (_unit_id, path) in enumerate(owners):
                for k, (_day, _starts, _ends, at) in enumerate(windows):
                    slot_id = i * per_case + k + 1
                    if slot_id - 1 in missed:
                        continue
                    abnormal = rng.random() < ABNORMAL_RATE
                    yield (i + 1, slot_id, path, at, "37.8" if abnormal else "36.5", '["fever"]' if abnormal else "[]",
                           "self_report", "", "", v(abnormal), v(False))

        loader.load(
            FollowUpEntry._meta.db_table,
            ["case_id", "slot_id", "unit_path", "recorded_at", "temperature", "symptoms", "method", "photo", "note",
             "abnormal", "suspicious"],
            entries(),
        )
        for table in ("people_person", ControlCase._meta.db_table, FollowUpSlot._meta.db_table):
            loader.reset_sequence(table)
    # This morning's window: its missed slots were alerted at 10:00, half acknowledged since.
    morning = last - 1
    slot_type = ContentType.objects.get_for_model(FollowUpSlot)
    units = {grid.pk: grid for grid, _n in grids}
    raised_at = now.replace(hour=10, minute=0, second=30)
    alerts = []
    for i, (unit_id, _path) in enumerate(owners):
        slot_index = i * per_case + morning
        if slot_index in missed:
            alerts.append(Alert(
                kind=AlertKind.MISSED_SLOT, origin_unit=units[unit_id], origin_path=units[unit_id].path,
                unit=units[unit_id], title=f"基准{i} 漏报健康监测", key=f"missed:{i + 1}:{slot_index + 1}",
                subject_type=slot_type, subject_id=slot_index + 1, raised_at=raised_at,
                ack_due_at=raised_at + timedelta(hours=2),
                acknowledged_at=raised_at + timedelta(minutes=40) if i % 2 else None,
            ))
    Alert.objects.bulk_create(alerts, batch_size=2000)
    with connection.cursor() as cursor:
        # A table in service has been vacuumed (hint bits set, visibility map) and analysed;
        # a freshly copied one has not, and the first pass would pay for that.
        cursor.execute("VACUUM ANALYZE" if loader.pg else "ANALYZE")
    return {
        "seconds": time.perf_counter() - started, "cases": len(owners), "slots": len(owners) * per_case,
        "entries": len(owners) * per_case - len(missed), "open_missed": sum(1 for k in missed if k % per_case == last),
        "list_cases": list_cases, "alerts": len(alerts),
    }


def step_limit(workdir):
    """The limit: one statement finding the slots the pass must close (read-only)."""
    from django.db import connection

    from fangkong.control.models import FollowUpSlot

    _today, now = _moments()
    sql = f"SELECT id FROM {FollowUpSlot._meta.db_table} WHERE status = %s AND ends_at <= %s"
    times, found = [], None
    with connection.cursor() as cursor:
        for _ in range(3):
            start = time.perf_counter()
            cursor.execute(sql, ["open", connection.ops.adapt_datetimefield_value(now)])
            found = len(cursor.fetchall())
            times.append(time.perf_counter() - start)
    return {"seconds": min(times), "rows": found}


def step_pass(workdir):
    """One worker pass at `now`, with the time each part took."""
    from fangkong.alerts.services import escalate_due
    from fangkong.control.services import worker

    _today, now = _moments()
    splits = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                splits[name] = splits.get(name, 0) + time.perf_counter() - start
        return wrapper

    for name in ("close_due_slots", "raise_missed", "advance_cases", "release_prompts", "tests_due", "tests_overdue"):
        if hasattr(worker, name):
            setattr(worker, name, timed(name, getattr(worker, name)))
    start = time.perf_counter()
    counts = worker.run_control_pass(now)
    middle = time.perf_counter()
    escalated = escalate_due(now)
    end = time.perf_counter()
    splits["run_control_pass"] = middle - start
    splits["escalate_due"] = end - middle
    return {"seconds": end - start, "counts": {**counts, **escalated}, "splits": splits}


def step_linelist(workdir, path, code=None):
    """Server time of a line-list page for the county leader (median of three requests)."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.control.services import linelists

    host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HOST=host)
    leader = User.objects.get(username="bench-leader")
    client.force_login(leader)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    # What the page showed (counted again outside the timing).
    if code:
        rows = linelists.CaseList(leader, code, timezone.now()).count()
    else:
        rows = linelists.jurisdiction_counts(leader, timezone.now()).total.active
    return {"seconds": statistics.median(times), "rows": rows}


STEPS = {"load": step_load, "limit": step_limit, "pass": step_pass, "linelist": step_linelist}


def run(cases, database_url, out=sys.stdout):
    """Run the benchmark; returns its result rows (dicts) and prints the table."""
    with tempfile.TemporaryDirectory(prefix="fangkong-bench-") as workdir, Database(database_url, workdir) as db:
        loaded = child(__file__, "load", db.env, workdir, cases=cases)
        limit = child(__file__, "limit", db.env, workdir)
        worker = child(__file__, "pass", db.env, workdir)
        dashboard = child(__file__, "linelist", db.env, workdir, path="/control/lists/")
        missed_list = child(__file__, "linelist", db.env, workdir, path="/control/lists/missed_slot/", code="missed_slot")
    closed = worker["counts"].get("slots_closed")
    assert closed == limit["rows"] == loaded["open_missed"], (closed, limit["rows"], loaded["open_missed"])
    results = [
        {"step": "load", "rows": loaded["slots"] + loaded["entries"], "seconds": loaded["seconds"], "ratio": None,
         "goal": "", "ok": None},
        {"step": "limit (SQL)", "rows": limit["rows"], "seconds": limit["seconds"], "ratio": 1.0, "goal": "",
         "ok": None},
        {"step": "worker pass", "rows": closed, "seconds": worker["seconds"],
         "ratio": worker["seconds"] / limit["seconds"],
         "goal": f"<{PASS_GOAL:g}s, <={PASS_RATIO_GOAL:g}x",
         "ok": worker["seconds"] < PASS_GOAL and worker["seconds"] <= PASS_RATIO_GOAL * limit["seconds"]},
        {"step": "line list", "rows": dashboard["rows"], "seconds": dashboard["seconds"], "ratio": None,
         "goal": f"<{LIST_GOAL * 1000:g}ms", "ok": dashboard["seconds"] < LIST_GOAL},
        {"step": "list page", "rows": missed_list["rows"], "seconds": missed_list["seconds"], "ratio": None,
         "goal": f"<{LIST_GOAL * 1000:g}ms", "ok": missed_list["seconds"] < LIST_GOAL},
    ]
    for result in results:
        result["database"] = db.label
    results[2]["counts"] = worker["counts"]
    results[2]["splits"] = worker["splits"]
    results[0].update(cases=loaded["cases"], slots=loaded["slots"], entries=loaded["entries"],
                      list_cases=loaded["list_cases"], alerts=loaded["alerts"])
    print_table(results, out)
    return results


def print_table(results, out):
    header = f"{'step':<12} {'database':<10} {'rows':>10} {'seconds':>9} {'ratio':>7} {'goal':>16} {'ok':>4}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        ok = "-" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        print(f"{r['step']:<12} {r['database']:<10} {r['rows']:>10} {r['seconds']:>9.3f} {ratio:>7} "
              f"{r['goal'] or '-':>16} {ok:>4}", file=out)
    load, worker = results[0], results[2]
    print(f"\ncases {load['cases']} (line-list county {load['list_cases']}), slots {load['slots']}, "
          f"entries {load['entries']}, morning alerts {load['alerts']}", file=out)
    print("pass counts: " + ", ".join(f"{k}={v}" for k, v in worker["counts"].items()), file=out)
    print("pass splits (s): " + ", ".join(f"{k}={v:.3f}" for k, v in worker["splits"].items()), file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    add_child_arguments(parser)
    args = parser.parse_args()
    if args.step:
        run_child(args, STEPS)
    else:
        run(args.cases, args.database_url)


if __name__ == "__main__":
    main()
