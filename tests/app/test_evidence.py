"""Evidence files of an objection over the API: the type is read from the first bytes, the limits answer their
own codes and store nothing, the download is an attachment that is never sniffed, each file is audited."""
import pytest
from sqlalchemy import text

from api.auth.tokens import Role
from tests.app.conftest import case

pytestmark = pytest.mark.db
PERSON = "D110105000123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(200)
JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
MB = 1024 * 1024


@pytest.fixture
def objection(api, people):
    """An open objection of the Beijing physician to a 5-point record; (objection id, their token)."""
    assert case(api, people, 5, "2026-02-10").status_code == 201
    record = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["records"][0]["id"]
    me = api.token(Role.PRACTITIONER, PERSON, "王伟")
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record, "reason": "并非本人开具"})
    assert r.status_code == 201, r.text
    return r.json()["id"], me


def upload(api, headers, objection_id, *files):
    return api.client.post(f"/v1/me/objections/{objection_id}/evidence", headers=headers,
                           files=[("files", f) for f in files])


def listed(api, headers, objection_id):
    r = api.client.get(f"/v1/objections/{objection_id}/evidence", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def code(r):
    return r.status_code, r.json()["error"]["code"]


def test_files_are_typed_by_their_bytes_listed_downloaded_as_attachments_and_audited(api, people, objection):
    objection_id, me = objection
    r = upload(api, me, objection_id, ("扫描件 110105199001011234.png", PNG, "application/pdf"),
               ("../../etc/处方.jpg", PDF, "image/jpeg"), ("photo", JPEG, "text/plain"))
    assert r.status_code == 201, r.text
    files = r.json()
    assert [f["media_type"] for f in files] == ["image/png", "application/pdf", "image/jpeg"]  # not the names
    assert files[0]["file_name"] == "扫描件 110105***********4.png"  # the ID number masked like other text
    assert files[1]["file_name"] == "处方.jpg" and files[2]["file_name"] == "photo"  # no path, name kept
    assert files[0]["size"] == len(PNG) and len(files[0]["sha256"]) == 64
    assert listed(api, people, objection_id) == files == listed(api, me, objection_id)

    got = api.client.get(files[0]["href"], headers=people)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert "110105199001011234" not in disposition and "%E6%89%AB%E6%8F%8F" in disposition

    with api.engine.connect() as conn:
        audited = conn.execute(text("SELECT actor, entity_id, subject FROM audit_log "
                                    "WHERE action = 'objection.evidence' ORDER BY seq")).all()
    assert [(a.actor, a.subject) for a in audited] == [("王伟", PERSON)] * 3
    assert [int(a.entity_id) for a in audited] == [f["id"] for f in files]


def test_a_file_over_the_size_limit_of_another_type_or_one_too_many_is_refused_and_nothing_is_stored(
        api, people, objection):
    objection_id, me = objection
    assert code(upload(api, me, objection_id, ("big.png", PNG + bytes(5 * MB), "image/png"))) == (
        413, "EVIDENCE_TOO_LARGE")
    r = upload(api, me, objection_id, ("ok.pdf", PDF, "application/pdf"), ("fake.png", b"GIF89a" + bytes(50), "image/png"))
    assert code(r) == (415, "EVIDENCE_TYPE") and "fake.png" in r.json()["error"]["message"]
    assert code(upload(api, me, objection_id, ("empty.pdf", b"", "application/pdf"))) == (415, "EVIDENCE_TYPE")
    assert code(upload(api, me, objection_id, *[(f"{i}.png", PNG, "image/png") for i in range(6)])) == (
        422, "EVIDENCE_TOO_MANY")
    assert listed(api, me, objection_id) == []  # all or none

    exactly = upload(api, me, objection_id, ("five-mb.pdf", PDF + bytes(5 * MB - len(PDF)), "application/pdf"))
    assert exactly.status_code == 201, exactly.text  # over the usual 4 MB body cap: uploads have their own
    assert upload(api, me, objection_id, *[(f"{i}.png", PNG, "image/png") for i in range(4)]).status_code == 201
    r = upload(api, me, objection_id, ("sixth.png", PNG, "image/png"))
    assert code(r) == (422, "EVIDENCE_TOO_MANY") and "5 filed and 1 sent" in r.json()["error"]["message"]
    assert len(listed(api, me, objection_id)) == 5


def test_a_repeated_upload_with_its_idempotency_key_stores_once(api, people, objection):
    objection_id, me = objection
    headers = {**me, "Idempotency-Key": "evidence-1"}
    first = upload(api, headers, objection_id, ("a.png", PNG, "image/png"))
    again = upload(api, headers, objection_id, ("a.png", PNG, "image/png"))
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert len(listed(api, me, objection_id)) == 1
    assert code(upload(api, headers, objection_id, ("b.png", PNG, "image/png"))) == (409, "IDEMPOTENCY_KEY_REUSED")


def test_evidence_goes_with_an_open_objection_only(api, people, objection):
    objection_id, me = objection
    record = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["records"][0]["id"]
    r = api.client.post(f"/v1/records/{record}/reviews", headers=people,
                        json={"outcome": "confirm", "decided_on": "2026-03-01", "reason": "维持"})
    assert r.status_code == 201, r.text
    assert code(upload(api, me, objection_id, ("late.png", PNG, "image/png"))) == (409, "OBJECTION_CLOSED")


def test_the_openapi_document_describes_the_evidence_routes_and_their_codes(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    post = paths["/v1/me/objections/{objection_id}/evidence"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    for status, name in (("413", "EVIDENCE_TOO_LARGE"), ("415", "EVIDENCE_TYPE"), ("422", "EVIDENCE_TOO_MANY"),
                         ("409", "OBJECTION_CLOSED")):
        assert name in post["responses"][status]["content"]["application/json"]["examples"], status
    download = paths["/v1/objections/{objection_id}/evidence/{evidence_id}"]["get"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= download["responses"]["200"]["content"].keys()
