"""The violation catalogue's sources over HTTP (issue 12): `GET /v1/violations` and the supervisor's record form."""
import html
import re

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case
from tests.app.test_pages import PERSON, sign_in

pytestmark = pytest.mark.db
CHANGE = "2026-11-26"


def test_the_catalogue_exposes_each_types_source_and_whether_it_fixes_the_band(api, people):
    me = api.token(Role.PRACTITIONER, PERSON)
    types = {v["code"]: v for v in api.client.get("/v1/violations", headers=me, params={"on": CHANGE}).json()}
    for v in types.values():
        assert {"source", "source_en", "source_fixes_band", "public_source", "effective_from"} <= v.keys()
        assert bool(v["source"]) == v["public_source"], v
    assert "第三十八条第(三)项" in types["H02"]["source"] and "art. 38 item (3)" in types["H02"]["source_en"]
    assert types["F06"]["source_fixes_band"] is True and (types["F06"]["low"], types["F06"]["high"]) == (10, 12)
    assert types["F04"]["source_fixes_band"] is False
    assert {c for c, v in types.items() if not v["public_source"]} == {"L99", "H99", "S99", "F99"}


def test_the_catalogue_is_dated_the_fraud_types_start_on_the_change(api, people):
    me = api.token(Role.PRACTITIONER, PERSON)
    before = {v["code"]: v for v in api.client.get("/v1/violations", headers=me,
                                                     params={"on": "2026-11-25"}).json()}
    after = {v["code"]: v for v in api.client.get("/v1/violations", headers=me, params={"on": CHANGE}).json()}
    assert set(after) - set(before) == {"F04", "F05", "F06", "F07"}
    assert before["S01"]["name_zh"] == "分解住院、挂床住院" and before["S01"]["effective_to"] == "2026-11-25"
    assert after["S01"]["band"] == before["S01"]["band"] == "serious" and after["S01"]["effective_from"] == CHANGE


def test_a_record_decided_before_the_change_keeps_s01_after_it(api, people):
    assert case(api, people, 9, "2026-02-10", violation="S01").status_code == 201
    api.clock.today = api.clock.today.replace(year=2026, month=12, day=1)
    record = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["records"][0]
    assert (record["violation_code"], record["band"], record["points"]) == ("S01", "serious", 9)
    assert record["violation_zh"] == "分解住院、挂床住院"
    r = case(api, people, 12, "2026-11-30", violation="F04", number="京朝医保罚〔2026〕9号")
    assert r.status_code == 201, r.text
    r = case(api, people, 12, "2026-11-20", violation="F04", number="京朝医保罚〔2026〕10号")
    assert r.status_code == 422 and r.json()["error"]["code"] == "UNKNOWN_VIOLATION"


def _source_hint(page: str) -> str:
    return html.unescape(re.search(r'<p class="muted" id="source-hint">(.*?)</p>', page, re.DOTALL).group(1))


def test_the_record_form_shows_the_chosen_types_source_in_both_languages(api, people):
    sign_in(api)
    page = api.client.get(f"/ui/people/{PERSON}/record").text
    first = _source_hint(page)  # without a choice, the first type's (L01)
    assert first.startswith("来源：《医疗保障基金使用监督管理条例》第十五条") and "分值档为本系统所定" in first
    options = {m[0]: html.unescape(m[1]) for m in re.findall(r'<option value="(\w+)"[^>]*data-source="([^"]*)"', page)}
    assert "第三十八条第(二)项" in options["H01"]
    assert options["L99"] == "无公开文件规定此具体情形，由决定者在本档内判断分值"
    api.clock.today = api.clock.today.replace(year=2026, month=11, day=26)
    page = api.client.get(f"/ui/people/{PERSON}/record").text
    options = {m[0]: html.unescape(m[1]) for m in re.findall(r'<option value="(\w+)"[^>]*data-source="([^"]*)"', page)}
    assert "\"回流药\"" in options["F06"] and "来源规定了该分值档" in options["F06"]
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/people"})
    page = api.client.get(f"/ui/people/{PERSON}/record").text
    assert _source_hint(page).startswith("Source: Regulation on the Supervision of the Use of Medical Security Funds")
    options = {m[0]: html.unescape(m[1]) for m in re.findall(r'<option value="(\w+)"[^>]*data-source="([^"]*)"', page)}
    assert options["F06"].endswith("(the source fixes the band)")
    assert options["S99"].startswith("No public document names this behaviour")
