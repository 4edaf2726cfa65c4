"""The pure checks of evidence files, without a database: magic bytes, names, limits, download headers."""
import pytest

from api.evidence.files import (
    EvidenceLimits,
    EvidenceTooLarge,
    EvidenceTooMany,
    EvidenceType,
    Upload,
    checked,
    download_headers,
    safe_name,
    sniff,
)


@pytest.mark.parametrize(("head", "kind"), [
    (b"%PDF-1.4", ("application/pdf", ".pdf")), (b"\xff\xd8\xff\xdb", ("image/jpeg", ".jpg")),
    (b"\x89PNG\r\n\x1a\n\x00", ("image/png", ".png")), (b"%PDF", None), (b"\x89PNG", None), (b"GIF89a", None),
    (b"PK\x03\x04", None), (b"<html>", None), (b"", None)])
def test_the_type_comes_from_the_first_bytes_only(head, kind):
    assert sniff(head) == kind


def test_names_keep_their_last_segment_lose_control_characters_and_id_numbers_and_stay_short():
    assert safe_name("C:\\Users\\王\\处方.pdf", ".pdf") == "处方.pdf"
    assert safe_name("a\u202egnp.exe\x00", ".png") == "agnp.exe"  # no right-to-left override, no NUL
    assert safe_name("身份证 110105 19900101 1234.jpg", ".jpg") == "身份证 110105***********4.jpg"
    assert safe_name("..", ".png") == "evidence.png" and safe_name("", ".pdf") == "evidence.pdf"
    long = safe_name("长" * 300 + ".pdf", ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_limits_refuse_all_files_with_the_first_reason():
    limits = EvidenceLimits(max_bytes=10, max_files=2)
    png = b"\x89PNG\r\n\x1a\n"
    assert [e.media_type for e in checked([Upload("a", png), Upload("b", b"%PDF-")], limits)] == [
        "image/png", "application/pdf"]
    with pytest.raises(EvidenceTooMany) as too_many:
        checked([Upload("a", png)], limits, already=2)
    assert too_many.value.params == {"limit": 2, "already": 2, "sent": 1}
    with pytest.raises(EvidenceTooLarge):
        checked([Upload("a", png + b"123")], limits)
    with pytest.raises(EvidenceType):
        checked([Upload("a", png), Upload("b", b"MZ")], limits)
    assert EvidenceLimits().megabytes() == "5" and EvidenceLimits(max_bytes=512 * 1024).megabytes() == "0.5"
    assert EvidenceLimits().body_cap() == 6 * 5 * 1024 * 1024 + 1024 * 1024


def test_a_download_is_an_attachment_with_a_safe_ascii_name_and_the_utf8_one():
    headers = download_headers('处方 "a";b.pdf')
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"__ _a__b.pdf\"; filename*=UTF-8''%E5%A4%84%E6%96%B9%20%22a%22%3Bb.pdf")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
