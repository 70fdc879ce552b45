"""Shared helpers of the follow-up, self-report, sign-off and worker tests: a week of home
isolation for 张三丰 (东门一组) and 李四 (西门一组) from 2022年1月27日, each with a team member
who has an account."""

import io
import types
from datetime import date, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fangkong.conftest import make_user
from fangkong.control.testing import local, make_case

START = date(2022, 1, 27)


def _image(kind):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 80, 60)).save(out, kind)
    return out.getvalue()


# Small real files of each kind (the check reads the header and has Pillow verify the rest).
PNG = _image("PNG")
JPEG = _image("JPEG")


def at(day, hour, minute=0):
    """An aware moment on the `day`-th day of the control period (0 = START)."""
    return local(START + timedelta(days=day), time(hour, minute))


def png(name="photo.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def jpeg(name="photo.jpg"):
    return SimpleUploadedFile(name, JPEG, content_type="image/jpeg")


def stream(content=PNG):
    return io.BytesIO(content)


def open_case(person, *, days=7, tests=(), team_user=None, team_name="王网格", **extra):
    case = make_case(
        person, phases=[("home_isolation", START, START + timedelta(days=days - 1))], tests=tests,
        team=[("网格员", team_name)], **extra,
    )
    if team_user is not None:
        case.team.update(user=team_user)
    return case


@pytest.fixture
def cases(triad, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    county = triad.county
    east_team = make_user("east_team", "grid_worker", county.east_grid)
    west_team = make_user("west_team", "grid_worker", county.west_grid)
    return types.SimpleNamespace(
        east=open_case(triad.east_person, team_user=east_team),
        west=open_case(triad.west_person, team_user=west_team, team_name="李网格"),
        east_team=east_team, west_team=west_team,
    )


def current_case(person, team_user=None, **extra):
    """A case under control from yesterday to five days on (the pages and the API record at
    the real current time)."""
    from django.utils import timezone

    today = timezone.localdate()
    case = make_case(person, phases=[("home_isolation", today - timedelta(days=1), today + timedelta(days=5))],
                     team=[("网格员", "王网格")], **extra)
    if team_user is not None:
        case.team.update(user=team_user)
    return case


@pytest.fixture
def current(triad, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    county = triad.county
    east_team = make_user("east_team", "grid_worker", county.east_grid)
    return types.SimpleNamespace(
        east=current_case(triad.east_person, team_user=east_team), west=current_case(triad.west_person),
        east_team=east_team,
    )
