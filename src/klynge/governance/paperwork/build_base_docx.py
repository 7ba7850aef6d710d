"""Build `base.docx`, the one Word template every paperwork document is rendered into.

Run it after changing the layout, and commit the result:

    .venv/bin/python src/klynge/governance/paperwork/build_base_docx.py

The document's content does not live here: each document is a text template
(`<kind>.txt` beside this script) that `klynge.governance.paperwork` parses into a
list of blocks. This template only says how each kind of block looks in Word, through
named paragraph styles, so that a coordinator who edits the downloaded file gets real
headings, lists and fill-in lines (not images or text boxes) and can restyle them all
at once. Numbers of agenda items are written as text (not Word numbering) on purpose:
Word continues a numbered list across the whole document, and every agenda here starts
at 1.

Only python-docx is needed; the docxtpl tags are plain text in the paragraphs:
`{%p ... %}` paragraphs disappear when rendered, `{%r ... %}` runs likewise.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Calibri"
INK = RGBColor(0x22, 0x22, 0x22)
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
MUTED = RGBColor(0x59, 0x59, 0x59)
TEXT_WIDTH = Cm(16)  # A4 (21 cm) less 2.5 cm margins each side
SIGN_LINE = Cm(7.2)  # width of a signature column
SIGN_SECOND = Cm(8.8)  # where the second signature starts


def _font(style, *, size: float | None = None, bold: bool | None = None, color=INK) -> None:
    """Set a style's font explicitly, dropping the theme fonts Word would prefer."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = color


def _danish(document) -> None:
    """Danish proofing language for all text, so Word spell-checks the document in Danish."""
    rpr_default = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "da-DK")
    lang.set(qn("w:eastAsia"), "da-DK")
    lang.set(qn("w:bidi"), "ar-SA")


def _no_border(style) -> None:
    ppr = style.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)


def _border(style, edge: str, color: str) -> None:
    ppr = style.element.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{edge}")
    for key, value in {"w:val": "single", "w:sz": "6", "w:space": "4", "w:color": color}.items():
        line.set(qn(key), value)
    border.append(line)
    ppr.append(border)


def _bottom_border(style) -> None:
    _border(style, "bottom", "1F3A5F")


def _top_border(style) -> None:
    _border(style, "top", "333333")


def _no_letter_spacing(style) -> None:
    rpr = style.element.get_or_add_rPr()
    for spacing in rpr.findall(qn("w:spacing")):
        rpr.remove(spacing)


def _field(paragraph, instruction: str) -> None:
    """A simple Word field (PAGE, NUMPAGES) that Word and LibreOffice update on opening."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, size=11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    title = styles["Title"]
    _font(title, size=20, bold=True, color=ACCENT)
    _no_border(title)
    _bottom_border(title)
    title.paragraph_format.space_after = Pt(4)

    subtitle = styles["Subtitle"]
    _font(subtitle, size=11, color=MUTED)
    subtitle.font.italic = False
    _no_letter_spacing(subtitle)
    subtitle.paragraph_format.space_after = Pt(14)

    for name, size, before in (("Heading 1", 14, 16), ("Heading 2", 12, 12)):
        heading = styles[name]
        _font(heading, size=size, bold=True, color=ACCENT)
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(4)
        heading.paragraph_format.keep_with_next = True

    bullet = styles["List Bullet"]
    _font(bullet, size=11)
    bullet.paragraph_format.space_after = Pt(2)

    item = styles.add_style("Klynge Punkt", WD_STYLE_TYPE.PARAGRAPH)
    item.base_style = normal
    item.paragraph_format.left_indent = Cm(0.9)
    item.paragraph_format.first_line_indent = Cm(-0.9)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(0.9))
    item.paragraph_format.space_after = Pt(4)

    fill = styles.add_style("Klynge Udfyld", WD_STYLE_TYPE.PARAGRAPH)
    fill.base_style = normal
    fill.paragraph_format.space_before = Pt(8)
    fill.paragraph_format.keep_with_next = True  # "Dato og sted" stays with the signatures
    fill.paragraph_format.tab_stops.add_tab_stop(
        TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.LINES
    )

    note = styles.add_style("Klynge Vejledning", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    _font(note, size=9.5, color=MUTED)
    note.font.italic = True

    sign = styles.add_style("Klynge Underskrift", WD_STYLE_TYPE.PARAGRAPH)
    sign.base_style = normal
    _font(sign, size=9.5, color=MUTED)
    sign.paragraph_format.space_before = Pt(0)
    sign.paragraph_format.space_after = Pt(0)
    _top_border(sign)

    footer = styles["Footer"]
    _font(footer, size=8.5, color=MUTED)
    footer.paragraph_format.tab_stops.clear_all()  # Word's centre stop would catch the tab
    footer.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


def _signatures(document) -> None:
    """Two signature columns with a gap; the right one only when the block names one."""
    widths = (SIGN_LINE, SIGN_SECOND - SIGN_LINE, TEXT_WIDTH - SIGN_SECOND)
    table = document.add_table(rows=1, cols=3)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    row = table.rows[0]
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for column, cell, width in zip(table.columns, row.cells, widths, strict=True):
        column.width = width  # the grid, which LibreOffice reads
        cell.width = width  # the cell, which Word reads
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        # Room to sign above the line; it also keeps every cell non-empty, as Word requires.
        room = cell.paragraphs[0]
        room.paragraph_format.space_before = Pt(30)
        room.paragraph_format.space_after = Pt(0)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    left, _gap, right = row.cells
    left.add_paragraph("{{ block.left }}", style="Klynge Underskrift")
    right.add_paragraph("{%p if block.right %}")
    right.add_paragraph("{{ block.right }}", style="Klynge Underskrift")
    right.add_paragraph("{%p endif %}")
    spacer = document.add_paragraph("", style="Normal")
    spacer.paragraph_format.space_after = Pt(0)


def _para(document, text: str = "", style: str = "Normal"):
    return document.add_paragraph(text, style=style)


APP_XML = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>Klynge</Application><DocSecurity>0</DocSecurity></Properties>"
)


def _application(document) -> None:
    """python-docx's default template says it was written by "Microsoft Macintosh Word"
    in 2013 (docProps/app.xml); the files we hand out say Klynge wrote them."""
    for part in document.part.package.iter_parts():
        if part.partname == "/docProps/app.xml":
            part._blob = APP_XML


def build(path: Path = HERE / "base.docx") -> Path:
    document = Document()
    _danish(document)
    _styles(document)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
    properties = document.core_properties
    properties.author = "Klynge"
    properties.title = ""
    properties.comments = ""
    properties.language = "da-DK"
    _application(document)

    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.add_run("{{ footer }}")
    footer.add_run().add_tab()
    footer.add_run("Side ")
    _field(footer, "PAGE")
    footer.add_run(" af ")
    _field(footer, "NUMPAGES")

    body = document.paragraphs[0] if document.paragraphs else None
    if body is not None:  # python-docx's default template starts empty; be safe
        body._p.getparent().remove(body._p)

    _para(document, "{%p for block in blocks %}")
    for i, (kind, style) in enumerate(
        (
            ("title", "Title"),
            ("subtitle", "Subtitle"),
            ("h1", "Heading 1"),
            ("h2", "Heading 2"),
            ("p", "Normal"),
            ("bullet", "List Bullet"),
            ("note", "Klynge Vejledning"),
        )
    ):
        _para(document, f'{{%p {"if" if i == 0 else "elif"} block.kind == "{kind}" %}}')
        _para(document, "{{ block.text }}", style)

    _para(document, '{%p elif block.kind == "item" %}')
    item = _para(document, style="Klynge Punkt")
    item.add_run("{{ block.number }}")
    item.add_run().add_tab()
    item.add_run("{{ block.text }}")

    _para(document, '{%p elif block.kind == "fill" %}')
    fill = _para(document, style="Klynge Udfyld")
    fill.add_run("{{ block.text }}")
    fill.add_run(" ")
    fill.add_run().add_tab()

    # Signatures: a borderless table, so a long name wraps in its own column.
    _para(document, '{%p elif block.kind == "sign" %}')
    _signatures(document)
    _para(document, '{%p elif block.kind == "space" %}')
    _para(document, "")
    _para(document, "{%p endif %}")
    _para(document, "{%p endfor %}")

    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
