"""The one check for small uploaded documents (statutes, minutes, agenda attachments):
an allowed name suffix, not empty, within the size limit, and content that starts
like that kind of file. The document archive uses the stricter `documents.sniff`."""

from __future__ import annotations

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
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(SIGNATURES[suffix]):
        raise DomainError(
            _("The file's content does not match its type %(suffix)s.") % {"suffix": suffix},
            field="file",
        )
    return suffix
