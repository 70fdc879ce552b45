from django.conf import settings
from django.urls import reverse
from django.utils import translation

from fangkong.orgs.models import UnitType
from fangkong.people.models import Person
from fangkong.web.templatetags.fangkong_extras import local_datetime


def test_pages_are_chinese_by_default(as_user, triad):
    page = as_user(triad.inside, language="").get(reverse("person_list")).content.decode()
    assert 'lang="zh-hans"' in page and "人员类别" in page


def test_an_english_browser_still_gets_chinese(as_user, triad):
    page = as_user(triad.inside, language="en-US,en;q=0.9").get(reverse("person_list")).content.decode()
    assert 'lang="zh-hans"' in page and "人员类别" in page


def test_language_cookie_en_renders_english(as_user, triad):
    client = as_user(triad.inside)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("person_list")).content.decode()
    assert 'lang="en"' in page
    assert "Population type" in page and "Permanent resident" in page and "人员类别" not in page


def test_language_cookie_overrides_the_browser(as_user, triad):
    client = as_user(triad.above, language="zh-CN,zh;q=0.9")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("unit_detail", args=[triad.county.east.pk])).content.decode()
    assert "Village/community" in page and "Residents (with subunits)" in page


def test_language_switch_in_the_header_sets_the_cookie(as_user, triad):
    client = as_user(triad.inside)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "Jurisdiction overview" in client.get(reverse("home")).content.decode()


def test_model_names_and_choices_are_translated():
    with translation.override("en"):
        assert str(Person._meta.get_field("population_type").verbose_name) == "Population type"
        assert str(UnitType.VILLAGE.label) == "Village/community"
        assert str(Person._meta.get_field("needs_follow_up").verbose_name) == "Needs follow-up"


def test_dates_follow_the_language(triad):
    when = triad.east_person.created_at.replace(year=2022, month=1, day=27, hour=4, minute=5)
    with translation.override("zh-hans"):
        assert local_datetime(when) == "2022年1月27日12时"
        assert local_datetime(when, "minute") == "2022年1月27日12时5分"
    with translation.override("en"):
        assert "2022" in local_datetime(when) and "年" not in local_datetime(when)
