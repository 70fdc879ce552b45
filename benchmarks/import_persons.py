"""Benchmark: importing a persons ledger (CSV and XLSX) through the real import path, against
a raw bulk load of the same, already validated rows into the same table (PostgreSQL COPY;
SQLite executemany in one transaction), measured in the same run on a fresh database.

    python benchmarks/import_persons.py --rows 1000000 [--database-url postgres://…] [--sources csv,xlsx]

Without --database-url (or DATABASE_URL) it runs on SQLite in a temporary data directory; with a
PostgreSQL URL it creates a throwaway database on that server and drops it afterwards. Every
measured step runs in its own child process, which reports its wall time and peak RSS (the raw
step's peak includes the untimed validation that prepares its rows).
"""

import argparse
import csv
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
GRIDS_PER_VILLAGE = 10
VILLAGES = 2


# ---- child steps (run with Django set up against the benchmark database) ----

def step_migrate(workdir):
    from django.core.management import call_command

    from fangkong.orgs.services import add_unit

    call_command("migrate", verbosity=0)
    county = add_unit(None, code="B430626", name="基准县", type="county")
    town = add_unit(county, code="B430626100", name="基准镇", type="town")
    codes = []
    for v in range(VILLAGES):
        village = add_unit(town, code=f"B-V{v}", name=f"基准{v}村", type="village")
        for g in range(GRIDS_PER_VILLAGE):
            codes.append(add_unit(village, code=f"B-V{v}-G{g}", name=f"基准{v}村{g}组", type="grid").code)
    return {"root": town.code, "grids": codes}


def step_generate(workdir, rows, path, grids):
    from fangkong.people.services.ledger import generate_persons

    generate_persons(path, rows, grids)
    return {}


def _clear_people():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE people_person, people_household, people_importbatch CASCADE")
        else:
            cursor.execute("UPDATE people_household SET head_id = NULL")
            for table in ("people_person", "people_household", "people_importbatch"):
                cursor.execute(f"DELETE FROM {table}")


def step_import(workdir, path, root, keep=False):
    from fangkong.orgs.models import Unit
    from fangkong.people.services.ledger import import_persons

    if not keep:
        _clear_people()
    unit = Unit.objects.get(code=root)
    start = time.perf_counter()
    batch = import_persons(path, unit=unit)
    return {"seconds": time.perf_counter() - start, "counts": batch.counts()}


NULL = "\\N"
PERSON_COLUMNS = (
    "name", "name_initials", "id_type", "id_number", "sex", "birth_date", "phone", "household_id",
    "relation_to_head", "address", "unit_id", "unit_path", "population_type", "is_elderly",
    "has_chronic_illness", "is_pregnant", "is_disabled", "needs_follow_up", "created_at", "updated_at",
)


def step_raw(workdir, path, root):
    """Validate (not timed) into the person table's final rows, then time only the bulk load."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fangkong.orgs.models import Unit
    from fangkong.people.models import ImportBatch
    from fangkong.people.services import importer

    _clear_people()
    unit = Unit.objects.get(code=root)
    batch = ImportBatch(file_name="raw", unit=unit)
    run = importer.PersonImport(path, batch)
    run.open()
    run.validate()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # The person table's value for each column, from the staged row (with the import's defaults);
    # \N is NULL, an empty field an empty string.
    staged = {name: i for i, name in enumerate(importer.STAGED_FIELDS)}
    sources = [
        ("name", ""), ("name_initials", ""), ("id_type", ""), ("id_number", ""), ("sex", ""), ("birth_date", NULL),
        ("phone", ""), (None, NULL), ("relation", ""), ("address", ""), ("unit_id", unit.pk),
        ("unit_path", unit.path), ("population_type", "resident"), ("is_elderly", "0"),
        ("has_chronic_illness", "0"), ("is_pregnant", "0"), ("is_disabled", "0"), (None, "0"), (None, now), (None, now),
    ]
    rows_path = Path(workdir) / "raw-rows.csv"
    with open(run.spool_path, encoding="utf-8", newline="") as spool, open(rows_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for row in csv.reader(spool):
            writer.writerow([(row[staged[name]] if name else "") or default for name, default in sources])
    run.workdir.cleanup()
    fields = ", ".join(PERSON_COLUMNS)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(rows_path, encoding="utf-8", newline="") as f:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY people_person ({fields}) FROM STDIN (FORMAT csv, NULL '{NULL}')") as copy:
                while block := f.read(1 << 20):
                    copy.write(block)
        else:
            placeholders = ", ".join(["?"] * len(PERSON_COLUMNS))
            rows = ([None if value == NULL else value for value in row] for row in csv.reader(f))
            # As the importer does: Django's executemany would keep every row alive.
            sqlite3.Cursor.executemany(cursor.cursor, f"INSERT INTO people_person ({fields}) VALUES ({placeholders})", rows)
    seconds = time.perf_counter() - start
    rows_path.unlink()
    _clear_people()
    return {"seconds": seconds}


STEPS = {"migrate": step_migrate, "generate": step_generate, "import": step_import, "raw": step_raw}


# ---- the child-process runner shared by every benchmark ----
# Each measured step runs in a fresh process (its own peak RSS, no warm caches carried over):
# the parent calls child(script, step, …), which runs `script --step step …`; the script's
# main() hands those arguments to run_child with its table of steps.

def add_child_arguments(parser):
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def run_child(args, steps):
    """In the child: run step `args.step` of `steps` and print its result (JSON) with the peak RSS."""
    setup_django()
    result = steps[args.step](args.workdir, **json.loads(args.params))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def child(script, step, env, workdir, **params):
    """In the parent: run `step` of the benchmark `script` in a child process; returns its result."""
    command = [sys.executable, str(script), "--step", step, "--workdir", str(workdir), "--params", json.dumps(params)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"step {step} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- parent: database lifecycle, steps in child processes, the table ----


class Database:
    """A fresh database for the run: SQLite in the temporary data dir, or a throwaway
    PostgreSQL database on the server of `url`."""

    def __init__(self, url, workdir):
        self.url = url
        self.name = None
        self.env = dict(os.environ, FANGKONG_DATA_DIR=str(Path(workdir) / "data"), FANGKONG_DEBUG="")
        self.env.pop("DATABASE_URL", None)
        if url and url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(url)
            self.name = f"fangkong_bench_{os.getpid()}"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.name}"))

    @property
    def label(self):
        return "postgresql" if self.name else "sqlite"

    def _admin(self, sql):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self):
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run(rows, database_url, sources, reimport=True, out=sys.stdout):
    """Run the benchmark and return its result rows (dicts)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="fangkong-bench-") as workdir, Database(database_url, workdir) as db:
        tree = child(__file__, "migrate", db.env, workdir)
        files = {}
        for source in sources:
            files[source] = str(Path(workdir) / f"persons.{source}")
            child(__file__, "generate", db.env, workdir, rows=rows, path=files[source], grids=tree["grids"])
        raw = child(__file__, "raw", db.env, workdir, path=files[sources[0]], root=tree["root"])
        results.append({"source": "raw load", **raw})
        for source in sources:
            result = child(__file__, "import", db.env, workdir, path=files[source], root=tree["root"])
            results.append({"source": source, **result})
            if reimport and source == sources[0]:
                again = child(__file__, "import", db.env, workdir, path=files[source], root=tree["root"], keep=True)
                results.append({"source": f"{source} again", **again})
        for result in results:
            result.update(database=db.label, rows=rows, ratio=result["seconds"] / raw["seconds"])
    print_table(results, out)
    return results


def print_table(results, out):
    header = f"{'source':<11} {'database':<10} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'ratio to raw':>12} {'peak MB':>8}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        print(
            f"{r['source']:<11} {r['database']:<10} {r['rows']:>9} {r['seconds']:>8.1f} "
            f"{r['rows'] / r['seconds']:>9.0f} {r['ratio']:>12.2f} {r['peak_mb']:>8.0f}",
            file=out,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--sources", default="csv,xlsx", help="comma-separated: csv, xlsx")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (unchanged) import")
    add_child_arguments(parser)
    args = parser.parse_args()
    if args.step:
        run_child(args, STEPS)
    else:
        run(args.rows, args.database_url, args.sources.split(","), reimport=not args.no_reimport)


if __name__ == "__main__":
    main()
