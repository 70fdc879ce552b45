from fangkong.conftest import fictional_id


def history_url(record, kind="people"):
    return f"/api/v1/{kind}/{record.pk}/history/"


def create_then_change(api, triad):
    client = api(triad.inside)
    created = client.post(
        "/api/v1/people/",
        {"name": "王五", "id_number": fictional_id(seq=33), "phone": "13700001111", "unit": "430626100201-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(f"/api/v1/people/{pk}/", {"phone": "13700002222", "is_elderly": True}, format="json")
    assert changed.status_code == 200, changed.content
    return pk


def changes_of(entry):
    return {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}


def test_history_lists_who_changed_what_newest_first(api, triad):
    pk = create_then_change(api, triad)
    response = api(triad.above).get(f"/api/v1/people/{pk}/history/")
    assert response.status_code == 200, response.content
    changed, created = response.json()
    assert (changed["type"], changed["user"]) == ("changed", "east_worker")
    assert changes_of(changed) == {"is_elderly": ("否", "是"), "phone": ("13700001111", "13700002222")}
    assert [c["label"] for c in changed["changes"]] == ["老年人", "联系电话"]
    assert (created["type"], created["user"]) == ("created", "east_worker")
    assert changes_of(created)["unit"] == (None, "东门一组（430626100201-01）")
    assert changes_of(created)["name"] == (None, "王五")


def test_history_masks_numbers_for_readonly_role(api, triad):
    pk = create_then_change(api, triad)
    changed, created = api(triad.readonly).get(f"/api/v1/people/{pk}/history/").json()
    assert changes_of(changed)["phone"] == ("137****1111", "137****2222")
    assert changes_of(created)["id_number"][1].count("*") == 10


def test_history_of_a_neighbours_person_is_404(api, triad):
    assert api(triad.neighbour).get(history_url(triad.east_person)).status_code == 404
    assert api(triad.inside).get(history_url(triad.east_person)).status_code == 200


def test_history_needs_login(api, triad):
    assert api().get(history_url(triad.east_person)).status_code == 401


def test_household_history(api, triad):
    response = api(triad.inside).patch(
        f"/api/v1/households/{triad.east_household.pk}/", {"address": "东门村2号"}, format="json"
    )
    assert response.status_code == 200, response.content
    changed, _created = api(triad.inside).get(history_url(triad.east_household, "households")).json()
    assert changes_of(changed) == {"address": ("东门村1号", "东门村2号")}
    assert api(triad.neighbour).get(history_url(triad.east_household, "households")).status_code == 404
