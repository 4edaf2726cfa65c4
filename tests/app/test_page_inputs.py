"""Odd input to the pages: a page number in other digits, a malformed page address, an upload before sign-in."""
import pytest

from api.auth.tokens import Role
from tests.app.test_pages import sign_in

pytestmark = pytest.mark.db


@pytest.mark.parametrize("path", ["/ui/people", "/ui/objections", "/ui/people/export.xlsx",
                                  "/ui/objections/export.xlsx"])
def test_a_page_number_in_other_digits_is_the_first_page(api, path):
    sign_in(api)
    r = api.client.get(path, params={"page": "²"})
    assert r.status_code == 200, r.text


def test_a_malformed_page_address_reads_as_one_on_a_chinese_page(api):
    sign_in(api, Role.INSTITUTION, "H11010500001", "朝阳第一医院")
    r = api.client.get("/ui/institution", params={"page": "0"})
    assert r.status_code == 422
    assert "页面地址中的参数无效" in r.text and "details" not in r.text


def test_an_objection_with_files_is_refused_before_its_body_is_read_when_not_signed_in(api):
    files = [("evidence", (f"f{i}.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")) for i in range(51)]
    r = api.client.post("/ui/me/records/1/objection", data={"reason": "x"}, files=files, follow_redirects=False)
    assert r.status_code == 303 and "/ui/login" in r.headers["location"]
