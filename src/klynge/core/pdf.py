"""PDFs. Every document Klynge produces goes through `render_pdf`: WeasyPrint's PDF/UA
variant (tagged, so screen readers read headings, tables and reading order), the
document's language from `<html lang>`, its title from `<title>`, and the author and
date (the day it was made) set here — what a PDF reader's "Document properties" shows.

`simple_pdf` is a minimal one-page writer for placeholder files (the demo dataset's
statutes and founding minutes)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

PDF_VARIANT = "pdf/ua-1"


def render_pdf(html: str, *, author: str, created: dt.datetime | None = None) -> bytes:
    """The HTML as a tagged PDF. `author` is who the document is from (the cluster, the
    secretariat); `created` defaults to now. The HTML must have a title and a language:
    PDF/UA requires both, and a document without them is a bug, not a warning."""
    from weasyprint import HTML

    document = HTML(string=html).render(pdf_variant=PDF_VARIANT)
    metadata = document.metadata
    if not (metadata.title or "").strip() or not metadata.lang:
        raise ValueError("a PDF needs <html lang> and a <title>")
    # The day, not the second: the same document rendered twice in a day is the same
    # bytes, which the disclosure tests rely on (a republished pack must not differ).
    day = timezone.localtime(created or timezone.now()).replace(hour=0, minute=0, second=0)
    stamp = day.isoformat(timespec="seconds")
    metadata.authors = [author]
    metadata.created = metadata.modified = stamp
    metadata.generator = "Klynge"
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(lines: list[str]) -> bytes:
    """A valid PDF 1.4 page with `lines` in Helvetica (Latin-1 text)."""
    text = ["BT", "/F1 14 Tf", "72 770 Td", "18 TL"]
    for line in lines:
        text.append(f"({_escape(line)}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
