"""The mass-testing benchmark at a tiny size, so that CI keeps it working: every person is sampled
through the upload, every tube received and resulted, the positive tubes chased, and the table
and the memory line have their shape. It needs PostgreSQL (COPY), so it is skipped on SQLite runs."""

import io
import os

import pytest
from mass_testing import run

DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")), reason="the mass-testing benchmark needs PostgreSQL"
)


def test_mass_testing_benchmark_runs_one_round_end_to_end():
    out = io.StringIO()
    rows, extra = run(3000, 10, 4, DATABASE_URL, out=out)

    by_operation = {r["operation"]: r for r in rows}
    assert list(by_operation) == ["ingest", "raw COPY", "receive", "results", "chase"]
    ingest, raw = by_operation["ingest"], by_operation["raw COPY"]
    assert ingest["rows"] == raw["rows"] == 3000
    assert ingest["counts"]["refused"] == 0 and ingest["counts"]["tubes_opened"] == 300
    assert by_operation["receive"]["rows"] == 300
    assert by_operation["results"]["counts"]["negative"] == 296 and by_operation["results"]["counts"]["positive"] == 4
    chased = by_operation["chase"]["chased"]
    assert (chased["chases"], chased["members"], chased["leads"], chased["retests"]) == (4, 40, 40, 40)
    assert chased["alerts"] >= 4 and chased["households"] > 0
    assert all(r["seconds"] > 0 for r in rows) and ingest["ratio"] > 0
    assert extra["memory"] and all(m["rss_mb"] > 0 for m in extra["memory"])
    table = out.getvalue().splitlines()
    assert table[0].split() == ["operation", "rows", "fangkong", "s", "raw", "s", "ratio", "rate/s", "goal", "met"]
    assert [line.split()[0] for line in table[2:7]] == ["ingest", "raw", "receive", "results", "chase"]
    assert any(line.startswith("memory during the upload") for line in table)
