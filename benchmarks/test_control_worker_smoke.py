"""The control worker benchmark at a tiny size, so that CI keeps it working (on the database CI
uses): the table has its shape and the pass closed exactly the slots the statement found."""

import io
import os

from control_worker import run


def test_control_worker_benchmark_runs_and_the_pass_matches_the_statement():
    out = io.StringIO()
    results = run(300, os.environ.get("DATABASE_URL", ""), out=out)

    by_step = {r["step"]: r for r in results}
    assert list(by_step) == ["load", "limit (SQL)", "worker pass", "line list", "list page"]
    load, limit, worker = by_step["load"], by_step["limit (SQL)"], by_step["worker pass"]
    assert load["cases"] == 300 and load["slots"] == 300 * 28
    assert 0 < limit["rows"] < 300  # about 3% of this afternoon's slots were missed
    assert worker["rows"] == limit["rows"] == worker["counts"]["slots_closed"]
    assert worker["counts"]["missed_alerts"] == limit["rows"]  # one alert per case (one slot each)
    assert by_step["line list"]["rows"] == 300
    assert all(r["seconds"] > 0 for r in results)
    table = out.getvalue().splitlines()
    assert table[0].split() == ["step", "database", "rows", "seconds", "ratio", "goal", "ok"]
    assert [line.split()[0] for line in table[2:7]] == ["load", "limit", "worker", "line", "list"]
