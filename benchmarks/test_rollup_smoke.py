"""The roll-up benchmark at a tiny size, so that CI keeps it working: the table has its shape
and fangkong's roll-ups and completeness counts equal DuckDB's over the same rows. It needs
PostgreSQL (COPY), so it is skipped on SQLite runs."""

import io
import os

import pytest
from rollup import ITEMS, run

DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")), reason="the roll-up benchmark needs PostgreSQL"
)


def test_rollup_benchmark_runs_and_fangkong_equals_duckdb():
    out = io.StringIO()
    results = run(200, 3, DATABASE_URL, out=out)

    by_operation = {r["operation"]: r for r in results}
    assert list(by_operation) == ["rollup district", "rollup city", "completeness"]
    district, city, tree = by_operation["rollup district"], by_operation["rollup city"], by_operation["completeness"]
    assert city["units"] == 200 and 0 < district["units"] < 200
    # About 3% of the 193 villages missed the day, about 10% of the others filed late.
    assert 150 < city["rows"] < 193 and 0 < district["rows"] < city["rows"]
    assert tree["units"] == 200 and 0 < tree["rows"] < city["rows"]
    assert set(city["result"]) == set(ITEMS)
    assert all(city["result"][code] > district["result"][code] > 0 for code in ITEMS)
    root = min(tree["result"], key=len)
    assert tree["result"][root] == {"expected": 193, "received": tree["rows"], "on_time": tree["rows"]}
    assert all(r["result"] == r["duckdb_result"] for r in results)
    assert all(r["fangkong_ms"] > 0 and r["duckdb_ms"] > 0 for r in results)
    table = out.getvalue().splitlines()
    assert table[0].split() == ["operation", "units", "rows", "fangkong", "ms", "duckdb", "ms", "ratio", "goal", "met"]
    assert [" ".join(line.split()[:2]) for line in table[2:5]] == ["rollup district", "rollup city", "completeness 200"]
    assert "results are equal" in table[-1]
