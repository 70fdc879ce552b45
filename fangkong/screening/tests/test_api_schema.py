def test_schema_describes_campaigns_visits_and_coverage(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in ["/api/v1/campaigns/", "/api/v1/campaigns/{id}/", "/api/v1/visits/", "/api/v1/visits/{id}/"]:
        assert path in paths, path
    coverage = paths["/api/v1/campaigns/{id}/coverage/"]["get"]
    assert {p["name"] for p in coverage["parameters"]} == {"id", "unit"}
    assert {p["name"] for p in paths["/api/v1/visits/"]["get"]["parameters"]} >= {
        "campaign", "unit", "outcome", "date", "date_from", "date_to", "household", "page",
    }
