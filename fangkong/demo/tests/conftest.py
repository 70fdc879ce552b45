import io

import pytest
from django.core.management import call_command

SCALE = "0.01"


@pytest.fixture
def run_demo(db):
    """run_demo() → the output of `fangkong demo --no-serve` on a small county."""

    def run(*args):
        out = io.StringIO()
        call_command("demo", "--no-serve", "--scale", SCALE, *args, stdout=out)
        return out.getvalue()

    return run
