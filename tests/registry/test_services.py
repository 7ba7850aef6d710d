"""Registry writes (REG-1, REG-2, REG-3): memberships, participation and roles over
time, cluster registration, the completeness checklist, document uploads, name
suggestions and the audit trail. Dates are half-open: `end` is the first day no
longer in force."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.registry import selectors, services
from klynge.registry.models import (
    Cluster,
    Membership,
    Participation,
    RoleAssignment,
    RoleKind,
)
from tests.factories import (
    ROSKILDE,
    ClinicFactory,
    ClusterFactory,
    DoctorFactory,
    UserFactory,
    build_cluster,
    join_clinic,
    municipality,
)

pytestmark = pytest.mark.django_db

FOUNDED = dt.date(2019, 1, 1)
MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


def actions(cluster: Cluster | None = None) -> list[str]:
    qs = AuditEntry.objects.order_by("id")
    if cluster is not None:
        qs = qs.filter(scope=f"cluster:{cluster.pk}")
    return list(qs.values_list("action", flat=True))


def complete_cluster(**kwargs):
    """A cluster with everything REG-2 asks for except the two uploaded documents."""
    setup = build_cluster(
        cvr="13585628", bank_registration="1234", bank_account="0001234567", **kwargs
    )
    return setup


def upload(cluster: Cluster, kind: str, name: str = "doc.pdf", content: bytes = PDF, actor=None):
    if kind == "statutes":  # governance's, in versions: the founding general assembly's
        from klynge.governance.services import statutes_adopt

        return statutes_adopt(
            actor=actor,
            cluster=cluster,
            adopted=cluster.founded,
            file=SimpleUploadedFile(name, content),
        )
    return services.cluster_document_upload(
        actor=actor,
        cluster=cluster,
        kind=kind,
        upload=SimpleUploadedFile(name, content),
        max_bytes=MB,
    )


# --- Memberships ----------------------------------------------------------------------------


def test_membership_start_adds_clinic_from_start_date():
    cluster = ClusterFactory(founded=FOUNDED)
    clinic = ClinicFactory()
    user = UserFactory()

    membership = services.membership_start(
        actor=user, cluster=cluster, clinic=clinic, start=dt.date(2020, 3, 1)
    )

    assert (membership.start, membership.end) == (dt.date(2020, 3, 1), None)
    assert selectors.clinic_cluster_on(clinic=clinic, on=dt.date(2020, 2, 29)) is None
    assert selectors.clinic_cluster_on(clinic=clinic, on=dt.date(2020, 3, 1)) == cluster
    entry = AuditEntry.objects.get(action="registry.membership.started")
    assert entry.actor == user
    assert entry.scope == f"cluster:{cluster.pk}"
    assert entry.object_type == "registry.membership"
    assert entry.object_id == str(membership.pk)
    assert entry.data == {"clinic": clinic.provider_number, "start": "2020-03-01"}


def test_clinic_cannot_join_before_the_cluster_was_founded():
    cluster = ClusterFactory(founded=FOUNDED)
    clinic = ClinicFactory()
    with pytest.raises(DomainError) as exc:
        services.membership_start(
            actor=None, cluster=cluster, clinic=clinic, start=dt.date(2018, 12, 31)
        )
    assert exc.value.field == "start"
    assert not Membership.objects.exists()


def test_clinic_cannot_be_in_two_clusters_at_once():
    first = ClusterFactory(name="Køgeklyngen", founded=FOUNDED)
    second = ClusterFactory(
        name="Roskildeklyngen", founded=FOUNDED, municipality=municipality(ROSKILDE)
    )
    clinic = ClinicFactory(name="Lægerne Torvet")
    services.membership_start(actor=None, cluster=first, clinic=clinic, start=FOUNDED)

    with pytest.raises(DomainError) as exc:
        services.membership_start(
            actor=None, cluster=second, clinic=clinic, start=dt.date(2021, 6, 1)
        )

    assert "Køgeklyngen" in exc.value.message
    assert "Lægerne Torvet" in exc.value.message
    assert exc.value.field == "clinic"
    assert list(Membership.objects.values_list("cluster_id", flat=True)) == [first.pk]
    assert "registry.membership.started" not in actions(second)


def test_clinic_cannot_join_backdated_into_a_period_it_was_elsewhere():
    first = ClusterFactory(name="Køgeklyngen", founded=FOUNDED)
    second = ClusterFactory(name="Solrødklyngen", founded=FOUNDED)
    clinic = ClinicFactory()
    membership = services.membership_start(actor=None, cluster=first, clinic=clinic, start=FOUNDED)
    services.membership_end(actor=None, membership=membership, end=dt.date(2021, 1, 1))

    with pytest.raises(DomainError, match="Køgeklyngen"):
        services.membership_start(
            actor=None, cluster=second, clinic=clinic, start=dt.date(2020, 12, 31)
        )

    # The day it left (end is exclusive) it may join the other cluster.
    moved = services.membership_start(
        actor=None, cluster=second, clinic=clinic, start=dt.date(2021, 1, 1)
    )
    assert moved.cluster == second
    assert selectors.clinic_cluster_on(clinic=clinic, on=dt.date(2020, 12, 31)) == first
    assert selectors.clinic_cluster_on(clinic=clinic, on=dt.date(2021, 1, 1)) == second


def test_clinic_already_member_of_the_same_cluster():
    cluster = ClusterFactory(name="Køgeklyngen", founded=FOUNDED)
    clinic = ClinicFactory()
    services.membership_start(actor=None, cluster=cluster, clinic=clinic, start=FOUNDED)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        services.membership_start(
            actor=None, cluster=cluster, clinic=clinic, start=dt.date(2020, 1, 1)
        )
    assert "already a member of this cluster from 1 January 2019" in exc.value.message
    assert Membership.objects.count() == 1


def test_leaving_ends_doctors_participation_and_roles_the_same_day():
    setup = build_cluster(clinics=2, doctors_per_clinic=2)
    cluster, coordinator = setup.cluster, setup.coordinator
    leaving_clinic = coordinator.clinic
    other_doctor = setup.doctors[-1]  # in the clinic that stays
    treasurer = next(d for d in setup.doctors if d.clinic == leaving_clinic and d != coordinator)
    services.role_assign(
        actor=None, cluster=cluster, doctor=treasurer, role=RoleKind.TREASURER, start=FOUNDED
    )
    membership = Membership.objects.get(cluster=cluster, clinic=leaving_clinic)
    leave = dt.date(2022, 7, 1)

    services.membership_end(actor=None, membership=membership, end=leave)

    membership.refresh_from_db()
    assert membership.end == leave
    for doctor in (coordinator, treasurer):
        assert Participation.objects.get(doctor=doctor, cluster=cluster).end == leave
    assert Participation.objects.get(doctor=other_doctor, cluster=cluster).end is None
    ended = RoleAssignment.objects.filter(cluster=cluster).order_by("role")
    assert [(r.role, r.doctor, r.end) for r in ended] == [
        (RoleKind.COORDINATOR, coordinator, leave),
        (RoleKind.TREASURER, treasurer, leave),
    ]
    assert (
        selectors.cluster_coordinator_on(cluster=cluster, on=leave - dt.timedelta(days=1))
        == coordinator
    )
    assert selectors.cluster_coordinator_on(cluster=cluster, on=leave) is None
    names = {p.doctor for p in selectors.cluster_participations_on(cluster=cluster, on=leave)}
    assert coordinator not in names and treasurer not in names and other_doctor in names
    log = actions(cluster)
    assert log.count("registry.participation.ended") == 2
    assert log.count("registry.role.ended") == 2
    assert log[-1] == "registry.membership.ended"


def test_leaving_deletes_participation_that_had_not_started_yet():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    clinic = setup.clinics[0]
    late = DoctorFactory(clinic=clinic)
    services.participation_start(
        actor=None, cluster=setup.cluster, doctor=late, start=dt.date(2023, 1, 1)
    )
    membership = Membership.objects.get(clinic=clinic)

    services.membership_end(actor=None, membership=membership, end=dt.date(2022, 1, 1))

    assert not Participation.objects.filter(doctor=late).exists()


@pytest.mark.parametrize("end", [FOUNDED, dt.date(2018, 6, 1)], ids=["same-day", "before"])
def test_leaving_date_must_be_after_joining(end):
    cluster = ClusterFactory(founded=FOUNDED)
    membership = services.membership_start(
        actor=None, cluster=cluster, clinic=ClinicFactory(), start=FOUNDED
    )
    with pytest.raises(DomainError) as exc:
        services.membership_end(actor=None, membership=membership, end=end)
    assert exc.value.field == "end"
    membership.refresh_from_db()
    assert membership.end is None


def test_clinic_cannot_leave_twice():
    cluster = ClusterFactory(founded=FOUNDED)
    membership = services.membership_start(
        actor=None, cluster=cluster, clinic=ClinicFactory(), start=FOUNDED
    )
    services.membership_end(actor=None, membership=membership, end=dt.date(2021, 1, 1))
    with pytest.raises(DomainError):
        services.membership_end(actor=None, membership=membership, end=dt.date(2022, 1, 1))
    membership.refresh_from_db()
    assert membership.end == dt.date(2021, 1, 1)


# --- Participation ----------------------------------------------------------------------------


def test_doctor_participates_only_while_their_clinic_is_a_member():
    cluster = ClusterFactory(founded=FOUNDED)
    clinic = ClinicFactory()
    doctor = DoctorFactory(clinic=clinic)
    services.membership_start(actor=None, cluster=cluster, clinic=clinic, start=dt.date(2020, 1, 1))

    with pytest.raises(DomainError) as exc:
        services.participation_start(
            actor=None, cluster=cluster, doctor=doctor, start=dt.date(2019, 12, 31)
        )
    assert exc.value.field == "doctor"
    assert doctor.name in exc.value.message

    participation = services.participation_start(
        actor=None, cluster=cluster, doctor=doctor, start=dt.date(2020, 1, 1)
    )
    assert participation.is_active_on(dt.date(2020, 1, 1))
    assert "registry.participation.started" in actions(cluster)


def test_doctor_cannot_participate_twice():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    with pytest.raises(DomainError):
        services.participation_start(
            actor=None, cluster=setup.cluster, doctor=setup.coordinator, start=dt.date(2020, 1, 1)
        )
    assert Participation.objects.filter(doctor=setup.coordinator).count() == 1


def test_participation_end_ends_the_doctors_roles():
    setup = build_cluster(clinics=1, doctors_per_clinic=2)
    chair = setup.doctors[1]
    services.role_assign(
        actor=None, cluster=setup.cluster, doctor=chair, role=RoleKind.CHAIR, start=FOUNDED
    )
    participation = Participation.objects.get(doctor=chair)

    services.participation_end(actor=None, participation=participation, end=dt.date(2021, 5, 1))

    role = RoleAssignment.objects.get(doctor=chair)
    assert role.end == dt.date(2021, 5, 1)
    # The coordinator (another doctor) is untouched.
    assert RoleAssignment.objects.get(doctor=setup.coordinator).end is None


# --- Roles ------------------------------------------------------------------------------------


def test_coordinator_hand_over_ends_previous_term_the_same_day():
    setup = build_cluster(clinics=2, doctors_per_clinic=1)
    old, new = setup.doctors
    handover = dt.date(2021, 9, 1)

    assignment = services.role_assign(
        actor=None, cluster=setup.cluster, doctor=new, role=RoleKind.COORDINATOR, start=handover
    )

    previous = RoleAssignment.objects.get(doctor=old, role=RoleKind.COORDINATOR)
    assert previous.end == handover
    assert (assignment.start, assignment.end) == (handover, None)
    before, on = handover - dt.timedelta(days=1), handover
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=before) == old
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=on) == new
    for day in (before, on):
        coordinators = selectors.cluster_roles_on(cluster=setup.cluster, on=day).filter(
            role=RoleKind.COORDINATOR
        )
        assert coordinators.count() == 1
    assert actions(setup.cluster)[-2:] == ["registry.role.ended", "registry.role.assigned"]


def test_coordinator_must_be_participating():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    outsider = DoctorFactory()  # a clinic that is not a member
    with pytest.raises(DomainError) as exc:
        services.role_assign(
            actor=None,
            cluster=setup.cluster,
            doctor=outsider,
            role=RoleKind.COORDINATOR,
            start=dt.date(2021, 1, 1),
        )
    assert exc.value.field == "doctor"
    assert outsider.name in exc.value.message
    assert RoleAssignment.objects.get(cluster=setup.cluster).doctor == setup.coordinator
    assert RoleAssignment.objects.get(cluster=setup.cluster).end is None


def test_coordinator_not_yet_participating_on_start_date():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    late = DoctorFactory(clinic=setup.clinics[0])
    services.participation_start(
        actor=None, cluster=setup.cluster, doctor=late, start=dt.date(2022, 1, 1)
    )
    with pytest.raises(DomainError):
        services.role_assign(
            actor=None,
            cluster=setup.cluster,
            doctor=late,
            role=RoleKind.COORDINATOR,
            start=dt.date(2021, 12, 31),
        )
    services.role_assign(
        actor=None,
        cluster=setup.cluster,
        doctor=late,
        role=RoleKind.COORDINATOR,
        start=dt.date(2022, 1, 1),
    )
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=dt.date(2022, 1, 1)) == late


def test_re_electing_the_sitting_holder_continues_the_term():
    """Re-election was refused ("already holds this role"); now the term goes on: no
    second row, no gap, and a term already set to end is open again."""
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    term = RoleAssignment.objects.get(cluster=setup.cluster)
    again = services.role_assign(
        actor=None,
        cluster=setup.cluster,
        doctor=setup.coordinator,
        role=RoleKind.COORDINATOR,
        start=dt.date(2021, 1, 1),
    )
    assert again == term
    assert RoleAssignment.objects.filter(cluster=setup.cluster).count() == 1
    assert (again.start, again.end) == (FOUNDED, None)

    # A term set to end on 1 March 2023 and re-elected from that day continues.
    services.role_end(actor=None, assignment=term, end=dt.date(2023, 3, 1))
    continued = services.role_assign(
        actor=None,
        cluster=setup.cluster,
        doctor=setup.coordinator,
        role=RoleKind.COORDINATOR,
        start=dt.date(2023, 3, 1),
    )
    term.refresh_from_db()
    assert continued == term and term.end is None
    assert RoleAssignment.objects.filter(cluster=setup.cluster).count() == 1
    assert actions(setup.cluster)[-1] == "registry.role.continued"


def test_hand_over_refused_before_a_later_registered_term():
    setup = build_cluster(clinics=3, doctors_per_clinic=1)
    first, second, third = setup.doctors
    services.role_assign(
        actor=None,
        cluster=setup.cluster,
        doctor=second,
        role=RoleKind.COORDINATOR,
        start=dt.date(2022, 1, 1),
    )
    with pytest.raises(DomainError) as exc:
        services.role_assign(
            actor=None,
            cluster=setup.cluster,
            doctor=third,
            role=RoleKind.COORDINATOR,
            start=dt.date(2021, 1, 1),
        )
    assert exc.value.field == "start"
    assert not RoleAssignment.objects.filter(doctor=third).exists()
    assert RoleAssignment.objects.get(doctor=first).end == dt.date(2022, 1, 1)


def test_several_board_members_at_once():
    setup = build_cluster(clinics=1, doctors_per_clinic=3)
    for doctor in setup.doctors[1:]:
        services.role_assign(
            actor=None,
            cluster=setup.cluster,
            doctor=doctor,
            role=RoleKind.BOARD_MEMBER,
            start=FOUNDED,
        )
    board = selectors.cluster_roles_on(cluster=setup.cluster, on=dt.date(2020, 1, 1)).filter(
        role=RoleKind.BOARD_MEMBER
    )
    assert {r.doctor for r in board} == set(setup.doctors[1:])
    # The same person again is a re-election: their term goes on, no second row.
    services.role_assign(
        actor=None,
        cluster=setup.cluster,
        doctor=setup.doctors[1],
        role=RoleKind.BOARD_MEMBER,
        start=dt.date(2020, 1, 1),
    )
    assert RoleAssignment.objects.filter(doctor=setup.doctors[1]).count() == 1


# --- Registering a cluster ----------------------------------------------------------------------


def test_registering_doctor_becomes_coordinator_and_their_clinic_joins():
    clinic = ClinicFactory()
    doctor = DoctorFactory(clinic=clinic)
    user = UserFactory()

    cluster = services.cluster_register(
        actor=user,
        name="  Køgeklyngen – øst ",
        municipality=municipality(),
        founded=FOUNDED,
        registered=dt.date(2019, 1, 15),
        coordinator=doctor,
    )

    assert cluster.name == "Køgeklyngen – øst"
    assert cluster.slug == "koegeklyngen-oest"
    assert [m.clinic for m in selectors.cluster_memberships_on(cluster=cluster, on=FOUNDED)] == [
        clinic
    ]
    assert [p.doctor for p in selectors.cluster_participations_on(cluster=cluster, on=FOUNDED)] == [
        doctor
    ]
    assert selectors.cluster_coordinator_on(cluster=cluster, on=FOUNDED) == doctor
    assert selectors.cluster_coordinator_on(cluster=cluster, on=dt.date(2018, 12, 31)) is None
    # The coordinator has an e-mail but no login yet: they are invited (issue 11).
    assert actions(cluster) == [
        "registry.cluster.registered",
        "registry.membership.started",
        "registry.participation.started",
        "accounts.invitation.created",
        "registry.role.assigned",
    ]
    registered = AuditEntry.objects.get(action="registry.cluster.registered")
    assert registered.actor == user
    assert registered.data == {
        "name": "Køgeklyngen – øst",
        "municipality": 259,
        "founded": "2019-01-01",
    }


def test_register_without_coordinator_has_no_members():
    cluster = services.cluster_register(
        actor=None,
        name="Køgeklyngen",
        municipality=municipality(),
        founded=FOUNDED,
        registered=FOUNDED,
    )
    assert cluster.memberships.count() == 0
    assert cluster.roles.count() == 0
    assert cluster.registration_completed is None


def test_duplicate_names_get_distinct_slugs():
    slugs = [
        services.cluster_register(
            actor=None,
            name="Køgeklyngen",
            municipality=municipality(),
            founded=FOUNDED,
            registered=FOUNDED,
        ).slug
        for _ in range(3)
    ]
    assert slugs == ["koegeklyngen", "koegeklyngen-2", "koegeklyngen-3"]


def test_register_by_doctor_whose_clinic_is_elsewhere_is_refused_and_writes_nothing():
    """Issue 10: it used to create a cluster nobody could open (an orphan, and a 404
    for the registrant)."""
    setup = build_cluster(name="Køgeklyngen", clinics=1, doctors_per_clinic=2)
    doctor = setup.doctors[1]
    clusters, audit = Cluster.objects.count(), AuditEntry.objects.count()

    with pytest.raises(DomainError) as refused:
        services.cluster_register(
            actor=None,
            name="Nyklyngen",
            municipality=municipality(),
            founded=dt.date(2021, 1, 1),
            registered=dt.date(2021, 1, 1),
            coordinator=doctor,
        )

    assert "Køgeklyngen" in refused.value.message and refused.value.field == "founded"
    assert (Cluster.objects.count(), AuditEntry.objects.count()) == (clusters, audit)
    assert (
        selectors.clinic_cluster_on(clinic=doctor.clinic, on=dt.date(2021, 1, 1)) == setup.cluster
    )


def test_a_cvr_number_is_registered_for_one_cluster_in_force():
    first = services.cluster_register(
        actor=None,
        name="Køgeklyngen",
        municipality=municipality(),
        founded=FOUNDED,
        registered=FOUNDED,
        cvr="13585628",
    )
    with pytest.raises(DomainError) as refused:
        services.cluster_register(
            actor=None,
            name="Nyklyngen",
            municipality=municipality(),
            founded=FOUNDED,
            registered=FOUNDED,
            cvr="13585628",
        )
    assert refused.value.field == "cvr"
    other = services.cluster_register(
        actor=None, name="Tredje", municipality=municipality(), founded=FOUNDED, registered=FOUNDED
    )
    with pytest.raises(DomainError):
        services.cluster_update(actor=None, cluster=other, cvr="13585628")
    services.cluster_update(actor=None, cluster=first, cvr="13585628")  # its own: fine
    first.dissolved = dt.date(2022, 1, 1)
    first.save()
    services.cluster_update(actor=None, cluster=other, cvr="13585628")  # history now


def test_slug_avoids_reserved_url_words():
    cluster = services.cluster_register(
        actor=None, name="Ny", municipality=municipality(), founded=FOUNDED, registered=FOUNDED
    )
    assert cluster.slug == "ny-2"


# --- Registration completeness (REG-2) ------------------------------------------------------------


def test_complete_registration_stamps_today():
    setup = complete_cluster()
    cluster = setup.cluster
    assert cluster.registration_completed is None
    undone = [i.code for i in selectors.registration_checklist(cluster=cluster) if not i.done]
    assert undone == ["statutes", "founding_minutes"]

    upload(cluster, "statutes")
    cluster.refresh_from_db()
    assert cluster.registration_completed is None
    upload(cluster, "founding_minutes", name="referat.pdf")

    cluster.refresh_from_db()
    assert cluster.registration_completed == today()
    assert all(item.done for item in selectors.registration_checklist(cluster=cluster))
    assert actions(cluster)[-1] == "registry.cluster.registration_completed"


def test_missing_cvr_keeps_registration_incomplete():
    setup = build_cluster(bank_registration="1234", bank_account="0001234567")
    cluster = setup.cluster
    upload(cluster, "statutes")
    upload(cluster, "founding_minutes")

    cluster.refresh_from_db()
    checklist = {item.code: item.done for item in selectors.registration_checklist(cluster=cluster)}
    assert checklist == {
        "name": True,
        "cvr": False,
        "bank": True,
        "clinics": True,
        "doctors": True,
        "coordinator": True,
        "statutes": True,
        "founding_minutes": True,
    }
    assert cluster.registration_completed is None

    services.cluster_update(actor=None, cluster=cluster, cvr="13585628")
    cluster.refresh_from_db()
    assert cluster.registration_completed == today()


def test_registration_stamp_cleared_when_something_required_goes_missing():
    setup = complete_cluster(clinics=1, doctors_per_clinic=1)
    cluster = setup.cluster
    upload(cluster, "statutes")
    upload(cluster, "founding_minutes")
    cluster.refresh_from_db()
    assert cluster.registration_completed == today()

    # The only clinic leaves today: no members, doctors or coordinator any more.
    membership = Membership.objects.get(cluster=cluster)
    services.membership_end(actor=None, membership=membership, end=today())

    cluster.refresh_from_db()
    assert cluster.registration_completed is None
    undone = {i.code for i in selectors.registration_checklist(cluster=cluster) if not i.done}
    assert undone == {"clinics", "doctors", "coordinator"}


def test_stamp_keeps_its_first_date():
    setup = complete_cluster(clinics=1, doctors_per_clinic=1)
    cluster = setup.cluster
    upload(cluster, "statutes")
    Cluster.objects.filter(pk=cluster.pk).update(
        registration_completed=dt.date(2019, 2, 1), founding_minutes="y.pdf"
    )
    cluster.refresh_from_db()
    services.registration_refresh(cluster=cluster)
    cluster.refresh_from_db()
    assert cluster.registration_completed == dt.date(2019, 2, 1)


# --- Documents --------------------------------------------------------------------------------


def media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def test_pdf_founding_minutes_are_stored(settings):
    cluster = ClusterFactory(name="Køgeklyngen", slug="koegeklyngen")
    user = UserFactory()

    upload(cluster, "founding_minutes", name="Referat.PDF", actor=user)

    cluster.refresh_from_db()
    name = cluster.founding_minutes.name
    assert name.startswith("clusters/minutes/koegeklyngen-founding_minutes")
    assert name.endswith(".pdf")
    with cluster.founding_minutes.open("rb") as stored:
        assert stored.read() == PDF
    assert media_files(settings) == [name]
    entry = AuditEntry.objects.get(action="registry.cluster.founding_minutes_uploaded")
    assert (entry.actor, entry.data) == (user, {"file": "Referat.PDF"})


def test_statutes_uploaded_at_registration_are_governance_s_founding_version(settings):
    """One home for the statutes: the registration's upload is the version adopted at
    the founding general assembly, and the checklist reads it from there."""
    from klynge.governance.models import Statutes

    setup = complete_cluster()
    cluster = setup.cluster
    assert not {i.code: i.done for i in selectors.registration_checklist(cluster=cluster)}[
        "statutes"
    ]
    upload(cluster, "statutes", name="Vedtægter.pdf")

    (version,) = Statutes.objects.filter(cluster=cluster)
    assert version.adopted == cluster.founded and version.file.name.endswith(".pdf")
    assert {i.code: i.done for i in selectors.registration_checklist(cluster=cluster)}["statutes"]
    assert not hasattr(cluster, "statutes")


def _docx() -> bytes:
    """A minimal Word document (the upload check looks inside the ZIP)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
    return buffer.getvalue()


def test_docx_minutes_are_stored(settings):
    cluster = ClusterFactory()
    upload(cluster, "founding_minutes", name="referat.docx", content=_docx())
    cluster.refresh_from_db()
    assert cluster.founding_minutes.name.endswith(".docx")
    assert len(media_files(settings)) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("vedtaegter.exe", b"MZ\x90\x00\x03\x00\x00\x00"),  # wrong type
        ("vedtaegter.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a program posing as PDF
        ("vedtaegter.pdf", b"PK\x03\x04 a zip"),  # a .docx renamed to .pdf
        ("vedtaegter", PDF),  # no suffix
        ("vedtaegter.pdf", b"%PDF" + b"0" * MB),  # over the limit
    ],
    ids=["exe", "fake-pdf", "docx-as-pdf", "no-suffix", "too-big"],
)
def test_refused_documents_store_nothing(settings, name, content):
    cluster = ClusterFactory()
    with pytest.raises(DomainError) as exc:
        upload(cluster, "founding_minutes", name=name, content=content)
    assert exc.value.field == "file"
    cluster.refresh_from_db()
    assert not cluster.founding_minutes
    assert media_files(settings) == []
    assert not AuditEntry.objects.filter(
        action="registry.cluster.founding_minutes_uploaded"
    ).exists()


def test_unknown_document_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        upload(ClusterFactory(), "budget")


# --- Name suggestions (REG-1) ----------------------------------------------------------------


def test_similar_name_in_same_municipality_gets_a_suffix_suggestion():
    ClusterFactory(name="Køgeklyngen", municipality=municipality())

    check = selectors.similar_cluster_names(name="Køgeklyngen", municipality=municipality())

    assert check.similar == ["Køgeklyngen"]
    assert check.suggestion == "Køgeklyngen – nord"


def test_suggestion_skips_names_already_taken():
    ClusterFactory(name="Køgeklyngen")
    ClusterFactory(name="Køgeklyngen – nord")
    check = selectors.similar_cluster_names(name="Køgeklyngen", municipality=municipality())
    assert "Køgeklyngen" in check.similar
    assert check.suggestion == "Køgeklyngen – syd"


def test_similar_spelling_is_found():
    ClusterFactory(name="Køge Kvalitetsklynge")
    check = selectors.similar_cluster_names(name="Køgeklyngen", municipality=municipality())
    assert check.similar == ["Køge Kvalitetsklynge"]
    assert check.suggestion == "Køgeklyngen – nord"


def test_no_suggestion_for_other_municipality_dissolved_or_self():
    ClusterFactory(name="Køgeklyngen", municipality=municipality(ROSKILDE))
    ClusterFactory(
        name="Køgeklyngen", slug="old", founded=dt.date(2018, 1, 1), dissolved=dt.date(2019, 1, 1)
    )
    mine = ClusterFactory(name="Køgeklyngen", slug="mine")

    check = selectors.similar_cluster_names(
        name="Køgeklyngen", municipality=municipality(), exclude=mine
    )

    assert (check.similar, check.suggestion) == ([], None)
    assert selectors.similar_cluster_names(name="Køgeklyngen", municipality=None).suggestion is None
    assert selectors.similar_cluster_names(name="  ", municipality=municipality()).similar == []


def test_different_name_is_not_similar():
    ClusterFactory(name="Køgeklyngen")
    check = selectors.similar_cluster_names(name="Stevnsklyngen", municipality=municipality())
    assert (check.similar, check.suggestion) == ([], None)


# --- Audit trail ----------------------------------------------------------------------------------


def test_every_service_writes_dotted_action_codes():
    user = UserFactory()
    setup = build_cluster(clinics=2, doctors_per_clinic=1, actor=user)
    newcomer = ClinicFactory()
    DoctorFactory(clinic=newcomer)
    join_clinic(cluster=setup.cluster, clinic=newcomer, start=dt.date(2021, 1, 1), actor=user)
    services.role_assign(
        actor=user,
        cluster=setup.cluster,
        doctor=setup.doctors[1],
        role=RoleKind.COORDINATOR,
        start=dt.date(2022, 1, 1),
    )
    services.membership_end(
        actor=user, membership=Membership.objects.get(clinic=newcomer), end=dt.date(2023, 1, 1)
    )
    services.cluster_update(actor=user, cluster=setup.cluster, cvr="13585628")
    upload(setup.cluster, "founding_minutes", actor=user)

    entries = list(AuditEntry.objects.order_by("id"))
    codes = {e.action for e in entries}
    assert codes == {
        "registry.cluster.registered",
        "registry.membership.started",
        "registry.participation.started",
        "registry.role.assigned",
        "registry.role.ended",
        "registry.participation.ended",
        "registry.membership.ended",
        "registry.cluster.changed",
        "registry.cluster.founding_minutes_uploaded",
        "accounts.invitation.created",  # the doctors have e-mails and no login
    }
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+){2,}", e.action) for e in entries)
    assert {e.scope for e in entries} == {f"cluster:{setup.cluster.pk}"}
    assert {e.actor for e in entries} == {user}
    changed = AuditEntry.objects.get(action="registry.cluster.changed")
    assert changed.data == {"cvr": ["", "13585628"]}


# --- The database backs the rules up (PostgreSQL exclusion constraints) ---------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only"
)


@postgres_only
def test_database_refuses_overlapping_memberships_of_one_clinic():
    first, second = ClusterFactory(), ClusterFactory()
    clinic = ClinicFactory()
    Membership.objects.create(clinic=clinic, cluster=first, start=FOUNDED, end=dt.date(2021, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(clinic=clinic, cluster=second, start=dt.date(2020, 6, 1))
    with pytest.raises(IntegrityError), transaction.atomic():  # open-ended overlaps too
        Membership.objects.create(clinic=clinic, cluster=second, start=dt.date(2018, 1, 1))

    # Adjacent periods share no day: [2019-01-01, 2021-01-01) then [2021-01-01, ...)
    Membership.objects.create(clinic=clinic, cluster=second, start=dt.date(2021, 1, 1))
    assert Membership.objects.filter(clinic=clinic).count() == 2


@postgres_only
def test_database_refuses_two_simultaneous_coordinators():
    setup = build_cluster(clinics=2, doctors_per_clinic=1)
    other = setup.doctors[1]

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            cluster=setup.cluster,
            doctor=other,
            role=RoleKind.COORDINATOR,
            start=dt.date(2021, 1, 1),
        )

    # Board members are the one role several doctors hold at once.
    for doctor in setup.doctors:
        RoleAssignment.objects.create(
            cluster=setup.cluster, doctor=doctor, role=RoleKind.BOARD_MEMBER, start=FOUNDED
        )
    assert RoleAssignment.objects.filter(role=RoleKind.BOARD_MEMBER).count() == 2
