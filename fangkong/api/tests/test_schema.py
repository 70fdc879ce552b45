import pytest
from django.core.management import call_command

PATHS = [
    "/api/v1/auth/token/", "/api/v1/units/", "/api/v1/units/{code}/", "/api/v1/people/", "/api/v1/people/{id}/",
    "/api/v1/people/{id}/history/", "/api/v1/people/{id}/move/", "/api/v1/households/",
    "/api/v1/households/{id}/", "/api/v1/households/{id}/history/", "/api/v1/households/{id}/move/",
]


def test_schema_endpoint_lists_the_paths(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in PATHS:
        assert path in paths, path
    assert {p["name"] for p in paths["/api/v1/people/"]["get"]["parameters"]} >= {
        "unit", "q", "id_number", "household", "population_type", "needs_follow_up", "is_elderly", "page",
    }


def test_schema_generates_without_warnings(tmp_path, db):
    # --fail-on-warn turns any warning (an untyped field, an unknown filter type) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/people/{id}/move/" in (tmp_path / "schema.yaml").read_text()


def test_token_endpoint_needs_no_authentication_in_the_schema(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["paths"]["/api/v1/auth/token/"]["post"].get("security") in (None, [], [{}])
    assert schema["paths"]["/api/v1/people/"]["get"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


@pytest.mark.parametrize("path", ["/api/v1/people/{id}/history/", "/api/v1/households/{id}/move/"])
def test_detail_actions_are_not_described_as_paged_lists(client, db, path):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = next(iter(schema["paths"][path].values()))
    assert {p["name"] for p in operation["parameters"]} == {"id"}
