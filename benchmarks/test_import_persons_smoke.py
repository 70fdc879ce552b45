"""The import benchmark at a small size, so that CI keeps it working (on the database CI uses)."""

import io
import os

from import_persons import run


def test_import_benchmark_runs_and_reports_every_source():
    out = io.StringIO()
    results = run(2000, os.environ.get("DATABASE_URL", ""), ["csv", "xlsx"], out=out)

    by_source = {r["source"]: r for r in results}
    assert set(by_source) == {"raw load", "csv", "csv again", "xlsx"}
    assert by_source["csv"]["counts"] == {"rows": 2000, "created": 2000, "updated": 0, "unchanged": 0, "rejected": 0}
    assert by_source["csv again"]["counts"]["unchanged"] == 2000
    assert by_source["xlsx"]["counts"]["created"] == 2000
    assert all(r["seconds"] > 0 and r["ratio"] > 0 and 0 < r["peak_mb"] < 1000 for r in results)
    table = out.getvalue().splitlines()
    assert table[0].split() == ["source", "database", "rows", "seconds", "rows/s", "ratio", "to", "raw", "peak", "MB"]
    assert len(table) == 2 + len(results)
