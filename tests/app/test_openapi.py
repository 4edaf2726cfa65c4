"""The OpenAPI document (issue 14): every operation has a hand-written summary, no description names a file or
module, every operation documents its error statuses with the one error envelope and examples of real codes, and
FastAPI's `HTTPValidationError` is gone. It walks `app.openapi()`, so routes added later are held to it too."""
import json
import re
from http import HTTPStatus
from pathlib import Path

import jsonschema_rs
import pytest

from api.deps import get_read_session, get_session
from api.main import create_app
from api.openapi import ENVELOPE, ENVELOPE_REF, MESSAGES, ROUTE_ERRORS, _calls, api_routes, inferred_errors
from api.settings import Settings

ROOT = Path(__file__).parents[2]
ERROR = re.compile(r"[45]\d\d")
FILE_OR_MODULE = re.compile(r"\.py\b|\bapi/|\bpoints/|\bdocs/|\b[\w-]+\.md\b")


@pytest.fixture(scope="module")
def app(tmp_path_factory, policy):
    return create_app(None, Settings(secret_key="test-secret-key-of-at-least-32-bytes",
                                     data_dir=tmp_path_factory.mktemp("openapi")), policy)


@pytest.fixture(scope="module")
def spec(app):
    return app.openapi()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_every_operation_has_a_hand_written_english_summary(app, spec):
    routes = {(method, route.path_format): route for route in api_routes(app) for method in route.methods}
    seen = 0
    for path, method, operation in operations(spec):
        route = routes[(method, path)]
        generated = route.name.replace("_", " ").title()  # what FastAPI writes when the route names none
        assert route.summary and operation.get("summary") == route.summary, f"{method} {path}: no summary"
        assert operation["summary"] != generated, f"{method} {path}: generated summary {generated!r}"
        assert re.match(r"[A-Z]", operation["summary"]), f"{method} {path}: summary starts in English"
        seen += 1
    assert seen >= 28


def _texts(node, where="$"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary", "title") and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from _texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{where}[{i}]")


def test_no_description_names_a_file_or_a_module(spec):
    named = [(where, text[:120]) for where, text in _texts(spec) if FILE_OR_MODULE.search(text)]
    assert named == []


def test_fastapis_validation_error_schema_is_gone(spec):
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and "#/components/schemas/ValidationError" not in text
    assert spec["components"]["schemas"]["ErrorEnvelope"] == ENVELOPE


def expected_statuses(app, path: str, method: str, operation: dict) -> set[str]:
    """What any route must document, whatever its own table says."""
    route = next(r for r in api_routes(app) if r.path_format == path and method in r.methods)
    calls = set(_calls(route.dependant))
    expected = set()
    if operation.get("security"):
        expected |= {"401", "403"} - ({"403"} if ROUTE_ERRORS.get((method, path), {}).get(403, ()) is None else set())
    if "{" in path:
        expected.add("404")
    if operation.get("parameters") or "requestBody" in operation:
        expected.add("422")
    if method in ("POST", "PUT", "PATCH"):
        expected.add("413")
    if any(p["name"].lower() == "idempotency-key" for p in operation.get("parameters", ())):
        expected.add("409")
    if get_session in calls or get_read_session in calls:
        expected.add("503")
    return expected


def test_every_operation_documents_its_errors_with_the_envelope_and_examples(app, spec):
    envelope = jsonschema_rs.validator_for(ENVELOPE)
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        missing = expected_statuses(app, path, method, operation) - responses.keys()
        assert not missing, f"{method} {path} does not document {sorted(missing)}"
        errors = {status: r for status, r in responses.items() if ERROR.fullmatch(status)}
        for status, response in errors.items():
            where = f"{method} {path} {status}"
            content = response.get("content", {}).get("application/json", {})
            assert content.get("schema") == {"$ref": ENVELOPE_REF}, where
            examples = content.get("examples") or {}
            assert examples, f"{where}: no example"
            for name, example in examples.items():
                assert envelope.is_valid(example["value"]), f"{where}: example {name} is not an envelope"
                assert example["value"]["error"]["code"] == name, where
            assert response["description"] and response["description"] != "Validation Error", where


def test_secured_operations_document_each_way_a_token_is_refused(spec):
    for path, method, operation in operations(spec):
        if operation.get("security"):
            examples = operation["responses"]["401"]["content"]["application/json"]["examples"]
            assert set(examples) == {"UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED", "TOKEN_REVOKED"}, path


def _source_codes() -> str:
    files = [p for folder in ("api", "points") for p in (ROOT / folder).rglob("*.py") if p.name != "openapi.py"]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_documented_code_is_one_the_service_answers(spec):
    source, names = _source_codes(), {s.name for s in HTTPStatus}
    documented = {name for _, _, operation in operations(spec) for status, response in operation["responses"].items()
                  if ERROR.fullmatch(status)
                  for name in response.get("content", {}).get("application/json", {}).get("examples", {})}
    unknown = sorted(code for code in documented if f'"{code}"' not in source and code not in names)
    assert unknown == []


def test_the_table_of_route_errors_names_existing_operations_with_example_messages(app, spec):
    operations_in_spec = {(method, path) for path, method, _ in operations(spec)}
    assert set(ROUTE_ERRORS) <= operations_in_spec, set(ROUTE_ERRORS) - operations_in_spec
    for key, statuses in ROUTE_ERRORS.items():
        for status, codes in statuses.items():
            assert codes is None or set(codes) <= MESSAGES.keys(), (key, status, set(codes or ()) - MESSAGES.keys())
    for route in api_routes(app):  # the generic codes every route may get
        for method in route.methods:
            operation = spec["paths"][route.path_format][method.lower()]
            for codes in inferred_errors(route, method, operation).values():
                assert set(codes) <= MESSAGES.keys()
