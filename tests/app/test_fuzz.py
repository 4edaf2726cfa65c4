"""Schemathesis against the OpenAPI document (issue 14): generated requests, valid and invalid, get answers that
conform to it: a documented status and content type, a body matching the documented schema (the error envelope
included), never a 5xx. Every operation in the document is run, routes added later included."""
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Role
from api.db.models import PointRecord, Registration
from api.demo import load_demo

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSON, INSTITUTION = "D110105000004", "H11010500001"
EXAMPLES, NEGATIVE_EXAMPLES = 10, 6  # per operation and mode
NEGATIVE = {"POST /v1/cases", "POST /v1/claims", "POST /v1/eligibility/batch"}  # and every GET


@pytest.fixture
def fuzz_app(api):
    with Session(api.engine) as session:
        load_demo(session, api.app.state.policy, date(2026, 3, 1), people=60)
        session.commit()
        record_id = session.scalars(select(PointRecord.id).order_by(PointRecord.id)).first()
        registration_id = session.scalars(select(Registration.id).order_by(Registration.id)).first()
    tokens = {Role.SUPERVISOR: api.token(Role.SUPERVISOR, "000000"),
              Role.SETTLEMENT: api.token(Role.SETTLEMENT, "000000"),
              Role.PRACTITIONER: api.token(Role.PRACTITIONER, PERSON)}
    claims = [{"ref": f"FUZZ-{n}", "institution_code": INSTITUTION, "practitioner_code": PERSON,
               "service_date": f"2026-02-0{n}", "amount": "10.00"} for n in (1, 2)]
    assert api.client.post("/v1/claims", headers=tokens[Role.SETTLEMENT], json=claims).status_code == 200
    known = {"registration_id": registration_id, "record_id": record_id, "ref": "FUZZ-1", "subscription_id": 1}
    return api, tokens, known


def role_for(path: str) -> Role:
    if path.startswith("/v1/me"):
        return Role.PRACTITIONER
    if path.startswith(("/v1/eligibility", "/v1/claims", "/v1/webhooks")):
        return Role.SETTLEMENT
    return Role.SUPERVISOR


def known_path(path: str, names, known: dict) -> dict | None:
    """Path parameters naming things that exist (so that answers other than 404 are checked too)."""
    values = {**known, "code": INSTITUTION if path.startswith("/v1/institutions/") else PERSON}
    return {name: values[name] for name in names} if names and all(name in values for name in names) else None


def strategies(operation, known: dict) -> list:
    """(strategy, examples): valid requests; invalid ones (GETs and a few POSTs with something to break); and,
    for GETs, requests about things that exist."""
    name, method = f"{operation.method.upper()} {operation.path}", operation.method.upper()
    out = [(operation.as_strategy(), EXAMPLES)]
    if (method == "GET" or name in NEGATIVE) and (operation.query or operation.path_parameters or operation.body):
        out.append((operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE_EXAMPLES))  # 422s and 404s conform
    fixed = known_path(operation.path, [p.name for p in operation.path_parameters], known)
    if method == "GET" and fixed:
        out.append((operation.as_strategy(path_parameters=fixed), EXAMPLES))
    if name == "GET /v1/eligibility":  # someone the snapshot answers, on a date that parses
        out.append((operation.as_strategy(query={"code": PERSON, "date": "2026-02-20"}), EXAMPLES))
    return out


def test_generated_requests_get_answers_that_conform_to_the_schema(fuzz_app):
    api, tokens, known = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    failures, answered = set(), {}
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = tokens[role_for(operation.path)]
        for strategy, examples in strategies(operation, known):
            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])
            @given(case=strategy)
            def check(case):
                response = case.call(headers=headers)
                answered.setdefault(f"{case.method} {operation.path}", set()).add(response.status_code)
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as group:
                    for failure in group.exceptions:
                        failures.add((case.method, operation.path, response.status_code, failure.title,
                                      str(getattr(failure, "message", ""))[:300]))

            check()
    assert sorted(failures) == []
    # the run reached past the door: successful answers were checked against their schemas too
    ok = {name for name, statuses in answered.items() if any(s < 300 for s in statuses)}
    for expected in ("GET /v1/practitioners/{code}", "GET /v1/institutions/{code}/staff", "GET /v1/me",
                     "GET /v1/claims", "GET /v1/eligibility", "GET /v1/practitioners", "GET /v1/violations"):
        assert expected in ok, (expected, answered.get(expected))
