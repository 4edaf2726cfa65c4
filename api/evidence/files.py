"""Checks on uploaded evidence, without I/O: the type from the first bytes (never the name or the declared type),
the size and count limits, a safe and masked file name, and the download headers."""
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from api.errors import AppError
from points.privacy import mask_id_numbers

MAGIC = (  # (first bytes, media type, extension)
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
NAME_MAX = 200
FORM_OVERHEAD = 1024 * 1024  # an upload's other fields and multipart framing
# the paths whose body may carry evidence: api/limits.py gives them upload_body_cap instead of the usual cap
UPLOAD_PATHS = re.compile(r"/v1/me/objections/\d+/evidence|/ui/me/records/\d+/objection")


class EvidenceTooLarge(AppError):
    status = 413
    code = "EVIDENCE_TOO_LARGE"


class EvidenceType(AppError):
    status = 415
    code = "EVIDENCE_TYPE"


class EvidenceTooMany(AppError):
    status = 422
    code = "EVIDENCE_TOO_MANY"


@dataclass(frozen=True)
class EvidenceLimits:
    max_bytes: int = 5 * 1024 * 1024
    max_files: int = 5

    @classmethod
    def of(cls, settings) -> "EvidenceLimits":
        return cls(settings.evidence_max_bytes, settings.evidence_max_files)

    def megabytes(self) -> str:
        """The per-file limit as people read it: 5, 0.5."""
        return f"{self.max_bytes / 2**20:.3g}"

    def body_cap(self) -> int:
        """Room for one file more than allowed, so an upload over a limit is read and refused by its code."""
        return (self.max_files + 1) * self.max_bytes + FORM_OVERHEAD


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as sent, and at most max_bytes + 1 of its bytes (more is refused anyway)."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Evidence:
    """A file accepted: what is stored."""

    file_name: str
    media_type: str
    size: int
    sha256: str
    content: bytes


def sniff(content: bytes) -> tuple[str, str] | None:
    """(media type, extension) by the file's first bytes, or None for any other file."""
    return next(((media, ext) for magic, media, ext in MAGIC if content.startswith(magic)), None)


def safe_name(name: str, extension: str) -> str:
    """The last path segment, without control or format characters, ID numbers masked, at most NAME_MAX
    characters (the extension kept); a name left empty becomes `evidence` + the type's extension."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = mask_id_numbers(name.replace('"', "'")).strip(" .")
    if not name:
        return f"evidence{extension}"
    stem, dot, ext = name.rpartition(".")
    if len(name) > NAME_MAX:
        name = stem[:NAME_MAX - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else name[:NAME_MAX]
    return name


def checked(uploads: list[Upload], limits: EvidenceLimits, already: int = 0) -> list[Evidence]:
    """The files accepted, or the first reason to refuse them all: too many (with those already filed), one
    too large, or one that is not a PDF, JPEG or PNG by its content."""
    if already + len(uploads) > limits.max_files:
        raise EvidenceTooMany(f"an objection carries at most {limits.max_files} evidence files; "
                              f"{already} filed and {len(uploads)} sent", limit=limits.max_files, already=already,
                              sent=len(uploads))
    accepted = []
    for upload in uploads:
        name = safe_name(upload.name, "")
        if len(upload.content) > limits.max_bytes:
            raise EvidenceTooLarge(f"{name} is over {limits.max_bytes:,} bytes, the limit per file", name=name,
                                   mb=limits.megabytes())
        kind = sniff(upload.content)
        if kind is None:
            raise EvidenceType(f"{name} is not a PDF, JPEG or PNG file (by its content)", name=name)
        accepted.append(Evidence(safe_name(upload.name, kind[1]), kind[0], len(upload.content),
                                 hashlib.sha256(upload.content).hexdigest(), upload.content))
    return accepted


def download_headers(file_name: str) -> dict[str, str]:
    """Always a download (never shown inline), its type never sniffed: an ASCII name for old clients, the
    UTF-8 one (RFC 6266 / 5987) for the others."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in file_name)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox"}  # nothing runs, even if opened inline
