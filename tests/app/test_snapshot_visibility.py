"""A status change made outside this API process reaches its eligibility answers within one second."""
import time
from datetime import date

from sqlmodel import Session

from api.auth.tokens import Role
from tests.db.factories import record

CODE = "D110105000123"


def test_a_change_by_another_process_is_visible_within_one_second(api, people, policy):
    settle = api.token(Role.SETTLEMENT, "000000")
    ask = lambda: api.client.get("/v1/eligibility", headers=settle,  # noqa: E731
                                 params={"code": CODE, "date": "2026-02-20"}).json()
    deadline = time.monotonic() + 5
    while api.app.state.live.snapshot is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert ask()["eligible"] is True
    with Session(api.engine) as other:  # e.g. another API worker, or the CLI
        record(other, policy, CODE, 9, date(2026, 2, 10), violation="S01", today=date(2026, 3, 1))
        other.commit()
    changed_at = time.monotonic()
    while ask()["eligible"]:
        assert time.monotonic() - changed_at < 1.0, "not visible within one second"
        time.sleep(0.02)
    assert ask()["status"] == "suspended"
