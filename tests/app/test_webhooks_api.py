from sqlmodel import Session

from api.auth.tokens import Role
from api.clock import utcnow
from api.webhooks.outbox import fan_out
from tests.app.conftest import case

CODE = "D110105000123"


def test_subscribe_see_deliveries_and_unsubscribe(api, people):
    api.app.state.settings.webhook_allow = "127.0.0.1"
    settle = api.token(Role.SETTLEMENT, "110000")
    r = api.client.post("/v1/webhooks", headers=settle, json={"url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201 and len(r.json()["secret"]) >= 32 and r.json()["region_prefix"] == "11"
    sid = r.json()["id"]
    case(api, people, 9, "2026-02-10", violation="S01")  # today is 1 March: decided, and suspended now
    with Session(api.engine) as session:
        # the scheduler makes the deliveries: of the three events (registered, suspension decided, suspended)
        # only the two written after the subscription
        assert fan_out(session, utcnow()) == 3
    deliveries = api.client.get(f"/v1/webhooks/{sid}/deliveries", headers=settle).json()
    assert [(d["state"], d["attempts"], d["batch_id"]) for d in deliveries["items"]] == [("pending", 0, None)] * 2
    assert deliveries["next_cursor"] is None
    assert "secret" not in api.client.get("/v1/webhooks", headers=settle).json()["items"][0]
    other = api.token(Role.SETTLEMENT, "110000", "another system")
    r = api.client.get(f"/v1/webhooks/{sid}/deliveries", headers=other)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "SUBSCRIPTION_NOT_FOUND")
    assert api.client.delete(f"/v1/webhooks/{sid}", headers=settle).status_code == 204
    assert api.client.get("/v1/webhooks", headers=settle).json()["items"][0]["active"] is False
    r = api.client.post("/v1/webhooks", headers=settle, json={"url": "ftp://example.org/x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
