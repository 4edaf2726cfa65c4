from api.auth.tokens import Role
from tests.app.conftest import case

CODE = "D110105000123"


def test_subscribe_see_deliveries_and_unsubscribe(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    r = api.client.post("/v1/webhooks", headers=settle, json={"url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201 and len(r.json()["secret"]) >= 32 and r.json()["region_prefix"] == "11"
    sid = r.json()["id"]
    case(api, people, 9, "2026-02-10", violation="S01")  # today is 1 March: suspended now -> one event
    deliveries = api.client.get(f"/v1/webhooks/{sid}/deliveries", headers=settle).json()
    assert [(d["state"], d["attempts"]) for d in deliveries] == [("pending", 0)]
    assert "secret" not in api.client.get("/v1/webhooks", headers=settle).json()[0]
    other = api.token(Role.SETTLEMENT, "110000", "another system")
    r = api.client.get(f"/v1/webhooks/{sid}/deliveries", headers=other)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "SUBSCRIPTION_NOT_FOUND")
    assert api.client.delete(f"/v1/webhooks/{sid}", headers=settle).status_code == 204
    assert api.client.get("/v1/webhooks", headers=settle).json()[0]["active"] is False
    r = api.client.post("/v1/webhooks", headers=settle, json={"url": "ftp://example.org/x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
