"""Regions and institutions appear by name with their code wherever the pages showed a code."""
import re

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case
from tests.app.test_pages import PERSON, login, sign_in

pytestmark = pytest.mark.db

REGION = "北京市朝阳区（110105）"
HOSPITAL = "朝阳第一医院（H11010500001）"


def _section(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}".*?</table>', html, re.DOTALL).group(0)


def test_a_supervisor_sees_names_in_the_header_the_list_and_the_person_page(api, people):
    assert case(api, people, 2, "2026-02-10", violation="L01").status_code == 201
    sign_in(api)
    listed = api.client.get("/ui/people").text
    assert re.search(r'id="scope"[^>]*>北京市（110000）<', listed)
    assert REGION in _section(listed, "people")
    person = api.client.get(f"/ui/people/{PERSON}").text
    assert REGION in person
    assert HOSPITAL in _section(person, "registration-rows")
    assert HOSPITAL in _section(person, "records")
    form = api.client.get(f"/ui/people/{PERSON}/record").text
    assert re.search(rf'<option value="H11010500001"[^>]*>{re.escape(HOSPITAL)}</option>', form)


def test_english_pages_keep_the_names_and_label_the_nation(api, people):
    national = api.token(Role.SUPERVISOR, "000000", "国家医保局")["Authorization"].removeprefix("Bearer ")
    login(api, national)
    api.client.cookies.set("points_lang", "en", path="/ui")
    person = api.client.get(f"/ui/people/{PERSON}").text
    assert "National (000000)" in person
    assert "北京市朝阳区 (110105)" in person and "朝阳第一医院 (H11010500001)" in person


def test_a_practitioner_sees_the_names_of_their_institutions(api, people):
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    page = api.client.get("/ui/me").text
    assert HOSPITAL in _section(page, "registration-rows") and REGION in page
    assert 'id="scope"' not in page  # a person's scope is themselves


def test_the_objections_list_and_the_overview_show_names(api, people):
    assert case(api, people, 2, "2026-02-10", violation="L01").status_code == 201
    record_id = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["records"][0]["id"]
    own = api.token(Role.PRACTITIONER, PERSON, "王伟")
    r = api.client.post("/v1/me/objections", headers=own, json={"record_id": record_id, "reason": "并非本人经办"})
    assert r.status_code == 201, r.text
    sign_in(api)
    assert HOSPITAL in _section(api.client.get("/ui/objections").text, "objections")
    assert "北京市（110000）" in api.client.get("/ui/overview").text.split("</h1>")[0]
