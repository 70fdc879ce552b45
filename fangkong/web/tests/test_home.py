from django.urls import reverse

from fangkong.people.models import ImportBatch, Person


def test_home_counts_only_the_jurisdiction(as_user, triad):
    Person.objects.filter(pk=triad.east_person.pk).update(needs_follow_up=True, is_elderly=True)
    Person.objects.filter(pk=triad.west_person.pk).update(is_pregnant=True)

    inside = as_user(triad.inside).get(reverse("home")).context
    assert inside["persons"]["total"] == 1
    assert inside["persons"]["follow_up"] == 1
    assert inside["persons"]["vulnerable"] == 1 and inside["persons"]["pregnant"] == 0
    assert inside["households"] == 1
    assert dict(inside["unit_counts"]) == {"村/社区": 1, "网格/组": 1}

    above = as_user(triad.above).get(reverse("home")).context
    assert above["persons"]["total"] == 2 and above["persons"]["vulnerable"] == 2
    assert above["households"] == 2
    assert dict(above["unit_counts"]) == {"乡镇/街道": 1, "村/社区": 2, "网格/组": 2}


def test_home_lists_recent_imports_of_the_jurisdiction(as_user, triad):
    ImportBatch.objects.create(file_name="东门台账.xlsx", unit=triad.county.east_grid, user=triad.inside, rows=3)
    ImportBatch.objects.create(file_name="西门台账.xlsx", unit=triad.county.west_grid, user=triad.neighbour, rows=4)
    assert "东门台账.xlsx" in as_user(triad.inside).get(reverse("home")).content.decode()
    assert "西门台账.xlsx" not in as_user(triad.inside).get(reverse("home")).content.decode()
    page = as_user(triad.above).get(reverse("home")).content.decode()
    assert "东门台账.xlsx" in page and "西门台账.xlsx" in page


def test_home_makes_a_fixed_number_of_queries(as_user, triad, django_assert_max_num_queries):
    client = as_user(triad.above)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200
