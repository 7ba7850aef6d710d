"""Governance: versions of the statutes and their rules (GOV-5), and the founding
paperwork filled in with the cluster's data as Word and PDF (GOV-1)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.governance import paperwork
from klynge.governance.models import Statutes
from klynge.governance.selectors import statutes_on
from klynge.governance.services import statutes_adopt
from klynge.registry.selectors import cluster_coordinator_on
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


def _docx() -> bytes:
    import docx

    out = io.BytesIO()
    docx.Document().save(out)
    return out.getvalue()


DOCX_HEAD = b"PK\x03\x04"
DOCX = _docx()  # a real Word file: the upload check looks inside the archive


@pytest.fixture
def world(db):
    return build_world()


def login(client, world, role: str, *, english: bool = True):
    assert client.login(email=world.users[role].email, password=PASSWORD)
    if english:  # the UI strings are asserted in English, whatever the catalogue holds
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def adopt(world, adopted: dt.date, **rules):
    return statutes_adopt(actor=None, cluster=world.cluster_a, adopted=adopted, **rules)


# --- The service and the version in force ---------------------------------------------


def test_statutes_on_picks_the_version_in_force_by_date(world):
    first = adopt(world, world.cluster_a.founded, attendance_min_percent=50)
    second = adopt(world, dt.date(2022, 1, 1), attendance_min_percent=75, notice_days=21)
    cluster = world.cluster_a
    assert statutes_on(cluster=cluster, on=dt.date(2019, 2, 28)) is None
    assert statutes_on(cluster=cluster, on=dt.date(2019, 3, 1)) == first
    assert statutes_on(cluster=cluster, on=dt.date(2021, 12, 31)) == first
    assert statutes_on(cluster=cluster, on=dt.date(2022, 1, 1)) == second
    assert statutes_on(cluster=cluster, on=today()) == second
    assert statutes_on(cluster=world.cluster_b, on=today()) is None
    entry = AuditEntry.objects.get(action="governance.statutes.adopted", object_id=str(second.pk))
    assert entry.scope == f"cluster:{cluster.pk}"
    assert entry.data["attendance_min_percent"] == 75
    assert entry.data["notice_days"] == 21


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"attendance_min_percent": 101}, "attendance_min_percent"),
        ({"attendance_min_percent": -1}, "attendance_min_percent"),
        ({"quorum_percent": 150}, "quorum_percent"),
        ({"notice_days": 0}, "notice_days"),
        ({"notice_days": 91}, "notice_days"),
        ({"adopted": dt.date(2019, 2, 28)}, "adopted"),
        ({"adopted": today() + dt.timedelta(days=1)}, "adopted"),
        ({"file": SimpleUploadedFile("v.pdf", b"\x89PNG\r\n\x1a\n")}, "file"),
        ({"file": SimpleUploadedFile("v.docx", b"%PDF-1.4")}, "file"),
        ({"file": SimpleUploadedFile("v.txt", b"text")}, "file"),
        ({"file": SimpleUploadedFile("v", b"%PDF-1.4")}, "file"),
    ],
)
def test_broken_rules_are_refused_and_nothing_is_written(world, rules, field):
    kwargs = {"adopted": world.cluster_a.founded, **rules}
    with pytest.raises(DomainError) as error:
        statutes_adopt(actor=None, cluster=world.cluster_a, **kwargs)
    assert error.value.field == field
    assert not Statutes.objects.exists()
    assert not AuditEntry.objects.filter(action="governance.statutes.adopted").exists()


def test_boundaries_are_allowed(world):
    adopt(
        world, world.cluster_a.founded, attendance_min_percent=0, quorum_percent=100, notice_days=1
    )
    adopt(world, today(), attendance_min_percent=100, quorum_percent=0, notice_days=90)
    assert Statutes.objects.count() == 2


def test_one_version_per_date(world):
    adopt(world, dt.date(2020, 5, 1))
    with pytest.raises(DomainError) as error:
        adopt(world, dt.date(2020, 5, 1), notice_days=21)
    assert error.value.field == "adopted"
    assert Statutes.objects.count() == 1
    # The same date in another cluster is another cluster's business.
    statutes_adopt(actor=None, cluster=world.cluster_b, adopted=dt.date(2020, 5, 1))


def test_file_larger_than_the_limit_is_refused(world, settings):
    settings.KLYNGE_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(DomainError) as error:
        adopt(
            world, world.cluster_a.founded, file=SimpleUploadedFile("v.pdf", b"%PDF" + b"x" * 200)
        )
    assert error.value.field == "file"
    assert not Statutes.objects.exists()


def test_file_is_kept_and_downloaded_by_members_only(world, client):
    statutes = adopt(
        world, world.cluster_a.founded, file=SimpleUploadedFile("Vedtægter.docx", DOCX)
    )
    assert statutes.file.name.endswith(".docx")
    url = reverse("governance:statutes.file", args=[world.cluster_a.slug, statutes.pk])
    login(client, world, "member_a")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(DOCX_HEAD)
    without_file = adopt(world, dt.date(2021, 1, 1))
    assert (
        client.get(
            reverse("governance:statutes.file", args=[world.cluster_a.slug, without_file.pk])
        ).status_code
        == 404
    )
    # Another cluster's URL with this cluster's version answers 404, as does a stranger.
    assert (
        client.get(
            reverse("governance:statutes.file", args=[world.cluster_b.slug, statutes.pk])
        ).status_code
        == 404
    )
    client.logout()
    login(client, world, "member_b")
    assert client.get(url).status_code == 404


# --- The statutes page ------------------------------------------------------------------


def test_page_shows_the_rules_in_force_and_earlier_versions(world, client):
    adopt(world, world.cluster_a.founded, attendance_min_percent=40)
    adopt(world, dt.date(2023, 6, 1), attendance_min_percent=50, quorum_percent=50)
    login(client, world, "member_a")
    response = client.get(reverse("governance:statutes", args=[world.cluster_a.slug]))
    assert response.status_code == 200
    assert response.context["current"].adopted == dt.date(2023, 6, 1)
    assert response.context["current_rules"] == [
        "At least 50% attendance at the year's meetings",
        "Notice of general assemblies at least 14 days before",
        "The general assembly has a quorum when 50% of the members are present",
        "Members must share their quality data in the cluster",
    ]
    assert [v.adopted for v, _rules in response.context["others"]] == [world.cluster_a.founded]
    html = response.content.decode()
    assert "At least 40% attendance" in html
    # A member reads; only those who manage the statutes get the form.
    assert reverse("governance:statutes.add", args=[world.cluster_a.slug]) not in html


def test_page_in_danish_formats_dates_the_danish_way(world, client):
    adopt(world, world.cluster_a.founded)
    login(client, world, "member_a", english=False)
    response = client.get(reverse("governance:statutes", args=[world.cluster_a.slug]))
    assert response.status_code == 200
    assert "1. marts 2019" in response.content.decode()


def test_coordinator_registers_a_version_from_the_page(world, client):
    login(client, world, "coordinator_a")
    page = client.get(reverse("governance:statutes", args=[world.cluster_a.slug]))
    assert reverse("governance:statutes.add", args=[world.cluster_a.slug]) in page.content.decode()
    response = client.post(
        reverse("governance:statutes.add", args=[world.cluster_a.slug]),
        {
            "adopted": "01-03-2019",
            "attendance_min_percent": "50",
            "notice_days": "14",
            "quorum_percent": "",
            "data_sharing_required": "on",
            "purpose": "Kvalitetsudvikling i Køge.",
            "file": SimpleUploadedFile("vedtaegter.pdf", b"%PDF-1.4 test"),
        },
    )
    assert response.status_code == 302
    statutes = Statutes.objects.get(cluster=world.cluster_a)
    assert statutes.adopted == dt.date(2019, 3, 1)
    assert statutes.attendance_min_percent == 50
    assert statutes.quorum_percent is None
    assert statutes.data_sharing_required is True
    assert statutes.file
    assert statutes.created_by == world.users["coordinator_a"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"adopted": "31-02-2019"}, "Write the date as day-month-year"),
        ({"adopted": "01-01-2018"}, "before the cluster was founded"),
        ({"attendance_min_percent": "120"}, "between 0 and 100"),
        ({"notice_days": "0"}, "between 1 and 90 days"),
        ({"notice_days": ""}, "This field is required"),
    ],
)
def test_refused_form_answers_400_and_writes_nothing(world, client, data, message):
    login(client, world, "board_a")
    post = {"adopted": "01-03-2019", "notice_days": "14", **data}
    response = client.post(reverse("governance:statutes.add", args=[world.cluster_a.slug]), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Statutes.objects.exists()


def test_refused_file_answers_400_and_writes_nothing(world, client):
    login(client, world, "secretariat")
    response = client.post(
        reverse("governance:statutes.add", args=[world.cluster_a.slug]),
        {
            "adopted": "01-03-2019",
            "notice_days": "14",
            "file": SimpleUploadedFile("v.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert response.status_code == 400
    assert "does not match its type" in response.content.decode()
    assert not Statutes.objects.exists()


@pytest.mark.parametrize("role", ["member_a", "region_a", "member_b", "doctor_free"])
def test_who_may_not_manage_gets_404_on_add_and_nothing_is_written(world, client, role):
    login(client, world, role)
    response = client.post(
        reverse("governance:statutes.add", args=[world.cluster_a.slug]),
        {"adopted": "01-03-2019", "notice_days": "14"},
    )
    assert response.status_code == 404
    assert not Statutes.objects.exists()


def test_add_is_post_only(world, client):
    login(client, world, "coordinator_a")
    assert (
        client.get(reverse("governance:statutes.add", args=[world.cluster_a.slug])).status_code
        == 405
    )


def test_member_of_another_cluster_gets_404_on_every_page(world, client):
    statutes = adopt(world, world.cluster_a.founded, file=SimpleUploadedFile("v.pdf", b"%PDF-1"))
    login(client, world, "member_b")
    slug = world.cluster_a.slug
    for url in (
        reverse("governance:statutes", args=[slug]),
        reverse("governance:statutes.file", args=[slug, statutes.pk]),
        reverse("governance:paperwork", args=[slug]),
        reverse("governance:paperwork.download", args=[slug, "statutes", "pdf"]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Køgeklyngen" not in response.content.decode()
    assert (
        client.get(reverse("governance:statutes", args=[world.cluster_b.slug])).status_code == 200
    )


# --- The paperwork ----------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for cell in table._cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(data: bytes) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.fixture
def coordinator_name(world) -> str:
    coordinator = cluster_coordinator_on(cluster=world.cluster_a, on=today())
    assert coordinator is not None
    return coordinator.name


@pytest.mark.parametrize("kind", list(paperwork.KINDS))
def test_every_document_renders_to_word_and_pdf_with_the_clusters_data(
    world, coordinator_name, kind
):
    data = paperwork.render_docx(kind, world.cluster_a)
    assert data.startswith(DOCX_HEAD)
    text = docx_text(data)
    assert "Køgeklyngen" in text
    assert "13585628" in text
    assert coordinator_name in text
    assert "{{" not in text
    assert "{%" not in text

    pdf = paperwork.render_pdf(kind, world.cluster_a)
    assert pdf.startswith(b"%PDF")
    extracted = pdf_text(pdf)
    if extracted is not None:
        assert "Køgeklyngen" in extracted
        assert "13585628" in extracted


def test_word_file_is_editable_text_with_styles(world):
    import docx

    document = docx.Document(io.BytesIO(paperwork.render_docx("statutes", world.cluster_a)))
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Normal", "List Bullet", "Klynge Udfyld"} <= styles
    signatures = document.tables[-1].rows[0].cells
    assert signatures[0].paragraphs[-1].style.name == "Klynge Underskrift"
    assert signatures[0].text.strip() == "Dirigent"
    assert "klyngekoordinator" in signatures[2].text
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "§ 1. Navn og hjemsted"
    assert document.core_properties.title == "Vedtægter for Køgeklyngen"
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7


def test_documents_are_danish_whatever_the_active_language(world):
    from django.utils import translation

    with translation.override("en"):
        text = docx_text(paperwork.render_docx("founding_minutes", world.cluster_a))
    assert "1. marts 2019" in text
    assert "Køge Kommune" in text
    assert "Region Sjælland" in text
    for clinic in world.clinics_a:
        assert clinic.name in text


def test_documents_state_the_rules_of_the_statutes_in_force(world):
    default = docx_text(paperwork.render_docx("statutes", world.cluster_a))
    assert "mindst 50 % af årets klyngemøder" in default
    assert "mindst 14 dages varsel" in default
    assert "uanset antallet af fremmødte" in default
    adopt(
        world,
        dt.date(2021, 4, 1),
        attendance_min_percent=75,
        notice_days=21,
        quorum_percent=60,
        data_sharing_required=False,
        purpose="Vi forbedrer behandlingen af kronikere i Køge.",
    )
    text = docx_text(paperwork.render_docx("statutes", world.cluster_a))
    assert "mindst 75 % af årets klyngemøder" in text
    assert "mindst 21 dages varsel" in text
    assert "når mindst 60 % af medlemmerne er til stede" in text
    assert "frivilligt" in text
    assert "Vi forbedrer behandlingen af kronikere i Køge." in text
    assert "senest ændret på generalforsamlingen den 1. april 2021" in text
    agenda = docx_text(paperwork.render_docx("annual_agenda", world.cluster_a))
    assert "mindst 21 dages varsel" in agenda
    assert "senest 7 dage før" in agenda


def test_coordinator_contract_uses_the_guides_example_without_a_fee_contract(world):
    text = docx_text(paperwork.render_docx("coordinator_contract", world.cluster_a))
    assert "75 timer × 950 kr." in text.replace("\u00a0", " ")
    assert "71.250 kr. om året" in text.replace("\u00a0", " ")
    assert "kvartalsvis med 17.812,50 kr. pr. kvartal" in text.replace("\u00a0", " ")


def test_coordinator_contract_uses_the_clusters_fee_contract(world):
    from klynge.finance.models import FeeContract

    FeeContract.objects.create(
        cluster=world.cluster_a,
        recipient="Anna Koordinator",
        role="Klyngekoordinator",
        tasks=[{"task": "Møder", "hours": 30}, {"task": "Kontaktperson", "hours": 10}],
        hourly_basis=Decimal("1000"),
        frequency="monthly",
        start=dt.date(2020, 1, 1),
    )
    text = docx_text(paperwork.render_docx("coordinator_contract", world.cluster_a)).replace(
        "\u00a0", " "
    )
    assert "Anna Koordinator" in text
    assert "Møder: 30 timer" in text
    assert "40 timer × 1.000 kr." in text
    assert "40.000 kr. om året" in text
    assert "månedligt med 3.333,33 kr. pr. måned" in text
    assert "1. januar 2020" in text


def test_missing_facts_leave_a_line_to_write_on(world):
    cluster = world.cluster_a
    cluster.cvr = ""
    cluster.save(update_fields=["cvr"])
    text = docx_text(paperwork.render_docx("statutes", cluster))
    assert f"CVR-nr. {paperwork.BLANK}" in text


def test_names_are_escaped_once_in_both_formats(world):
    cluster = world.cluster_a
    cluster.name = "Øst & Vest <Klyngen>"
    cluster.save(update_fields=["name"])
    assert "Vedtægter for Øst & Vest <Klyngen>" in docx_text(
        paperwork.render_docx("statutes", cluster)
    )
    extracted = pdf_text(paperwork.render_pdf("statutes", cluster))
    if extracted is not None:
        assert "Øst & Vest <Klyngen>" in extracted


def test_unknown_kind_is_refused(world):
    with pytest.raises(KeyError):
        paperwork.render_docx("unknown", world.cluster_a)


def test_paperwork_page_lists_every_document_in_both_formats(world, client):
    login(client, world, "member_a")
    response = client.get(reverse("governance:paperwork", args=[world.cluster_a.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in paperwork.KINDS:
        for fmt in ("docx", "pdf"):
            assert (
                reverse("governance:paperwork.download", args=[world.cluster_a.slug, kind, fmt])
                in html
            )


def test_download_answers_with_the_right_type_and_name(world, client, coordinator_name):
    login(client, world, "region_a")
    slug = world.cluster_a.slug
    response = client.get(
        reverse("governance:paperwork.download", args=[slug, "first_meeting", "docx"])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == paperwork.DOCX_TYPE
    assert (
        f'filename="{slug}-dagsorden-foerste-klyngemoede.docx"' in response["Content-Disposition"]
    )
    assert coordinator_name in docx_text(response.content)
    pdf = client.get(reverse("governance:paperwork.download", args=[slug, "statutes", "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    for kind, fmt in (("unknown", "pdf"), ("statutes", "odt"), ("statutes", "html")):
        url = reverse("governance:paperwork.download", args=[slug, kind, fmt])
        assert client.get(url).status_code == 404, url


# --- The markup (pure) ------------------------------------------------------------------


def test_parse_blocks():
    text = """
# Titel
> Undertitel

## § 1. Navn
Første linje
fortsætter her.

Nyt afsnit.
1. Punkt et
   fortsat
10. Punkt ti
a) Bogstav
- Punkt
~ Vejledning
_ Dato
_ Stemmer?
_
= Dirigent | Referent
= Kasserer
"""
    blocks = paperwork.parse_blocks(text)
    assert [(b.kind, b.text, b.number) for b in blocks[:9]] == [
        ("title", "Titel", ""),
        ("subtitle", "Undertitel", ""),
        ("h1", "§ 1. Navn", ""),
        ("p", "Første linje fortsætter her.", ""),
        ("p", "Nyt afsnit.", ""),
        ("item", "Punkt et fortsat", "1."),
        ("item", "Punkt ti", "10."),
        ("item", "Bogstav", "a)"),
        ("bullet", "Punkt", ""),
    ]
    assert blocks[9] == paperwork.Block("note", "Vejledning")
    assert [b.text for b in blocks[10:13]] == ["Dato:", "Stemmer?", ""]
    assert blocks[13] == paperwork.Block("sign", left="Dirigent", right="Referent")
    assert blocks[14] == paperwork.Block("sign", left="Kasserer")


def test_format_cvr():
    assert paperwork.format_cvr("13585628") == "13585628"
    assert paperwork.format_cvr("1358562") == "01358562"
    assert paperwork.format_cvr("") == paperwork.BLANK


# --- Elections: re-election continues the term; a new officer without a login ---------


def _general_assembly(world, days_ago: int = 3):
    from django.utils import timezone

    from klynge.meetings import services as meetings
    from klynge.meetings.models import MeetingKind

    starts = timezone.now() - dt.timedelta(days=days_ago)
    return meetings.meeting_create(
        actor=None,
        cluster=world.cluster_a,
        title="Generalforsamling",
        kind=MeetingKind.GENERAL_ASSEMBLY,
        starts=starts,
        ends=starts + dt.timedelta(hours=2),
    )


def test_re_electing_the_sitting_coordinator_continues_the_term(world):
    """Was refused ("already holds this role"); now the term simply goes on."""
    from klynge.governance.elections import election_record
    from klynge.registry.models import RoleAssignment

    ga = _general_assembly(world)
    sitting = cluster_coordinator_on(cluster=world.cluster_a, on=today())
    term = RoleAssignment.objects.get(cluster=world.cluster_a, role="coordinator", end=None)
    election = election_record(
        actor=world.users["coordinator_a"],
        meeting=ga,
        role="coordinator",
        doctor=sitting,
        start=today() - dt.timedelta(days=3),
    )
    assert RoleAssignment.objects.filter(cluster=world.cluster_a, role="coordinator").count() == 1
    term.refresh_from_db()
    assert (term.start, term.end) == (world.cluster_a.founded, None)
    assert election.assignment == term
    assert cluster_coordinator_on(cluster=world.cluster_a, on=today()) == sitting


def test_re_electing_the_sitting_treasurer_continues_the_term(world, client):
    """Issue 10 listed it as refused; through the minutes page it is recorded and the
    treasurer's one term goes on."""
    from klynge.registry.models import RoleAssignment

    ga = _general_assembly(world)
    term = RoleAssignment.objects.get(cluster=world.cluster_a, role="treasurer", end=None)
    client.force_login(world.users["coordinator_a"])
    response = client.post(
        reverse("governance:election.record", args=[world.cluster_a.slug, ga.pk]),
        {"role": "treasurer", "doctor": term.doctor_id},
    )
    assert response.status_code == 302
    (election,) = ga.elections.all()
    assert election.assignment == term
    assert list(
        RoleAssignment.objects.filter(cluster=world.cluster_a, role="treasurer").values_list(
            "pk", "end"
        )
    ) == [(term.pk, None)]


def test_electing_a_treasurer_without_a_login_waits_for_their_invitation(world):
    from klynge.accounts.models import Invitation
    from klynge.accounts.services import invitation_accept
    from klynge.governance.elections import election_record
    from klynge.registry.models import Doctor, RoleAssignment
    from klynge.registry.services import doctor_email_set

    ga = _general_assembly(world)
    newcomer = Doctor.objects.filter(clinic__in=world.clinics_a, user__isnull=True).first()
    doctor_email_set(actor=None, doctor=newcomer, email="valgt@a.test")
    election = election_record(
        actor=world.users["coordinator_a"],
        meeting=ga,
        role="treasurer",
        doctor=newcomer,
        start=today(),
    )
    assert election.assignment is None  # the sitting treasurer (who can log in) stays
    sitting = RoleAssignment.objects.get(cluster=world.cluster_a, role="treasurer", end=None)
    assert sitting.doctor.user == world.users["board_a"]

    invitation_accept(
        invitation=Invitation.objects.get(doctor=newcomer), password="Kvalitet-i-klyngen-7"
    )
    election.refresh_from_db()
    assert election.assignment is not None and election.assignment.doctor == newcomer
    sitting.refresh_from_db()
    assert sitting.end == today()
