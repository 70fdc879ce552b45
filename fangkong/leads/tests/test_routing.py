"""A lead goes to the unit of the person's address."""

from fangkong.leads.services.routing import route


def test_registered_person_by_id_number_goes_to_their_grid(triad):
    where = route(triad.county.county, id_number=triad.west_person.id_number, address="东门村")
    assert (where.unit, where.person, where.how) == (triad.county.west_grid, triad.west_person, "person")


def test_registered_person_by_phone(triad):
    where = route(triad.county.county, phone=triad.east_person.phone)
    assert where.unit == triad.county.east_grid and where.person == triad.east_person


def test_address_matches_the_longest_unit_name_under_the_receiving_unit(triad):
    county = triad.county
    assert route(county.county, address="城关镇东门村5号").unit == county.east
    assert route(county.county, address="城关镇东门村东门一组5号").unit == county.east_grid
    assert route(county.county, address="河口镇河口村").unit == county.river
    # only units under the receiving unit are considered
    assert route(county.other_town, address="城关镇西门村").unit == county.other_town


def test_falls_back_to_the_receiving_unit(triad):
    where = route(triad.county.town, address="不知道哪里", id_number="", phone="")
    assert (where.unit, where.person, where.how) == (triad.county.town, None, "receiving")
