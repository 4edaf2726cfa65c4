"""/docs and /redoc work on an isolated network: every script, style and icon they name is on this server."""
import re

import pytest

pytestmark = pytest.mark.db

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|specUrl)\s*:\s*["']([^"']+)["']""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_name_no_other_host(api, path):
    r = api.client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", r.text), r.text
    assert "cdn" not in r.text.lower() and "fonts.googleapis" not in r.text
    assets = [u for u in references(r.text) if u.startswith("/docs-assets/")]
    assert len(assets) >= (3 if path == "/docs" else 2)
    for url in assets:
        served = api.client.get(url)
        suffix = url[url.rindex("."):]
        assert served.status_code == 200, url
        assert CONTENT_TYPES[suffix] in served.headers["content-type"], (url, served.headers["content-type"])
        assert len(served.content) > 100


def test_docs_show_the_completed_document(api):
    """The pages load /openapi.json: the document with every operation's errors (api/openapi.py)."""
    assert "/openapi.json" in api.client.get("/docs").text
    assert "/openapi.json" in api.client.get("/redoc").text
    document = api.client.get("/openapi.json").json()
    assert "/v1/eligibility" in document["paths"]
    assert "ErrorEnvelope" in document["components"]["schemas"]


def test_swagger_oauth_redirect_is_local(api):
    r = api.client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "<script" in r.text
    assert not re.search(r"https?://", r.text)
