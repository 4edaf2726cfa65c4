"""Who may change what, region by region. A person registered in Tianjin and in Beijing (多点执业) carries a
Tianjin record that triggered a suspension and a Beijing record. Each supervisor scope is tried on every
action against both: seeing the person (a registration grants reading) never grants changing another
region's decision; out of scope reads exactly like unknown (404)."""
from datetime import date

import pytest

from api.auth.tokens import Role
from tests.app.conftest import Api

MULTI = "D120103000022"  # Tianjin home, registered in Tianjin (河西区) and in Beijing (朝阳区)
BJ_INST, TJ_INST = "H11010500001", "H12010300001"
S = Role.SUPERVISOR

# scope -> (reads the person, may change the Tianjin record, may change the Beijing record, may repair)
SCOPES = {
    "000000": (True, True, True, False),    # national: above everyone; national rules provide no repair
    "120000": (True, True, False, True),    # Tianjin province: above the recorder; its rules provide repair
    "120103": (True, True, False, True),    # Tianjin county: the recorder
    "110000": (True, False, True, False),   # Beijing province: above the Beijing recorder
    "110100": (True, False, True, False),   # Beijing city
    "110105": (True, False, True, False),   # Beijing county: the recorder; registration there grants reading
    "110108": (False, False, False, False),  # a sibling county: nothing
    "310000": (False, False, False, False),  # another province: nothing
}


def _error(r):
    return r.status_code, r.json()["error"]["code"]


def _case(api: Api, headers, institution, number, points, date, violation="H01"):
    r = api.client.post("/v1/cases", headers=headers, json={
        "violation_code": violation, "decision_date": date, "case_number": number, "authority": "医保局",
        "institution_code": institution, "people": [{"practitioner_code": MULTI, "points": points}]})
    assert r.status_code == 201, r.text
    return r.json()[0]["id"]


@pytest.fixture
def world(api: Api):
    tianjin, beijing = api.token(S, "120103", "河西区医保局"), api.token(S, "110105", "朝阳区医保局")
    for headers, code, region in ((tianjin, TJ_INST, "120103"), (beijing, BJ_INST, "110105")):
        r = api.client.post("/v1/institutions", headers=headers, json={
            "code": code, "name": f"医院{code}", "kind": "hospital", "region": region})
        assert r.status_code == 201, r.text
    r = api.client.post("/v1/practitioners", headers=tianjin, json={
        "code": MULTI, "name": "张敏", "category": "medical", "institution_code": TJ_INST,
        "registered_on": "2025-01-01"})
    assert r.status_code == 201, r.text
    api.clock.today = date(2025, 6, 1)  # Beijing registers the Tianjin physician from that day on
    r = api.client.post("/v1/registrations", headers=beijing, json={
        "practitioner_code": MULTI, "institution_code": BJ_INST, "starts_on": "2025-06-01"})
    assert r.status_code == 201, r.text
    api.clock.today = date(2026, 3, 1)
    t1 = _case(api, tianjin, TJ_INST, "津河医保〔2026〕1号", 5, "2026-01-10")
    t2 = _case(api, tianjin, TJ_INST, "津河医保〔2026〕2号", 4, "2026-01-20", "H02")  # 9: suspended, triggered here
    b1 = _case(api, beijing, BJ_INST, "京朝医保〔2026〕3号", 1, "2026-02-01", "L01")
    return {"tianjin": tianjin, "beijing": beijing, "t1": t1, "t2": t2, "b1": b1}


def test_each_scope_reads_and_changes_only_what_its_authority_decided(api: Api, world):
    latest_review = {}
    for scope, (reads, tianjin_ok, beijing_ok, repair_ok) in SCOPES.items():
        who = api.token(S, scope)
        r = api.client.get(f"/v1/practitioners/{MULTI}", headers=who)
        assert r.status_code == (200 if reads else 404), (scope, r.text)
        hidden = (404, "RECORD_NOT_FOUND")
        for record, allowed in ((world["t1"], tianjin_ok), (world["b1"], beijing_ok)):
            body = {"outcome": "confirm", "decided_on": "2026-02-20", "reason": "维持",
                    "supersedes": latest_review.get(record)}
            r = api.client.post(f"/v1/records/{record}/reviews", headers=who, json=body)
            if allowed:
                assert r.status_code == 201, (scope, record, r.text)
                latest_review[record] = r.json()["id"]
            else:
                assert _error(r) == ((403, "NOT_YOUR_DECISION") if reads else hidden), (scope, record, r.text)
        r = api.client.post(f"/v1/practitioners/{MULTI}/suspension-decisions", headers=who, json={
            "year": 2026, "months": 2, "decided_on": "2026-02-20", "reason": "情节"})
        if tianjin_ok:
            assert r.status_code == 201, (scope, r.text)
        else:
            assert _error(r) == ((403, "NOT_YOUR_DECISION") if reads else (404, "PRACTITIONER_NOT_FOUND")), scope
        r = api.client.post(f"/v1/practitioners/{MULTI}/repairs", headers=who, json={
            "activity_date": "2026-02-21", "activity": "参加医保政策宣传"})
        if repair_ok:
            assert r.status_code == 201, (scope, r.text)
        elif not reads:
            assert _error(r) == (404, "PRACTITIONER_NOT_FOUND"), scope
        else:
            assert _error(r) == (403, "REPAIR_NOT_PROVIDED"), (scope, r.text)


def test_registration_grants_reading_never_changing_another_regions_record(api: Api, world):
    """The escalation found in review: a county registers a Tianjin person at its own institution, then
    tried to review, shorten and repair the Tianjin record. It may read it and record its own case."""
    county = api.token(S, "110105", "朝阳区医保局")
    before = api.client.get(f"/v1/practitioners/{MULTI}", headers=world["tianjin"]).json()
    assert _error(api.client.post(f"/v1/records/{world['t2']}/reviews", headers=county, json={
        "outcome": "change", "points": 3, "decided_on": "2026-02-20", "reason": "改"})) == (403, "NOT_YOUR_DECISION")
    assert _error(api.client.post(f"/v1/practitioners/{MULTI}/repairs", headers=county, json={
        "activity_date": "2026-02-21", "activity": "宣传"})) == (403, "REPAIR_NOT_PROVIDED")
    assert _error(api.client.post(f"/v1/practitioners/{MULTI}/suspension-decisions", headers=county, json={
        "year": 2026, "months": 1, "decided_on": "2026-02-20", "reason": "情节"})) == (403, "NOT_YOUR_DECISION")
    after = api.client.get(f"/v1/practitioners/{MULTI}", headers=world["tianjin"]).json()
    assert (after["points_this_year"], after["status"], after["sanctions"]) == (
        before["points_this_year"], before["status"], before["sanctions"])
    # its own case at its own institution is its own decision
    _case(api, county, BJ_INST, "京朝医保〔2026〕9号", 1, "2026-02-22", "L01")


def test_a_region_below_the_recorder_may_not_review_its_record(api: Api, world):
    province = api.token(S, "110000", "北京市医保局")
    record = _case(api, province, BJ_INST, "京医保〔2026〕5号", 2, "2026-02-05", "L01")
    county = api.token(S, "110105")
    r = api.client.post(f"/v1/records/{record}/reviews", headers=county, json={
        "outcome": "annul", "decided_on": "2026-02-20", "reason": "撤"})
    assert _error(r) == (403, "NOT_YOUR_DECISION")
    r = api.client.post(f"/v1/records/{record}/reviews", headers=province, json={
        "outcome": "annul", "decided_on": "2026-02-20", "reason": "撤"})
    assert r.status_code == 201


def test_out_of_scope_answers_exactly_like_unknown(api: Api, world):
    shanghai = api.token(S, "310000")
    pairs = [(f"/v1/practitioners/{MULTI}", "/v1/practitioners/D120103000999", "get", None),
             (f"/v1/institutions/{BJ_INST}/staff", "/v1/institutions/H11010500999/staff", "get", None),
             (f"/v1/records/{world['t1']}/reviews", "/v1/records/999999/reviews", "post",
              {"outcome": "confirm", "decided_on": "2026-02-20", "reason": "x"}),
             (f"/v1/practitioners/{MULTI}/repairs", "/v1/practitioners/D120103000999/repairs", "post",
              {"activity_date": "2026-02-21", "activity": "宣传"})]
    for real, unknown, method, body in pairs:
        a = api.client.request(method.upper(), real, headers=shanghai, json=body)
        b = api.client.request(method.upper(), unknown, headers=shanghai, json=body)
        assert a.status_code == b.status_code == 404, (real, a.text)
        strip = lambda r, url: r.json()["error"]["message"].replace(url.split("/")[3], "ID")  # noqa: E731
        assert (a.json()["error"]["code"], strip(a, real)) == (b.json()["error"]["code"], strip(b, unknown))
    for path in ("/v1/cases", "/v1/registrations"):
        body = {"practitioner_code": MULTI, "institution_code": BJ_INST, "starts_on": "2026-03-01"} \
            if path == "/v1/registrations" else {
                "violation_code": "L01", "decision_date": "2026-02-01", "case_number": "X", "authority": "x",
                "institution_code": BJ_INST, "people": [{"practitioner_code": MULTI, "points": 1}]}
        r = api.client.post(path, headers=shanghai, json=body)
        assert _error(r) == (404, "INSTITUTION_NOT_FOUND") and BJ_INST in r.json()["error"]["message"]


def test_a_case_for_someone_never_registered_in_region_reads_as_unknown(api: Api, world):
    api.client.post("/v1/institutions", headers=api.token(S, "110000"), json={
        "code": "H11010800001", "name": "海淀医院", "kind": "hospital", "region": "110108"})
    haidian = api.token(S, "110108")
    r = api.client.post("/v1/cases", headers=haidian, json={
        "violation_code": "L01", "decision_date": "2026-02-01", "case_number": "X", "authority": "x",
        "institution_code": "H11010800001", "people": [{"practitioner_code": MULTI, "points": 1}]})
    assert _error(r) == (404, "PRACTITIONER_NOT_FOUND")


def test_an_institution_lies_in_the_region_its_code_names(api: Api):
    r = api.client.post("/v1/institutions", headers=api.token(S, "000000"), json={
        "code": "H31010199999", "name": "错配医院", "kind": "hospital", "region": "110105"})
    assert _error(r) == (422, "INSTITUTION_REGION_MISMATCH")
    r = api.client.post("/v1/institutions", headers=api.token(S, "110105"), json={
        "code": "H31010199999", "name": "外地医院", "kind": "hospital", "region": "310101"})
    assert _error(r) == (403, "OUT_OF_SCOPE")


def test_a_reviewed_record_takes_a_new_review_only_as_a_named_correction_or_after_an_objection(api: Api, world):
    record, tianjin = world["t1"], world["tianjin"]
    body = {"outcome": "confirm", "decided_on": "2026-02-20", "reason": "维持"}
    first = api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json=body)
    assert first.status_code == 201
    assert _error(api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json=body)) == (
        409, "RECORD_ALREADY_REVIEWED")
    r = api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json={
        **body, "outcome": "change", "points": 4, "supersedes": first.json()["id"]})
    assert r.status_code == 201, r.text
    me = api.token(Role.PRACTITIONER, MULTI)
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record, "reason": "不服"})
    assert r.status_code == 201
    r = api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json=body)
    assert r.status_code == 201 and len(r.json()["objections_closed"]) == 1


def test_the_review_page_refuses_another_regions_record_in_chinese(api: Api, world):
    from tests.app.test_pages import hidden, sign_in

    sign_in(api, scope="110105", name="朝阳区医保局")
    person = api.client.get(f"/ui/people/{MULTI}").text
    assert f'href="/ui/records/{world["b1"]}/review"' in person  # its own record: offered
    assert f'href="/ui/records/{world["t1"]}/review"' not in person and "外地决定" in person
    assert 'id="decide"' not in person  # the suspension was triggered by the Tianjin record
    page = api.client.get(f"/ui/records/{world['t1']}/review")
    assert page.status_code == 200  # reading is granted by the Beijing registration
    r = api.client.post(f"/ui/records/{world['t1']}/review", data={
        "csrf": hidden(page.text, "csrf"), "form_key": hidden(page.text, "form_key"), "outcome": "annul",
        "decided_on": "2026-02-20", "reason": "撤销"})
    assert r.status_code == 403 and "其他地区的医保部门作出" in r.text
    tianjin = api.client.get(f"/v1/practitioners/{MULTI}", headers=world["tianjin"]).json()
    assert next(x for x in tianjin["records"] if x["id"] == world["t1"])["reviews"] == []


def test_a_right_held_by_a_county_is_held_by_its_city_province_and_the_nation():
    from datetime import datetime, timezone

    from hypothesis import given
    from hypothesis import strategies as st

    from api.auth.tokens import Principal
    from api.authz.policy import Action, Target, decide
    from points import regions

    def supervisor(scope):
        return Principal("t", S, scope, "s", datetime(2099, 1, 1, tzinfo=timezone.utc))

    @given(st.sampled_from(["11", "12", "31", "44"]), st.integers(1, 99), st.integers(1, 99),
           st.sampled_from([Action.REVIEW, Action.DECIDE_SUSPENSION]))
    def check(province, city, county, action):
        region = f"{province}{city:02d}{county:02d}"
        above = [region, region[:4] + "00", region[:2] + "0000", regions.NATIONAL]
        for scope in above:
            assert decide(supervisor(scope), action, Target(authority_region=region)) is None
        sibling = f"{province}{city:02d}{county % 99 + 1:02d}"
        assert decide(supervisor(sibling), action, Target(authority_region=region))[0] == "NOT_YOUR_DECISION"
        # a decision taken above a county is never the county's to change
        assert decide(supervisor(region), action, Target(authority_region=region[:2] + "0000")) is not None

    check()


def test_a_backdated_registration_in_another_region_grants_no_say_over_the_past(api: Api, world):
    """Red-team finding: register someone else's person at your institution from 2020, then repair their
    points. A person registered elsewhere is registered here from today on, so the past stays theirs."""
    beijing_person = "D110105000077"
    api.client.post("/v1/practitioners", headers=world["beijing"], json={
        "code": beijing_person, "name": "赵强", "category": "medical", "institution_code": BJ_INST,
        "registered_on": "2025-01-01"})
    _case_for = {"violation_code": "H01", "decision_date": "2026-02-01", "case_number": "京朝〔2026〕20号",
                 "authority": "医保局", "institution_code": BJ_INST,
                 "people": [{"practitioner_code": beijing_person, "points": 5}]}
    assert api.client.post("/v1/cases", headers=world["beijing"], json=_case_for).status_code == 201
    tianjin = world["tianjin"]
    r = api.client.post("/v1/registrations", headers=tianjin, json={
        "practitioner_code": beijing_person, "institution_code": TJ_INST, "starts_on": "2020-01-01"})
    assert _error(r) == (422, "REGISTRATION_BACKDATED")
    r = api.client.post("/v1/registrations", headers=tianjin, json={
        "practitioner_code": beijing_person, "institution_code": TJ_INST, "starts_on": "2026-03-01"})
    assert r.status_code == 201, r.text
    r = api.client.post(f"/v1/practitioners/{beijing_person}/repairs", headers=tianjin, json={
        "activity_date": "2026-02-21", "activity": "宣传"})
    assert _error(r) == (403, "NOT_REGISTERED_IN_REGION")
    person = api.client.get(f"/v1/practitioners/{beijing_person}", headers=world["beijing"]).json()
    assert person["points_this_year"] == 5


def test_a_correction_dated_before_the_review_it_corrects_is_refused(api: Api, world):
    record, tianjin = world["t1"], world["tianjin"]
    first = api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json={
        "outcome": "change", "points": 4, "decided_on": "2026-02-20", "reason": "变更"}).json()
    r = api.client.post(f"/v1/records/{record}/reviews", headers=tianjin, json={
        "outcome": "annul", "decided_on": "2026-02-10", "reason": "撤销", "supersedes": first["id"]})
    assert _error(r) == (422, "REVIEW_BEFORE_LATEST")
    person = api.client.get(f"/v1/practitioners/{MULTI}", headers=tianjin).json()
    assert next(x for x in person["records"] if x["id"] == record)["points"] == 4
