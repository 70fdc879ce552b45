"""Benchmark: one round of whole-population nucleic-acid testing (全员核酸) through the real code
path, against the limit measured in the same run (a raw COPY of the same sample rows).

    python benchmarks/mass_testing.py --persons 10000000 --tube-size 10 --positives 1000 \\
        [--database-url postgres://…]

The data: a city of `persons` people (made by the people generator: households of one to five)
in grids of 1,000 (10 grids a village, 10 villages a town, 10 towns a district), a household
register and a cadre (包联) for every grid and village, loaded with COPY (the person and
household tables' indexes dropped for the load and built again, then VACUUM ANALYZE). One round
of the whole city pooled 1:`tube-size`, a sampling point in every village.

Then, timed, through the real code:
  ingest   every person sampled: the offline scanners' upload, `testing.services.ingest.ingest`,
           given the whole stream in one call (read 50,000 records at a time, never all in
           memory; the reading is not counted); it takes the stream a chunk at a time, opens its
           tubes, identifies the people, applies the rules and writes the samples;
  raw      the limit: COPY of the identical sample rows into the emptied samples table (same
           indexes);
  receive  every tube received at the city's lab, `lab.receive_tubes`, 10,000 a batch;
  results  a result for every tube, `lab.record_results`, 10,000 rows a call, `positives` of them
           positive (spread over the city), the rest negative;
  chase    `chasing.chase_tubes` on the positive tubes, as record_results calls it (timed alone):
           members, their leads with history, retest orders and the alerts of points and grids.
Each timed step starts after a checkpoint (not timed), so that none pays for the writes the step
before left behind. Goals: ingest at least 100,000 records a second and within 3× of the raw
COPY; chasing the positive tubes under 2 s; memory flat during the upload (RSS is sampled along
the way).

It runs on PostgreSQL only: it creates a throwaway database on the server of the URL and drops
it afterwards. Every step runs in its own child process.
"""

import argparse
import datetime
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_persons import Database, add_child_arguments, child, run_child  # noqa: E402
from rollup import BlockWriter, drop_indexes  # noqa: E402

CITY = "MT"
PER_GRID = 1000
FAN_OUT = 10  # grids a village, villages a town, towns a district
UPLOAD_CHUNK = 50_000
LAB_BATCH = 10_000
INGEST_RATE_GOAL = 100_000
INGEST_RATIO_GOAL = 3.0
CHASE_GOAL = 2.0
MEMORY_SAMPLES = 6
SAMPLE_COLUMNS = "tube_id, round_id, person_id, unit_path, scanned_at, scanned_by_id"


def _rss_mb():
    """The current resident set size (not the peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ceil(a, b):
    return -(-a // b)


def _round_day():
    """The round's sampling day: yesterday, so that every scan is in the past."""
    from django.utils import timezone

    return timezone.localdate() - datetime.timedelta(days=1)


# ---- child steps ----

def _tree(persons):
    """Rows of orgs_unit for the city below its root, and the grids [(id, path, village index)]
    and villages [(id, path, code, point id, point path, point code)]."""
    from fangkong.orgs.models import Unit

    grids_n = max(1, _ceil(persons, PER_GRID))
    villages_n = _ceil(grids_n, FAN_OUT)
    towns_n = _ceil(villages_n, FAN_OUT)
    districts_n = _ceil(towns_n, FAN_OUT)
    return Unit, grids_n, villages_n, towns_n, districts_n


def _tree_rows(city, persons):
    Unit, grids_n, villages_n, towns_n, districts_n = _tree(persons)
    rows, grids, villages = [], [], []
    next_id = city.pk + 1
    numbers = {"grid": 0, "village": 0, "town": 0, "district": 0}

    def add(parent_path, depth, index, code, name, kind, numchild):
        nonlocal next_id
        path = Unit._get_path(parent_path, depth, index)
        tree = "site" if kind == "sampling_point" else "admin"
        rows.append((next_id, path, depth, numchild, code, name, kind, tree))
        next_id += 1
        return next_id - 1, path

    for d in range(districts_n):
        towns_here = min(FAN_OUT, towns_n - numbers["town"])
        _id, d_path = add(city.path, 2, d + 1, f"{CITY}{d:02d}", f"基准{d + 1}区", "county", towns_here)
        for t in range(towns_here):
            town = numbers["town"]
            numbers["town"] += 1
            villages_here = min(FAN_OUT, villages_n - numbers["village"])
            _id, t_path = add(d_path, 3, t + 1, f"{CITY}{town:04d}", f"基准{town + 1}镇", "town", villages_here)
            for v in range(villages_here):
                village = numbers["village"]
                numbers["village"] += 1
                grids_here = min(FAN_OUT, grids_n - numbers["grid"])
                v_id, v_path = add(t_path, 4, v + 1, f"{CITY}V{village:05d}", f"基准{village + 1}村", "village",
                                   grids_here + 1)
                for g in range(grids_here):
                    grid = numbers["grid"]
                    numbers["grid"] += 1
                    g_id, g_path = add(v_path, 5, g + 1, f"{CITY}G{grid:06d}", f"基准{village + 1}村{g + 1}组",
                                       "grid", 0)
                    grids.append((g_id, g_path, len(villages)))
                p_id, p_path = add(v_path, 5, grids_here + 1, f"{CITY}P{village:05d}",
                                   f"基准{village + 1}村采样点", "sampling_point", 0)
                villages.append((v_id, v_path, f"{CITY}V{village:05d}", p_id, p_path, f"{CITY}P{village:05d}"))
    return rows, districts_n, grids, villages


def _settle():
    """A checkpoint before a timed step (not timed): the writes the step before left in the
    server's buffers (the load's VACUUM, the upload's samples) are flushed now rather than while
    the next step is measured."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def step_load(workdir, persons, tube_size):
    """Migrate; the city, its people, households and cadres; the round and its points; users."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from fangkong.accounts.models import Role, RoleAssignment, User
    from fangkong.orgs.models import Assignment, Unit
    from fangkong.orgs.services import add_unit
    from fangkong.people.models import Household, Person
    from fangkong.people.services.columns import LABELS
    from fangkong.people.services.generator import synthetic_rows
    from fangkong.testing.models import SamplingPoint, TestingRound

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    now = timezone.now().isoformat()
    labels = {key: {label: code for code, label in values.items()} for key, values in LABELS.items()}
    ids_path = Path(workdir, "ids.txt")
    with transaction.atomic(), connection.cursor() as cursor:
        city = add_unit(None, code=CITY, name="基准市", type="city")
        rows, districts, grids, villages = _tree_rows(city, persons)
        with cursor.cursor.copy(f"COPY {Unit._meta.db_table} (id, path, depth, numchild, code, name, type, tree, "
                                "division_code, address, is_active) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, "", "", True))
        Unit.objects.filter(pk=city.pk).update(numchild=districts)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Unit._meta.db_table}', 'id'), %s)", [rows[-1][0]])
        lab = add_unit(city, code=f"{CITY}LAB", name="基准市检测中心", type="lab")
        units = len(rows) + 2
        del rows

        person_table, household_table = Person._meta.db_table, Household._meta.db_table
        rebuild = drop_indexes(cursor, person_table) + drop_indexes(cursor, household_table)
        person_id = household_id = 0
        with (cursor.cursor.copy(
            f"COPY {person_table} (id, name, name_initials, id_type, id_number, sex, birth_date, phone, household_id, "
            "relation_to_head, address, unit_id, unit_path, population_type, is_elderly, has_chronic_illness, "
            "is_pregnant, is_disabled, needs_follow_up, is_provisional, created_at, updated_at) FROM STDIN") as copy,
              open(ids_path, "w") as ids):
            out = BlockWriter(copy)
            households = []
            for row in synthetic_rows(persons):
                grid_id, grid_path, village = grids[person_id // PER_GRID]
                person_id += 1
                if row["relation"] == "户主":
                    household_id += 1
                    households.append(f"{household_id}\tH{household_id:09d}\t{row['address']}\t{grid_id}\t"
                                      f"{grid_path}\t{person_id}\t{now}\t{now}\n")
                out.add(f"{person_id}\t{row['name']}\tJZ\tresident\t{row['id_number']}\t"
                        f"{labels['sex'][row['sex']]}\t{row['birth_date']}\t{row['phone']}\t{household_id}\t"
                        f"{row['relation']}\t{row['address']}\t{grid_id}\t{grid_path}\t"
                        f"{labels['population_type'][row['population_type']]}\t{row['is_elderly'] == '是'}\t"
                        f"{row['has_chronic_illness'] == '是'}\t{row['is_pregnant'] == '是'}\t"
                        f"{row['is_disabled'] == '是'}\tf\tf\t{now}\t{now}\n")
                ids.write(f"{village}\t{row['id_number']}\n")
            out.flush()
        with cursor.cursor.copy(f"COPY {household_table} (id, number, address, unit_id, unit_path, head_id, "
                                "created_at, updated_at) FROM STDIN") as copy:
            for start in range(0, len(households), 10_000):
                copy.write("".join(households[start:start + 10_000]))
        del households
        copied = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in rebuild:
            cursor.execute(statement)
        for table, last in ((person_table, person_id), (household_table, household_id)):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max(last, 1)])
        indexed = time.perf_counter()

        cadres = [Assignment(unit_id=unit_id, person_name=f"包联干部{n}", title="包联干部", phone="13800000000")
                  for n, unit_id in enumerate([g[0] for g in grids] + [v[0] for v in villages])]
        Assignment.objects.bulk_create(cadres, batch_size=5000)
        day = _round_day()
        sampler = User.objects.create_user(username="bench-sampler")
        lab_user = User.objects.create_user(username="bench-lab")
        staff = Role.objects.get(code="testing_staff")
        RoleAssignment.objects.create(user=sampler, role=staff, unit=city)
        RoleAssignment.objects.create(user=lab_user, role=staff, unit=city)
        testing_round = TestingRound.objects.create(name="基准市全员核酸", owner_unit=city, starts_on=day,
                                                    ends_on=day + datetime.timedelta(days=2),
                                                    pool_sizes={"default": tube_size})
        testing_round.scope.set([city])
        SamplingPoint.objects.bulk_create(SamplingPoint(round=testing_round, unit_id=v[3], unit_path=v[4])
                                          for v in villages)
    with open(Path(workdir, "points.json"), "w") as f:
        json.dump([v[5] for v in villages], f)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    done = time.perf_counter()
    return {"seconds": done - started, "copy_seconds": copied - started, "index_seconds": indexed - copied,
            "vacuum_seconds": done - indexed, "persons": person_id, "households": household_id, "units": units,
            "grids": len(grids), "villages": len(villages), "round": testing_round.pk, "lab": lab.code}


def _records(workdir, tube_size):
    """The scans, streamed from the list of ID numbers: the people of a village at its point, in
    tubes of `tube_size`, one scan every 5 ms from 06:00 of the round's day."""
    from django.utils import timezone

    points = json.loads(Path(workdir, "points.json").read_text())
    start = timezone.make_aware(datetime.datetime.combine(_round_day(), datetime.time(6)))
    step = datetime.timedelta(milliseconds=5)
    tube, in_tube, last_village = 0, 0, None
    with open(Path(workdir, "ids.txt")) as ids:
        for n, line in enumerate(ids):
            village, number = line.rstrip("\n").split("\t")
            if village != last_village or in_tube == tube_size:
                tube, in_tube, last_village = tube + 1, 0, village
            in_tube += 1
            yield (f"MT{tube:08d}", points[int(village)], number, start + n * step, "")


def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def step_ingest(workdir, round_id, persons, tube_size):
    """The upload of every scan as one stream through one `ingest` call (which takes it a chunk at
    a time); RSS sampled along the way. The time spent reading and building the records (the
    scanners' side) is measured apart and not counted."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fangkong.testing.models import TestingRound
    from fangkong.testing.services.ingest import ingest

    testing_round = TestingRound.objects.get(pk=round_id)
    user = get_user_model().objects.get(username="bench-sampler")
    now = timezone.now()
    _settle()
    batches = _ceil(persons, UPLOAD_CHUNK)
    marks = {max(1, round(batches * k / (MEMORY_SAMPLES - 1))) for k in range(MEMORY_SAMPLES)}
    source = _chunks(_records(workdir, tube_size), UPLOAD_CHUNK)
    reading, memory = 0.0, []

    def stream():
        nonlocal reading
        number = 0
        while True:
            start = time.perf_counter()
            batch = next(source, None)
            reading += time.perf_counter() - start
            if batch is None:
                return
            number += 1
            if number in marks:  # as the batch is handed over: what the upload holds so far
                memory.append({"records": (number - 1) * UPLOAD_CHUNK, "rss_mb": _rss_mb(), "peak_mb": _peak_mb()})
            yield from batch

    start = time.perf_counter()
    outcome = ingest(testing_round, stream(), user, now)
    seconds = time.perf_counter() - start - reading
    memory.append({"records": outcome.records, "rss_mb": _rss_mb(), "peak_mb": _peak_mb()})
    if outcome.refusals:
        raise SystemExit(f"refused: {outcome.refusals[:5]}")
    return {"seconds": seconds, "reading_seconds": reading, "counts": outcome.counts(), "memory": memory}


def step_raw(workdir):
    """The limit: the same sample rows, exported (not timed), the table emptied, then COPY, in
    the binary format the upload writes them in (the faster of the two for the server)."""
    from django.db import connection, transaction

    from fangkong.testing.models import Sample

    table = Sample._meta.db_table
    rows_path = Path(workdir, "samples.copy")
    with connection.cursor() as cursor, open(rows_path, "wb") as f:
        with cursor.cursor.copy(f"COPY {table} (id, {SAMPLE_COLUMNS}) TO STDOUT (FORMAT BINARY)") as copy:
            for block in copy:
                f.write(block)
        cursor.execute(f"SELECT count(*) FROM {table}")
        rows = cursor.fetchone()[0]
        # As the upload found it: empty (nothing refers to these samples yet).
        cursor.execute(f"TRUNCATE {table} CASCADE")
    _settle()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(rows_path, "rb") as f:
        with cursor.cursor.copy(f"COPY {table} (id, {SAMPLE_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            while block := f.read(1 << 20):
                copy.write(block)
    seconds = time.perf_counter() - start
    rows_path.unlink()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # a table in service, for the steps after (not timed)
    return {"seconds": seconds, "rows": rows}


def _tubes(round_id):
    """The round's barcodes in order, a batch at a time (a lab scans them off its racks)."""
    from fangkong.testing.models import Tube

    barcodes = Tube.objects.filter(round_id=round_id).order_by("barcode").values_list("barcode", flat=True)
    return _chunks(barcodes.iterator(chunk_size=LAB_BATCH), LAB_BATCH)


def step_receive(workdir, round_id, lab):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fangkong.orgs.models import Unit
    from fangkong.testing.services.lab import receive_tubes

    lab_unit, user = Unit.objects.get(code=lab), get_user_model().objects.get(username="bench-lab")
    _settle()
    seconds, received, closed = 0.0, 0, 0
    for barcodes in _tubes(round_id):
        start = time.perf_counter()
        batch = receive_tubes(lab_unit, barcodes, user, timezone.now())
        seconds += time.perf_counter() - start
        received += batch.tubes
        closed += len(batch.closed_on_receipt)
    return {"seconds": seconds, "rows": received, "closed_on_receipt": closed}


def step_results(workdir, round_id, positives):
    """Negative results for every tube but `positives` of them spread over the city, which are
    reported last, positive, in one call; chase_tubes (called by record_results) timed alone."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fangkong.alerts.models import Alert
    from fangkong.leads.models import Lead
    from fangkong.testing.models import Chase, ChaseMember, RetestOrder, Tube
    from fangkong.testing.services import lab

    user = get_user_model().objects.get(username="bench-lab")
    tubes = Tube.objects.filter(round_id=round_id).count()
    every = max(1, tubes // max(positives, 1))
    chosen = set(range(every // 2, tubes, every)[:positives])
    chase_seconds = []
    chase_tubes = lab.chase_tubes

    def timed_chase(*args, **kwargs):
        start = time.perf_counter()
        try:
            return chase_tubes(*args, **kwargs)
        finally:
            chase_seconds.append(time.perf_counter() - start)

    lab.chase_tubes = timed_chase
    _settle()
    seconds, counts, positive_rows, n = 0.0, {}, [], 0
    for barcodes in _tubes(round_id):
        rows = []
        for barcode in barcodes:
            (positive_rows if n in chosen else rows).append(
                {"barcode": barcode, "result": "阳性" if n in chosen else "阴性", "ct_values": {}})
            n += 1
        for batch in (rows, positive_rows if n >= tubes else []):
            if not batch:
                continue
            start = time.perf_counter()
            result = lab.record_results(batch, user, timezone.now(), source="bench")
            seconds += time.perf_counter() - start
            for key, value in result.items():
                counts[key] = counts.get(key, 0) + value
    chased = {
        "chases": Chase.objects.count(), "members": ChaseMember.objects.count(),
        "leads": Lead.objects.filter(source="testing").count(), "retests": RetestOrder.objects.count(),
        "alerts": Alert.objects.filter(kind="positive_tube").count(),
        "households": ChaseMember.objects.filter(person__household__isnull=False).values("person__household")
        .distinct().count(),
    }
    return {"seconds": seconds, "rows": counts.get("tubes", 0), "counts": counts,
            "chase_seconds": sum(chase_seconds), "chase_calls": len(chase_seconds), "chased": chased}


STEPS = {"load": step_load, "ingest": step_ingest, "raw": step_raw, "receive": step_receive,
         "results": step_results}


# ---- parent ----

def run(persons, tube_size, positives, database_url, out=sys.stdout):
    """Run the benchmark; returns its result rows (dicts) and prints the table."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the mass-testing benchmark runs on PostgreSQL: give --database-url or DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="fangkong-bench-") as workdir, Database(database_url, workdir) as db:
        loaded = child(__file__, "load", db.env, workdir, persons=persons, tube_size=tube_size)
        uploaded = child(__file__, "ingest", db.env, workdir, round_id=loaded["round"], persons=persons,
                         tube_size=tube_size)
        raw = child(__file__, "raw", db.env, workdir)
        received = child(__file__, "receive", db.env, workdir, round_id=loaded["round"], lab=loaded["lab"])
        results = child(__file__, "results", db.env, workdir, round_id=loaded["round"], positives=positives)
    counts = uploaded["counts"]
    assert counts["accepted"] == raw["rows"] == persons, (counts, raw["rows"])
    ingest_rate = persons / uploaded["seconds"]
    ingest_ratio = uploaded["seconds"] / raw["seconds"]
    rows = [
        {"operation": "ingest", "rows": counts["accepted"], "seconds": uploaded["seconds"],
         "raw_seconds": raw["seconds"], "goal": f">={INGEST_RATE_GOAL // 1000}k/s, <={INGEST_RATIO_GOAL:g}x raw",
         "met": ingest_rate >= INGEST_RATE_GOAL and ingest_ratio <= INGEST_RATIO_GOAL, "counts": counts},
        {"operation": "raw COPY", "rows": raw["rows"], "seconds": raw["seconds"], "raw_seconds": raw["seconds"],
         "goal": "", "met": None},
        {"operation": "receive", "rows": received["rows"], "seconds": received["seconds"], "raw_seconds": None,
         "goal": "", "met": None},
        {"operation": "results", "rows": results["rows"], "seconds": results["seconds"], "raw_seconds": None,
         "goal": "", "met": None, "counts": results["counts"]},
        {"operation": "chase", "rows": results["chased"]["chases"], "seconds": results["chase_seconds"],
         "raw_seconds": None, "goal": f"<{CHASE_GOAL:g}s", "met": results["chase_seconds"] < CHASE_GOAL,
         "chased": results["chased"]},
    ]
    for row in rows:
        row["rate"] = row["rows"] / row["seconds"] if row["seconds"] else 0
        row["ratio"] = row["seconds"] / row["raw_seconds"] if row["raw_seconds"] else None
    print_table(rows, loaded, uploaded, received, results, out)
    return rows, {"loaded": loaded, "memory": uploaded["memory"], "ingest_peak_mb": uploaded["peak_mb"]}


def print_table(rows, loaded, uploaded, received, results, out):
    header = (f"{'operation':<10} {'rows':>10} {'fangkong s':>11} {'raw s':>8} {'ratio':>6} {'rate/s':>10} "
              f"{'goal':>24} {'met':>4}")
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        raw = f"{r['raw_seconds']:.2f}" if r["raw_seconds"] is not None else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "NO")
        print(f"{r['operation']:<10} {r['rows']:>10} {r['seconds']:>11.2f} {raw:>8} {ratio:>6} {r['rate']:>10.0f} "
              f"{r['goal'] or '-':>24} {met:>4}", file=out)
    memory = ", ".join(f"{m['records']}: {m['rss_mb']:.0f}" for m in uploaded["memory"])
    print(f"\nmemory during the upload (records: RSS MB): {memory}; peak {uploaded['peak_mb']:.0f} MB", file=out)
    counts = uploaded["counts"]
    print(f"upload: {counts['accepted']} samples in {counts['tubes_opened']} tubes ({counts['tubes_closed']} full), "
          f"{counts['refused']} refused; receipt closed {received['closed_on_receipt']} open tubes", file=out)
    chased = results["chased"]
    print(f"chase: {chased['chases']} tubes, {chased['members']} members in {chased['households']} households, "
          f"{chased['leads']} leads, {chased['retests']} retest orders, {chased['alerts']} alerts", file=out)
    print(f"load: {loaded['persons']} persons, {loaded['households']} households, {loaded['units']} units "
          f"({loaded['villages']} villages, {loaded['grids']} grids) in {loaded['seconds']:.0f} s "
          f"(COPY {loaded['copy_seconds']:.0f} s, indexes {loaded['index_seconds']:.0f} s, "
          f"VACUUM ANALYZE {loaded['vacuum_seconds']:.0f} s)", file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--tube-size", type=int, default=10)
    parser.add_argument("--positives", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    add_child_arguments(parser)
    args = parser.parse_args()
    if args.step:
        run_child(args, STEPS)
    else:
        run(args.persons, args.tube_size, args.positives, args.database_url)


if __name__ == "__main__":
    main()
