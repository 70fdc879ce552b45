"""Benchmark: the roll-up engine and the completeness count of the daily reports on a city's
tree, against the limit measured in the same run (DuckDB grouping the same rows exported to
Parquet).

    python benchmarks/rollup.py --units 100000 --days 90 [--database-url postgres://…]

The data: a city of `units` units (city → 10 districts → 200 towns → the rest villages, paths in
the Unit model's own scheme), a form of 20 hand-entered numbers filed daily by every village by
14:00, and `days` days of filings (about 9 million at full size): about 3% of the villages miss a
day, about 10% of the rest file after the deadline (late). Loaded with COPY into the real tables
(the filing table's indexes and constraints, except its primary key, are dropped for the load and
built again afterwards, which is faster), then vacuumed and analysed as a table in service is.

On the last day it measures, through the real code:
  rollup        fangkong.reports.services.rollup.rollup(form, unit, day) for one district and
                for the whole city (warm, median of five);
  completeness  fangkong.reports.services.completeness.completeness_tree(form, city, day,
                known_at=deadline) for every unit (median of three);
and, as the limit, DuckDB computing the same from Parquet files of the same rows (the 20 sums over
the subtree; expected, received and on-time counts rolled up every level of the tree). Both must
give equal results (asserted). Goals: a roll-up under 200 ms, completeness under 1 s.

It runs on PostgreSQL only: it creates a throwaway database on the server of the URL and drops it
afterwards. Every step runs in its own child process.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_persons import Database, add_child_arguments, child, run_child  # noqa: E402  (shared lifecycle, runner)

FORM_CODE = "bench"
ITEMS = [f"item_{i:02d}" for i in range(1, 21)]
DEADLINE = "14:00"
FIRST_DAY = datetime.date(2022, 1, 1)
CITY_CODE = "BR"
MAX_DISTRICTS = 10
MAX_TOWNS = 200
MISSING_RATE = 0.03
LATE_RATE = 0.10
VALUE_POOL = 1024
ROLLUP_GOAL = 0.2
COMPLETENESS_GOAL = 1.0
ROLLUP_RUNS = 5
COMPLETENESS_RUNS = 3


def tree_shape(units):
    """(districts, towns, villages) for a city of `units` units: 10 districts of 20 towns at
    full size, at least two of each in a small tree."""
    districts = min(MAX_DISTRICTS, max(2, units // 10_000))
    towns = min(MAX_TOWNS, max(2 * districts, units // 500)) // districts * districts
    villages = units - 1 - districts - towns
    if villages < towns:
        raise SystemExit(f"--units {units} is too small for {districts} districts and {towns} towns")
    return districts, towns, villages


def _share(total, parts, index):
    return total // parts + (1 if index < total % parts else 0)


def _moments(days):
    """The measured day (the last one) and its deadline for villages."""
    from fangkong.reports.models import ReportForm
    from fangkong.reports.services.forms import deadline

    form = ReportForm.objects.get(code=FORM_CODE)
    day = FIRST_DAY + datetime.timedelta(days=days - 1)
    return form, day, deadline(form, "village", day)


# ---- child steps ----

def _tree_rows(city, districts, towns, villages, next_id):
    """The rows of orgs_unit below `city` in path order, and [(id, path)] of the villages."""
    from fangkong.orgs.models import Unit

    rows, leaves = [], []
    towns_per_district = towns // districts
    for d in range(districts):
        district_path = Unit._get_path(city.path, 2, d + 1)
        district_id = next_id
        next_id += 1
        rows.append((district_id, district_path, 2, towns_per_district, f"{CITY_CODE}{d:02d}", f"基准{d + 1}区",
                     "county"))
        for t in range(towns_per_district):
            town_number = d * towns_per_district + t
            count = _share(villages, towns, town_number)
            town_path = Unit._get_path(district_path, 3, t + 1)
            rows.append((next_id, town_path, 3, count, f"{CITY_CODE}{d:02d}{t:02d}", f"基准{d + 1}区{t + 1}镇", "town"))
            next_id += 1
            for v in range(count):
                path = Unit._get_path(town_path, 4, v + 1)
                rows.append((next_id, path, 4, 0, f"{CITY_CODE}{d:02d}{t:02d}{v:04d}",
                             f"基准{d + 1}区{t + 1}镇{v + 1}村", "village"))
                leaves.append((next_id, path))
                next_id += 1
    return rows, leaves


def drop_indexes(cursor, table):
    """Drop the table's constraints and indexes except its primary key; returns the statements
    that build them again."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY contype DESC", [table]
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table]
    )
    indexes = cursor.fetchall()
    for name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    # Unique constraints first, then indexes, then the foreign keys (which can use them).
    return ([f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d, kind in constraints if kind != "f"]
            + [definition for _name, definition in indexes]
            + [f'ALTER TABLE {table} ADD CONSTRAINT "{n}" {d}' for n, d, kind in constraints if kind == "f"])


class BlockWriter:
    """COPY text rows written in blocks of about a megabyte: memory stays flat."""

    def __init__(self, copy):
        self.copy, self.lines, self.size = copy, [], 0

    def add(self, line):
        self.lines.append(line)
        self.size += len(line)
        if self.size > 1 << 20:
            self.flush()

    def flush(self):
        if self.lines:
            self.copy.write("".join(self.lines))
            self.lines, self.size = [], 0


def step_load(workdir, units, days):
    """Migrate, then the tree, the form and every day's filings."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from fangkong.orgs.models import Unit
    from fangkong.orgs.services import add_unit
    from fangkong.reports.models import Filing, ReportForm, slot_column

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    districts, towns, villages = tree_shape(units)
    form = ReportForm.objects.create(
        code=FORM_CODE, name="基准日报", unit_types=["village"], deadlines={"village": DEADLINE},
        effective_from=FIRST_DAY,
        items=[{"code": code, "label": f"项目{i + 1}", "kind": "number", "unit": "人"} for i, code in enumerate(ITEMS)],
    )
    table = Filing._meta.db_table
    rng = random.Random(20220127)
    # Each pool entry: the values as JSON and as the typed slot columns the form gave its items.
    pool = []
    for _ in range(VALUE_POOL):
        numbers = {code: rng.randrange(100) for code in ITEMS}
        pool.append((json.dumps(numbers, separators=(",", ":")), "\t".join(str(numbers[code]) for code in ITEMS)))
    slots = ", ".join(slot_column(form.item(code)["slot"]) for code in ITEMS)
    clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
    deadline_second = sum(int(part) * size for part, size in zip(DEADLINE.split(":"), (3600, 60)))
    first_second = 6 * 3600
    filings = late_count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        city = add_unit(None, code=CITY_CODE, name="基准市", type="city")
        rows, leaves = _tree_rows(city, districts, towns, villages, city.pk + 1)
        with cursor.cursor.copy(
            f"COPY {Unit._meta.db_table} (id, path, depth, numchild, code, name, type, tree, division_code, address, "
            "is_active) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, "admin", "", "", True))
        Unit.objects.filter(pk=city.pk).update(numchild=districts)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Unit._meta.db_table}', 'id'), %s)", [rows[-1][0]])
        del rows
        rebuild = drop_indexes(cursor, table)
        with cursor.cursor.copy(
            f"COPY {table} (id, form_id, form_code, unit_id, unit_path, day, version, values, computed, zero_report, "
            f"late, filed_at, filed_by_id, reason, superseded_at, {slots}) FROM STDIN"
        ) as copy:
            out = BlockWriter(copy)
            for offset in range(days):
                day = FIRST_DAY + datetime.timedelta(days=offset)
                # The offset of the day's working hours (time-zone changes happen at night).
                zone = datetime.datetime.combine(day, datetime.time(12)).astimezone(_zone()).strftime("%z")
                prefix = f"\t{day.isoformat()}\t1\t"
                for unit_id, path in leaves:
                    if rng.random() < MISSING_RATE:
                        continue
                    late = rng.random() < LATE_RATE
                    if late:
                        second = deadline_second + 1 + int(rng.random() * (86_399 - deadline_second))
                    else:
                        second = first_second + int(rng.random() * (deadline_second - first_second + 1))
                    filings += 1
                    late_count += late
                    values, numbers = pool[int(rng.random() * VALUE_POOL)]
                    out.add(f"{filings}\t{form.pk}\t{FORM_CODE}\t{unit_id}\t{path}{prefix}{values}\t{{}}\tf\t"
                            f"{'t' if late else 'f'}\t{day.isoformat()} {clock[second]}{zone}\t\\N\t\t\\N\t{numbers}\n")
            out.flush()
        copied = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in rebuild:
            cursor.execute(statement)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max(filings, 1)])
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        # A table in service has been vacuumed (visibility map, hint bits) and analysed.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"SELECT pg_total_relation_size('{table}')")
        size = cursor.fetchone()[0]
    done = time.perf_counter()
    return {
        "seconds": done - started, "copy_seconds": copied - started, "index_seconds": indexed - copied,
        "vacuum_seconds": done - indexed, "units": 1 + len(leaves) + districts + towns, "districts": districts,
        "towns": towns, "villages": len(leaves), "filings": filings, "late": late_count, "table_mb": size / 2**20,
    }


def _zone():
    from django.utils import timezone

    return timezone.get_current_timezone()


def step_export(workdir):
    """The same rows as Parquet for DuckDB: PostgreSQL streams CSV to a file, DuckDB writes Parquet."""
    import duckdb
    from django.db import connection

    from fangkong.orgs.models import Unit
    from fangkong.reports.models import Filing

    started = time.perf_counter()
    work = Path(workdir)
    values = ", ".join(f"(values ->> '{code}')::int" for code in ITEMS)
    exports = {
        "filings": (
            "SELECT unit_path, day, filed_at AT TIME ZONE 'UTC', late::int, superseded_at AT TIME ZONE 'UTC', "
            f"{values} FROM {Filing._meta.db_table} WHERE form_code = '{FORM_CODE}'",
            {"unit_path": "VARCHAR", "day": "DATE", "filed_at": "TIMESTAMP", "late": "INTEGER",
             "superseded_at": "TIMESTAMP", **dict.fromkeys(ITEMS, "INTEGER")},
        ),
        "units": (
            f"SELECT path, type, is_active::int FROM {Unit._meta.db_table}",
            {"path": "VARCHAR", "type": "VARCHAR", "is_active": "INTEGER"},
        ),
    }
    sizes = {}
    db = duckdb.connect()
    for name, (select, columns) in exports.items():
        csv_path, parquet_path = work / f"{name}.csv", work / f"{name}.parquet"
        with connection.cursor() as cursor, open(csv_path, "wb") as f:
            with cursor.cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    f.write(block)
        booleans = {"late", "is_active"}
        selected = ", ".join(f"{c}::BOOLEAN AS {c}" if c in booleans else c for c in columns)
        db.execute(f"COPY (SELECT {selected} FROM read_csv('{csv_path}', header = false, columns = {columns!r})) "
                   f"TO '{parquet_path}' (FORMAT parquet)")
        csv_path.unlink()
        sizes[name] = parquet_path.stat().st_size / 2**20
    return {"seconds": time.perf_counter() - started, "parquet_mb": sizes}


def _timed(function, runs):
    """Median wall time of `runs` calls after one warm-up call, and the last result."""
    result = function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def step_fangkong(workdir, days, district):
    """The engine's roll-ups and completeness on the last day."""
    from fangkong.orgs.models import Unit
    from fangkong.reports.models import Filing
    from fangkong.reports.services.completeness import completeness_tree
    from fangkong.reports.services.rollup import rollup

    form, day, deadline = _moments(days)
    city, district = Unit.objects.get(code=CITY_CODE), Unit.objects.get(code=district)
    measured, answers = {}, {}
    for name, unit in (("district", district), ("city", city)):
        seconds, values = _timed(lambda unit=unit: rollup(form, unit, day), ROLLUP_RUNS)
        rows = Filing.objects.filter(form_code=FORM_CODE, day=day, unit_path__startswith=unit.path).count()
        units = Unit.objects.filter(path__startswith=unit.path).count()
        measured[name] = {"seconds": seconds, "rows": rows, "units": units}
        answers[name] = values
    seconds, tree = _timed(lambda: completeness_tree(form, city, day, known_at=deadline), COMPLETENESS_RUNS)
    rows = Filing.objects.filter(form_code=FORM_CODE, day=day).as_of(deadline).count()
    measured["completeness"] = {"seconds": seconds, "rows": rows, "units": len(tree)}
    answers["completeness"] = tree
    Path(workdir, "fangkong.json").write_text(json.dumps(answers, sort_keys=True))
    return measured


def step_duckdb(workdir, days, district):
    """The limit: DuckDB computing the same from the Parquet files."""
    import duckdb
    from django.utils import timezone

    from fangkong.orgs.jurisdiction import path_range
    from fangkong.orgs.models import Unit

    form, day, deadline = _moments(days)
    known_at = timezone.make_naive(deadline, datetime.timezone.utc)
    city, district = Unit.objects.get(code=CITY_CODE), Unit.objects.get(code=district)
    db = duckdb.connect()
    db.execute(f"CREATE VIEW filings AS SELECT * FROM read_parquet('{Path(workdir, 'filings.parquet')}')")
    db.execute(f"CREATE VIEW units AS SELECT * FROM read_parquet('{Path(workdir, 'units.parquet')}')")
    sums = ", ".join(f"coalesce(sum({code}), 0)" for code in ITEMS)
    rollup_sql = (f"SELECT count(*), {sums} FROM filings WHERE day = ? AND superseded_at IS NULL "
                  "AND unit_path >= ? AND unit_path < ?")
    measured, answers = {}, {}
    for name, unit in (("district", district), ("city", city)):
        low, high = path_range(unit.path)
        seconds, row = _timed(lambda low=low, high=high: db.execute(rollup_sql, [day, low, high]).fetchone(),
                              ROLLUP_RUNS)
        measured[name] = {"seconds": seconds, "rows": row[0]}
        answers[name] = dict(zip(ITEMS, (int(value) for value in row[1:])))
    low, high = path_range(city.path)
    completeness_sql = """
        WITH expected AS (
            SELECT path FROM units WHERE type IN (SELECT unnest(?::VARCHAR[])) AND is_active
                AND path >= ? AND path < ?
        ), filed AS (
            SELECT unit_path, late FROM filings WHERE day = ? AND unit_path >= ? AND unit_path < ?
                AND filed_at <= ? AND (superseded_at IS NULL OR superseded_at > ?)
        ), levels AS (
            SELECT unnest(range(?, length(e.path) + 1, 4)) AS end_at, e.path, f.late
            FROM expected e LEFT JOIN filed f ON f.unit_path = e.path
        )
        SELECT substr(path, 1, end_at) AS prefix, count(*), count(late), count(*) FILTER (WHERE NOT late)
        FROM levels GROUP BY prefix
    """
    params = [form.unit_types, low, high, day, low, high, known_at, known_at, len(city.path)]
    seconds, rows = _timed(lambda: db.execute(completeness_sql, params).fetchall(), COMPLETENESS_RUNS)
    received = db.execute("SELECT count(*) FROM filings WHERE day = ? AND filed_at <= ? "
                          "AND (superseded_at IS NULL OR superseded_at > ?)", [day, known_at, known_at]).fetchone()[0]
    measured["completeness"] = {"seconds": seconds, "rows": received}
    answers["completeness"] = {prefix: {"expected": e, "received": r, "on_time": o} for prefix, e, r, o in rows}
    Path(workdir, "duckdb.json").write_text(json.dumps(answers, sort_keys=True))
    return measured


STEPS = {"load": step_load, "export": step_export, "fangkong": step_fangkong, "duckdb": step_duckdb}


def run(units, days, database_url, out=sys.stdout):
    """Run the benchmark; returns its result rows (dicts) and prints the table."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the roll-up benchmark runs on PostgreSQL: give --database-url or DATABASE_URL")
    district = f"{CITY_CODE}00"
    with tempfile.TemporaryDirectory(prefix="fangkong-bench-") as workdir, Database(database_url, workdir) as db:
        loaded = child(__file__, "load", db.env, workdir, units=units, days=days)
        exported = child(__file__, "export", db.env, workdir)
        engine = child(__file__, "fangkong", db.env, workdir, days=days, district=district)
        limit = child(__file__, "duckdb", db.env, workdir, days=days, district=district)
        ours = json.loads(Path(workdir, "fangkong.json").read_text())
        theirs = json.loads(Path(workdir, "duckdb.json").read_text())
    for name in ("district", "city", "completeness"):
        assert engine[name]["rows"] == limit[name]["rows"], (name, engine[name]["rows"], limit[name]["rows"])
        assert ours[name] == theirs[name], f"fangkong and DuckDB disagree on {name}"
    goals = {"district": ROLLUP_GOAL, "city": ROLLUP_GOAL, "completeness": COMPLETENESS_GOAL}
    labels = {"district": "rollup district", "city": "rollup city", "completeness": "completeness"}
    results = []
    for name, goal in goals.items():
        ours_s, theirs_s = engine[name]["seconds"], limit[name]["seconds"]
        results.append({
            "operation": labels[name], "units": engine[name]["units"], "rows": engine[name]["rows"],
            "fangkong_ms": ours_s * 1000, "duckdb_ms": theirs_s * 1000, "ratio": ours_s / theirs_s,
            "goal": f"<{goal * 1000:g}ms", "met": ours_s < goal, "result": ours[name], "duckdb_result": theirs[name],
        })
    print_table(results, loaded, exported, out)
    return results


def print_table(results, loaded, exported, out):
    header = (f"{'operation':<16} {'units':>7} {'rows':>8} {'fangkong ms':>12} {'duckdb ms':>10} {'ratio':>7} "
              f"{'goal':>9} {'met':>4}")
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        print(f"{r['operation']:<16} {r['units']:>7} {r['rows']:>8} {r['fangkong_ms']:>12.1f} {r['duckdb_ms']:>10.1f} "
              f"{r['ratio']:>7.2f} {r['goal']:>9} {'yes' if r['met'] else 'NO':>4}", file=out)
    print(f"\ngenerated {loaded['units']} units ({loaded['districts']} districts, {loaded['towns']} towns, "
          f"{loaded['villages']} villages) and {loaded['filings']} filings ({loaded['late']} late) in "
          f"{loaded['seconds']:.1f} s: COPY {loaded['copy_seconds']:.1f} s, indexes {loaded['index_seconds']:.1f} s, "
          f"VACUUM ANALYZE {loaded['vacuum_seconds']:.1f} s; table {loaded['table_mb']:.0f} MB with indexes, "
          f"peak RSS {loaded['peak_mb']:.0f} MB", file=out)
    print(f"exported to Parquet in {exported['seconds']:.1f} s "
          f"({exported['parquet_mb']['filings']:.1f} MB filings, {exported['parquet_mb']['units']:.1f} MB units); "
          "fangkong's and DuckDB's results are equal", file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    add_child_arguments(parser)
    args = parser.parse_args()
    if args.step:
        run_child(args, STEPS)
    else:
        run(args.units, args.days, args.database_url)


if __name__ == "__main__":
    main()
