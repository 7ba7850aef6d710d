"""Our files opened in LibreOffice, a spreadsheet and word processor people use (issue
15): every CSV download imported with the Danish locale gives numbers as numbers and no
formula; every Word file converts to PDF. `make test` installs LibreOffice
(`make office`)."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from klynge.governance import paperwork
from tests.core.test_spreadsheets import (
    HOSTILE,
    HOSTILE_CLUSTER,
    _downloads,
    _is_download,
)
from tests.core.test_spreadsheets import hostile_world as _hostile_world
from tests.world import PASSWORD, build_world

hostile_world = _hostile_world  # the same fixture: the test world with hostile text
SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (make office)"
)

# LibreOffice's CSV import as a Danish user gets it: semicolon (59), double quote (34),
# UTF-8 (76), from line 1, Danish locale (1030) for numbers and dates.
DANISH_CSV = "CSV:59,34,76,1,,1030"


def _soffice(tmp_path: Path, fmt: str, files: list[Path], infilter: str | None = None) -> None:
    profile = tmp_path / f"profile-{uuid.uuid4().hex}"
    command = [
        SOFFICE,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(tmp_path / "out"),
    ]
    if infilter:
        command.append(f"--infilter={infilter}")
    subprocess.run([*command, *map(str, files)], check=True, capture_output=True, timeout=180)


def test_every_csv_download_opens_in_libreoffice_with_numbers_and_no_formulas(
    hostile_world, client, tmp_path
):
    w = hostile_world
    files: dict[Path, str] = {}
    for i, (name, url, role) in enumerate(_downloads(w)):
        if "xlsx" in url:
            continue
        client.logout()
        assert client.login(email=w.users[role].email, password=PASSWORD)
        response = client.get(url)
        assert response.status_code == 200 and _is_download(response), name
        path = tmp_path / f"{i}.csv"
        path.write_bytes(response.content)
        files[path] = name
    assert len(files) >= 9

    _soffice(tmp_path, "xlsx", list(files), infilter=DANISH_CSV)

    numbers = 0
    problems = []
    for path, name in files.items():
        converted = tmp_path / "out" / f"{path.stem}.xlsx"
        sheet = load_workbook(converted).active
        rows = list(sheet.iter_rows())
        assert len(rows[0]) > 1, f"{name}: one column in LibreOffice"
        for row in rows[1:]:
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{name}: {cell.coordinate} is a formula: {cell.value}")
                if isinstance(cell.value, int | float):
                    numbers += 1
                elif (
                    isinstance(cell.value, str)
                    and "," in cell.value
                    and cell.value.replace(",", "").isdigit()
                ):
                    problems.append(f"{name}: {cell.value!r} stayed text")
    assert not problems, "\n".join(problems)
    assert numbers > 50


def test_the_hostile_text_arrives_as_text_in_libreoffice(hostile_world, client, tmp_path):
    from django.urls import reverse

    w = hostile_world
    assert client.login(email=w.users["coordinator_a"].email, password=PASSWORD)
    report = tmp_path / "report.csv"
    report.write_bytes(
        client.get(
            reverse("meetings:activity_report.download", args=[w.cluster_a.slug, 2024, "csv"])
        ).content
    )
    fees = tmp_path / "fees.csv"
    fees.write_bytes(
        client.get(reverse("finance:fees.report", args=[w.cluster_a.slug, 2024, "csv"])).content
    )
    _soffice(tmp_path, "xlsx", [report, fees], infilter=DANISH_CSV)
    row = [c.value for c in load_workbook(tmp_path / "out" / "report.xlsx").active[2]]
    assert HOSTILE_CLUSTER in row[0] and HOSTILE[3] in row[3]  # shown as written
    assert row[6] == 2 and row[7] == 0.5  # registered, attendance share: numbers
    recipient, amount = (c.value for c in load_workbook(tmp_path / "out" / "fees.xlsx").active[2])
    assert HOSTILE[0] in recipient and amount == 17812.5


def test_every_word_file_converts_to_pdf_in_libreoffice(db, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    world = build_world()
    files = []
    for kind in paperwork.KINDS:
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(paperwork.render_docx(kind, world.cluster_a))
        files.append(path)
    _soffice(tmp_path, "pdf", files)
    for path in files:
        pdf = pypdf.PdfReader(io.BytesIO((tmp_path / "out" / f"{path.stem}.pdf").read_bytes()))
        text = "\n".join(page.extract_text() for page in pdf.pages)
        assert len(pdf.pages) >= 1 and "Køgeklyngen" in text, path.stem
