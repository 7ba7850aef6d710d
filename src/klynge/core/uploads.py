"""The one check for small uploaded documents (statutes, minutes, agenda attachments,
receipts): an allowed name suffix, not empty, within the size limit, and content that
is that kind of file — its first bytes, and for the formats that are ZIP archives
(.docx, .odt, .pptx, .xlsx) the part that makes them one, within bounds on what the
archive unpacks to. A stored name never keeps a path, control characters or a CPR
number. The document archive uses the stricter `documents.sniff`."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError

ZIP = b"PK\x03\x04"
SIGNATURES: dict[str, bytes] = {
    ".pdf": b"%PDF",
    ".docx": ZIP,
    ".odt": ZIP,
    ".pptx": ZIP,
    ".xlsx": ZIP,
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}
DOCUMENTS = (".pdf", ".docx", ".odt")
RECEIPTS = (".pdf", ".png", ".jpg", ".jpeg")
RECEIPT_MAX_BYTES = 10 * 1024 * 1024

# The part each ZIP-based format must hold (an .odt says what it is in `mimetype`).
ZIP_PARTS = {
    ".docx": "word/document.xml",
    ".xlsx": "xl/workbook.xml",
    ".pptx": "ppt/presentation.xml",
    ".odt": "mimetype",
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_ZIP_RATIO = 100
# DDMMYY, an optional separator, SSSS (METHODS.md C); names are refused on the shape
# alone, without the date check the import applies to cells.
_CPR_SHAPED = re.compile(r"(?<![0-9])[0-9]{6}[-\u2010-\u2014\u2212/.\s]?[0-9]{4}(?![0-9])")


def checked_suffix(
    upload: UploadedFile, *, allowed: Collection[str], refusal: str, max_bytes: int
) -> str:
    """The upload's lower-case suffix once it passes, or `DomainError(field="file")`:
    `refusal` when the suffix is not in `allowed`, else why the file was refused."""
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in allowed or suffix not in SIGNATURES:
        raise DomainError(refusal, field="file")
    size = upload.size or 0
    if size == 0:
        raise DomainError(_("The file is empty."), field="file")
    if size > max_bytes:
        raise DomainError(
            _("The file is %(size)s MB; the limit is %(max)s MB.")
            % {"size": round(size / 1e6, 1), "max": round(max_bytes / 1e6)},
            field="file",
        )
    upload.seek(0)  # the same upload may have been read (and saved) before
    head = upload.read(8)
    upload.seek(0)
    mismatch = DomainError(
        _("The file's content does not match its type %(suffix)s.") % {"suffix": suffix},
        field="file",
    )
    if not head.startswith(SIGNATURES[suffix]):
        raise mismatch
    if suffix in ZIP_PARTS:
        _check_archive(upload, suffix, mismatch)
    return suffix


def _check_archive(upload: UploadedFile, suffix: str, mismatch: DomainError) -> None:
    data = upload.read()
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        names = {m.filename for m in members}
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_ZIP_RATIO * max(len(data), 1):
            raise DomainError(
                _("The file unpacks to far more than its size; it is refused."), field="file"
            )
        if ZIP_PARTS[suffix] not in names:
            raise mismatch
        if suffix == ".odt" and archive.read("mimetype").strip() != ODT_MIMETYPE:
            raise mismatch
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise mismatch from None


def stored_name(name: str, *, fallback: str = "fil") -> str:
    """An uploaded file's name as it may be stored and shown: no folders, no control
    characters, and nothing shaped like a CPR number (then `fallback` + the suffix)."""
    name = "".join(
        ch for ch in (name or "").replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable()
    )
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if _CPR_SHAPED.search(name) or not name.strip(" ."):
        return fallback + (suffix if suffix in SIGNATURES else "")
    return name[-120:]


def checked_receipt(upload: UploadedFile, *, field: str = "receipt") -> UploadedFile:
    """A receipt: a PDF or a photo (PNG, JPEG) of at most 10 MB, checked by content;
    its stored name is cleaned (`stored_name`). Returns the upload, renamed."""
    try:
        checked_suffix(
            upload,
            allowed=RECEIPTS,
            refusal=_("A receipt must be a PDF or a photo (PNG or JPEG)."),
            max_bytes=RECEIPT_MAX_BYTES,
        )
    except DomainError as error:
        raise DomainError(error.message, field=field) from None
    upload.name = stored_name(upload.name or "", fallback="kvittering")
    return upload
