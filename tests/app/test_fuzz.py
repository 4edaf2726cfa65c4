"""Schemathesis against the OpenAPI spec: generated requests, valid and invalid, never get a 5xx."""
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.auth.tokens import Role
from api.demo import load_demo


@pytest.fixture
def fuzz_app(api):
    from sqlmodel import Session

    with Session(api.engine) as session:
        load_demo(session, api.app.state.policy, date(2026, 3, 1), people=60)
        session.commit()
    tokens = {Role.SUPERVISOR: api.token(Role.SUPERVISOR, "000000"), Role.SETTLEMENT: api.token(Role.SETTLEMENT, "000000"),
              Role.PRACTITIONER: api.token(Role.PRACTITIONER, "D110105000004")}
    return api, tokens


def role_for(path: str) -> Role:
    if path.startswith("/v1/me"):
        return Role.PRACTITIONER
    if path.startswith(("/v1/eligibility", "/v1/claims", "/v1/webhooks")):
        return Role.SETTLEMENT
    return Role.SUPERVISOR


def test_no_generated_request_gets_a_server_error(fuzz_app):
    api, tokens = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=tokens[role_for(operation.path)])
            if response.status_code >= 500:
                failures.append((case.method, operation.path, response.status_code, response.text[:200]))

        check()
    assert failures == []
