"""What an uploaded file really is, judged by its content (GOV-4).

Pure: no Django imports, so it is tested directly (also with hypothesis). A file is
accepted only when its name's suffix is on the list below *and* its bytes look like
that kind of file: the name alone is never trusted, and neither is the browser's
Content-Type header. `sniff` returns the content type to store or raises `Rejected`
with a reason code; the service turns the code into a user-facing message.

Trade-off: the checks are signatures, not full parsers. A PDF is anything starting
with `%PDF-`; for the ZIP-based office formats we also open the archive's directory
and look for the part that names the format (cheap, and it catches a renamed .zip or
a .docx saved as .xlsx), but we do not validate the documents themselves.
"""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-"
ZIP = b"PK\x03\x04"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"

# suffix -> (content type, kind); the kind picks the check and the refusal message.
ALLOWED: dict[str, tuple[str, str]] = {
    ".pdf": ("application/pdf", "pdf"),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "office",
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "office"),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "office",
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", "office"),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "office"),
    ".png": ("image/png", "png"),
    ".jpg": ("image/jpeg", "jpeg"),
    ".jpeg": ("image/jpeg", "jpeg"),
    ".txt": ("text/plain", "text"),
    ".csv": ("text/csv", "text"),
}

# The directory of an Office Open XML package names its main part under this folder.
_OOXML_FOLDER = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


class Rejected(Exception):
    """`reason` is "empty", "no-suffix", "suffix" or the kind whose check failed
    ("pdf", "office", "png", "jpeg", "text"); `suffix` is the name's (lower-case)."""

    def __init__(self, reason: str, suffix: str = "") -> None:
        super().__init__(reason, suffix)
        self.reason = reason
        self.suffix = suffix


def suffix_of(filename: str) -> str:
    """`"Referat 2024.PDF"` → `".pdf"`; no dot (or only a leading one) → `""`."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext else ""


def _is_office(suffix: str, data: bytes) -> bool:
    if not data.startswith(ZIP):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if suffix in _OOXML_FOLDER:
                folder = _OOXML_FOLDER[suffix]
                return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
            if "mimetype" not in names:
                return False
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            return declared == ALLOWED[suffix][0]
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff(filename: str, data: bytes) -> str:
    """The content type of `data`, named `filename`, or raise `Rejected`."""
    suffix = suffix_of(filename)
    if not data:
        raise Rejected("empty", suffix)
    if not suffix:
        raise Rejected("no-suffix")
    if suffix not in ALLOWED:
        raise Rejected("suffix", suffix)
    content_type, kind = ALLOWED[suffix]
    ok = {
        "pdf": lambda: data.startswith(PDF),
        "office": lambda: _is_office(suffix, data),
        "png": lambda: data.startswith(PNG),
        "jpeg": lambda: data.startswith(JPEG),
        "text": lambda: _is_text(data),
    }[kind]()
    if not ok:
        raise Rejected(kind, suffix)
    return content_type
