"""The one upload check (`klynge.core.uploads`): a file is what its name says by its
content — a ZIP renamed .docx is not a Word document, an .exe is no receipt — within
size and unpacking bounds, and a stored name keeps no path, control character or
CPR-shaped number (issue 16)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from klynge.core import uploads
from klynge.core.errors import DomainError


@pytest.fixture(autouse=True)
def _english():
    """The refusals are asserted in English, whatever language a test before set."""
    from django.utils import translation

    with translation.override("en"):
        yield


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def check(name: str, data: bytes, allowed=uploads.DOCUMENTS) -> str:
    upload = SimpleUploadedFile(name, data)
    return uploads.checked_suffix(upload, allowed=allowed, refusal="refused", max_bytes=10**7)


def test_a_real_word_document_passes():
    assert check("vedtægter.docx", docx_bytes()) == ".docx"


@pytest.mark.parametrize(
    "members",
    [
        {"readme.txt": b"hello"},  # any ZIP renamed .docx
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"},  # a workbook
    ],
)
def test_a_zip_that_is_no_word_document_is_refused(members):
    with pytest.raises(DomainError, match="does not match"):
        check("vedtægter.docx", zip_bytes(members))


def test_an_odt_must_say_it_is_a_text_document():
    good = zip_bytes({"mimetype": uploads.ODT_MIMETYPE, "content.xml": b"<x/>"})
    assert check("v.odt", good) == ".odt"
    sheet = zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}
    )
    with pytest.raises(DomainError, match="does not match"):
        check("v.odt", sheet)


def test_a_document_that_unpacks_to_gigabytes_is_refused():
    bomb = zip_bytes({"word/document.xml": b"<w/>", "pad.bin": b"\0" * 50_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(DomainError, match="unpacks"):
        check("v.docx", bomb)


@pytest.mark.parametrize(
    "name, data, error",
    [
        ("virus.exe", b"MZ\x90\x00", "PDF or a photo"),
        ("bon.pdf", b"MZ\x90\x00 not a pdf", "does not match"),
        ("bon.png", b"%PDF-1.4", "does not match"),
        ("bon.pdf", b"", "empty"),
    ],
)
def test_a_receipt_must_be_a_pdf_or_a_photo_by_its_content(name, data, error):
    with pytest.raises(DomainError, match=error) as caught:
        uploads.checked_receipt(SimpleUploadedFile(name, data))
    assert caught.value.field == "receipt"


def test_a_receipt_over_ten_megabytes_is_refused():
    big = SimpleUploadedFile("bon.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024))
    with pytest.raises(DomainError, match="limit is"):
        uploads.checked_receipt(big)


@pytest.mark.parametrize(
    "name, stored",
    [
        ("bon.pdf", "bon.pdf"),
        ("C:\\Users\\læge\\bon marts.pdf", "bon marts.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("bon\x00\x1b.pdf", "bon.pdf"),
        ("kvittering 010190-1234.pdf", "kvittering.pdf"),
        ("0101901234.jpg", "kvittering.jpg"),
    ],
)
def test_a_receipts_stored_name_is_clean(name, stored):
    upload = uploads.checked_receipt(
        SimpleUploadedFile(name, b"%PDF-1.4" if name.endswith(".pdf") else b"\xff\xd8\xff\xe0")
    )
    assert upload.name == stored


def test_a_claim_with_an_executable_as_receipt_is_refused_and_stores_nothing(db):
    from klynge.finance import claims
    from klynge.finance.models import ExpenseClaim
    from tests.world import build_world

    world = build_world()
    before = ExpenseClaim.objects.count()
    with pytest.raises(DomainError, match="PDF or a photo"):
        claims.claim_submit(
            actor=None,
            cluster=world.cluster_a,
            date=dt.date(2026, 2, 1),
            text="Forplejning",
            category="catering",
            amount=Decimal("950"),
            payee="Café",
            receipt=SimpleUploadedFile("bon.exe", b"MZ\x90\x00" * 1000),
        )
    assert ExpenseClaim.objects.count() == before
