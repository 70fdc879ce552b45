from fangkong.people.models import Person
from fangkong.people.services.search import search_persons


def names(text):
    return sorted(search_persons(Person.objects.all(), text).values_list("name", flat=True))


def test_pinyin_initials_find_the_person(triad):
    assert names("zsf") == ["张三丰"]
    assert names("ZSF") == ["张三丰"]


def test_name_fragment_and_number_tails(triad):
    assert names("三丰") == ["张三丰"]
    assert names(triad.west_person.id_number[-6:]) == ["李四"]
    assert names("5679") == ["李四"]


def test_blank_search_returns_everyone(triad):
    assert names("  ") == sorted(["张三丰", "李四"])
