"""Evidence files on the pages: the objection form's files (read with the form, so a refused file keeps what
was typed), and their download for the objecting practitioner and the supervisors who may see the objection."""
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.deps import IdPath, ReadSessionDep
from api.evidence import service
from api.evidence.files import EvidenceLimits, Upload, download_headers
from api.web.auth import PageUserDep
from api.web.forms import MAX_FIELDS, UNMASKED
from points.privacy import mask_id_numbers

router = APIRouter(prefix="/ui", include_in_schema=False)
FIELD = "evidence"  # the form's file input
PARSED_FILES = 50   # parts read at most; the limit itself (fewer) is checked with its own code


@dataclass
class EvidenceForm:
    fields: dict[str, str]
    uploads: list[Upload] = field(default_factory=list)


def limits_of(request: Request) -> EvidenceLimits:
    return EvidenceLimits.of(request.app.state.settings)


async def read_evidence_form(request: Request) -> EvidenceForm:
    """The string fields (ID numbers masked, as FormDep does) and the chosen files: an empty file input sends
    one nameless empty part, which is no file."""
    form = await request.form(max_files=PARSED_FILES, max_fields=MAX_FIELDS)
    fields = {k: v if k in UNMASKED else mask_id_numbers(v) for k, v in form.items() if isinstance(v, str)}
    cap = limits_of(request).max_bytes + 1
    uploads = [Upload(part.filename or "", await part.read(cap)) for part in form.getlist(FIELD)
               if isinstance(part, UploadFile) and (part.filename or part.size)]
    return EvidenceForm(fields, uploads)


EvidenceFormDep = Annotated[EvidenceForm, Depends(read_evidence_form)]


@router.get("/evidence/{evidence_id}")
def download(evidence_id: IdPath, session: ReadSessionDep, who: PageUserDep):
    row = service.get_visible_evidence(session, who, evidence_id)
    return Response(row.content, media_type=row.media_type, headers=download_headers(row.file_name))


def evidence_context(session, view) -> dict:
    """`evidence`: objection id -> its files, for the objections shown on a page of `view` (a PersonView the
    caller may see, so it may see these objections)."""
    ids = [o.id for r in view.records for o in r.objections]
    return {"evidence": service.evidence_of(session, ids)}
