import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

SCALE = "0.01"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run_demo(db):
    """run_demo() → the output of `fangkong demo --no-serve` on a small county."""

    def run(*args):
        out = io.StringIO()
        call_command("demo", "--no-serve", "--scale", SCALE, *args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture(scope="module")
def built_demo(django_db_setup, django_db_blocker):
    """The output of `fangkong demo --no-serve` on a small county built once for the tests of a
    module that only read it (building is the slow part). Rolled back at the end of the module;
    each test runs in a savepoint inside it (ask for `db` too)."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            out = io.StringIO()
            call_command("demo", "--no-serve", "--scale", SCALE, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
