"""Evidence files of an objection over the API: the objecting practitioner uploads them (multipart, while the
objection is open); they and the supervisors who may see the objection list and download them."""
import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from api.auth.tokens import Principal, Role
from api.deps import IdPath, PractitionerDep, ReadSessionDep, SessionDep, allow
from api.evidence import service
from api.evidence.files import EvidenceLimits, Upload
from api.evidence.files import download_headers as headers_for
from api.evidence.schemas import EvidenceView
from api.idempotency import IdempotencyDep

router = APIRouter(prefix="/v1", tags=["evidence"])
EvidenceReaderDep = Annotated[Principal, Depends(allow(Role.PRACTITIONER, Role.SUPERVISOR))]


def read_uploads(files: list[UploadFile], limits: EvidenceLimits) -> list[Upload]:
    """Each file's name and at most one byte more than the limit (enough to refuse it)."""
    return [Upload(f.filename or "", f.file.read(limits.max_bytes + 1)) for f in files]


@router.post("/me/objections/{objection_id}/evidence", response_model=list[EvidenceView], status_code=201,
             tags=["practitioners"], summary="Attach evidence files (PDF, JPEG, PNG) to my open objection",
             description="`multipart/form-data`, one or more `files` parts. The type is read from each file's "
                         "first bytes (`%PDF-`, `FF D8 FF`, PNG's signature), never from its name; each file at most "
                         "`POINTS_EVIDENCE_MAX_BYTES` (5 MB), at most `POINTS_EVIDENCE_MAX_FILES` (5) per objection. "
                         "All the files are stored, or none.")
def attach_evidence(request: Request, objection_id: IdPath, files: Annotated[list[UploadFile], File()],
                    session: SessionDep, who: PractitionerDep, idem: IdempotencyDep):
    limits = EvidenceLimits.of(request.app.state.settings)
    uploads = read_uploads(files, limits)

    def run():
        objection = service.get_visible_objection(session, who, objection_id, lock=True)
        return [EvidenceView.of(row) for row in service.attach(session, objection, uploads, limits, who.name)]

    payload = [{"name": u.name, "sha256": hashlib.sha256(u.content).hexdigest()} for u in uploads]
    return idem.run(payload, run)


@router.get("/objections/{objection_id}/evidence", response_model=list[EvidenceView],
            summary="An objection's evidence files (the objecting practitioner, or a supervisor who sees the person)")
def list_evidence(objection_id: IdPath, session: ReadSessionDep, who: EvidenceReaderDep):
    service.get_visible_objection(session, who, objection_id)
    return [EvidenceView.of(row) for row in service.evidence_of(session, [objection_id]).get(objection_id, [])]


@router.get("/objections/{objection_id}/evidence/{evidence_id}", response_class=Response,
            summary="Download one evidence file (an attachment, with its own type)",
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
                             "description": "the file's bytes"}})
def download_evidence(objection_id: IdPath, evidence_id: IdPath, session: ReadSessionDep, who: EvidenceReaderDep):
    row = service.get_visible_evidence(session, who, evidence_id, objection_id)
    return Response(row.content, media_type=row.media_type, headers=headers_for(row.file_name))
