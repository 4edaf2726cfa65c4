"""The pages' side of evidence and form fixes: files filed with the objection form (a refused file keeps the
text), listed on the review page and the person's own page; the review form shows the record's band and its
input refuses other values; an annulled record offers no review; the decide form stays for a correction."""
import re

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case
from tests.app.test_pages import hidden, records_of, sign_in

pytestmark = pytest.mark.db
PERSON = "D110105000123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _object(api, record_id, reason, *files):
    page = api.client.get(f"/ui/me/records/{record_id}/objection").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "reason": reason}
    return api.client.post(f"/ui/me/records/{record_id}/objection", data=form,
                           files=[("evidence", f) for f in files] or [("evidence", ("", b""))],
                           follow_redirects=False)


def test_an_objection_with_files_shows_them_to_the_reviewer_and_the_person(api, people):
    assert case(api, people, 5, "2026-02-10").status_code == 201
    record_id = records_of(api, people)[0]["id"]
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    form = api.client.get(f"/ui/me/records/{record_id}/objection").text
    assert 'enctype="multipart/form-data"' in form and 'type="file" name="evidence"' in form
    assert "最多 5 个，每个不超过 5 MB" in form

    refused = _object(api, record_id, "留着我的理由", ("notes.png", b"GIF89a" + bytes(20), "image/png"))
    assert refused.status_code == 415 and "EVIDENCE_TYPE" in refused.text
    assert "证据文件 notes.png 不是 PDF、JPEG 或 PNG 文件" in refused.text  # in the page's language
    assert "留着我的理由</textarea>" in refused.text and 'id="err-evidence"' in refused.text
    assert records_of(api, people)[0]["objections"] == []  # neither the objection nor the file
    r = _object(api, record_id, "并非本人开具", ("处方 110105199001011234.png", PNG, "image/png"))
    assert r.status_code == 303, r.text
    me = api.client.get("/ui/me").text
    [link] = re.findall(r'<a class="evidence-link" href="(/ui/evidence/\d+)" download>([^<]*)</a>', me)
    assert link[1] == "处方 110105***********4.png"

    sign_in(api)
    review = api.client.get(f"/ui/records/{record_id}/review").text
    assert f'href="{link[0]}"' in review and "PNG 图片" in review
    person = api.client.get(f"/ui/people/{PERSON}").text
    assert f'href="{link[0]}"' in person and "提交证据材料" in person  # the link, and the audit in the history
    got = api.client.get(link[0])
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")


def test_an_objection_without_files_still_files(api, people):
    assert case(api, people, 5, "2026-02-10").status_code == 201
    record_id = records_of(api, people)[0]["id"]
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    assert _object(api, record_id, "无附件").status_code == 303
    assert records_of(api, people)[0]["objections"][0]["reason"] == "无附件"


def test_the_review_form_shows_the_band_and_the_server_refuses_points_outside_it(api, people):
    assert case(api, people, 5, "2026-02-10").status_code == 201  # H01: 4–6
    record_id = records_of(api, people)[0]["id"]
    sign_in(api)
    page = api.client.get(f"/ui/records/{record_id}/review").text
    assert 'name="points" id="f-points" value="" min="4" max="6" step="1"' in page
    assert "该情形的分值档：4–6 分" in page
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "outcome": "change",
            "points": "8", "decided_on": "2026-03-01", "reason": "变更"}
    r = api.client.post(f"/ui/records/{record_id}/review", data=form)
    assert r.status_code == 422 and "POINTS_OUTSIDE_BAND" in r.text and 'value="8"' in r.text
    assert records_of(api, people)[0]["points"] == 5


def test_an_annulled_record_offers_no_review_anywhere(api, people):
    assert case(api, people, 5, "2026-02-10").status_code == 201
    assert case(api, people, 1, "2026-02-11", violation="L01").status_code == 201
    annulled, kept = (r["id"] for r in records_of(api, people))
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    assert _object(api, annulled, "不服").status_code == 303
    sign_in(api)
    assert f"/ui/records/{annulled}/review" in api.client.get("/ui/objections").text
    page = api.client.get(f"/ui/records/{annulled}/review").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "outcome": "annul",
            "decided_on": "2026-03-01", "reason": "异议成立"}
    assert api.client.post(f"/ui/records/{annulled}/review", data=form, follow_redirects=False).status_code == 303

    person = api.client.get(f"/ui/people/{PERSON}").text
    assert f'href="/ui/records/{kept}/review"' in person and f'href="/ui/records/{annulled}/review"' not in person
    assert f"/ui/records/{annulled}/review" not in api.client.get("/ui/objections").text
    again = api.client.get(f"/ui/records/{annulled}/review")
    assert again.status_code == 409 and "RECORD_ANNULLED" in again.text
    form["form_key"] = "another"  # a new submission, not the replay of the first
    posted = api.client.post(f"/ui/records/{annulled}/review", data={**form, "outcome": "confirm"})
    assert posted.status_code == 409 and "RECORD_ANNULLED" in posted.text
    assert len(records_of(api, people)[0]["reviews"]) == 1


def test_the_decide_form_stays_for_a_correction_by_its_authority_only(api, people):
    for points, day, violation in ((5, "2026-02-10", "H01"), (4, "2026-02-20", "H02")):
        assert case(api, people, points, day, violation=violation).status_code == 201
    sign_in(api)
    page = api.client.get(f"/ui/people/{PERSON}").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "decided_on": "2026-03-01",
            "trigger_record_id": hidden(page, "trigger_record_id"), "months": "3", "reason": "情节较重"}
    page = api.client.post(f"/ui/people/{PERSON}/suspension-decisions", data=form).text
    assert 'class="row decide-form"' in page and 'id="decide-submit">更正期限<' in page
    page = api.client.post(f"/ui/people/{PERSON}/suspension-decisions",
                           data={**form, "form_key": hidden(page, "form_key"), "months": "2"}).text
    assert "已决定 2 个月" in page and 'class="row decide-form"' in page

    sign_in(api, scope="110105", name="朝阳区医保局")  # sees the person; the province recorded the trigger
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert "朝阳区医保局" in page and "decide-form" not in page
    r = api.client.post(f"/ui/people/{PERSON}/suspension-decisions",
                        data={**form, "csrf": hidden(page, "csrf"), "form_key": "x", "months": "6"})
    assert r.status_code == 403 and "NOT_YOUR_DECISION" in r.text
