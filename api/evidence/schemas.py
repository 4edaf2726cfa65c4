from datetime import datetime

from pydantic import BaseModel, Field


class EvidenceView(BaseModel):
    id: int
    objection_id: int
    file_name: str = Field(description="as uploaded, its last path segment, national ID numbers masked")
    media_type: str = Field(description="application/pdf, image/jpeg or image/png: read from the file's first "
                                        "bytes, never from its name")
    size: int = Field(description="bytes")
    sha256: str
    uploaded_at: datetime
    href: str = Field(description="where to download it (an attachment)")

    @classmethod
    def of(cls, row) -> "EvidenceView":
        return cls(id=row.id, objection_id=row.objection_id, file_name=row.file_name, media_type=row.media_type,
                   size=row.size, sha256=row.sha256, uploaded_at=row.uploaded_at,
                   href=f"/v1/objections/{row.objection_id}/evidence/{row.id}")
