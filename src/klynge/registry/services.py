"""Writes to the registry. Each service owns its transaction and audit entry and
raises `DomainError` with a message for the user when a rule is broken.

Dates follow `TimeFramed`: `start` is the first day in force, `end` the first day no
longer in force ("udmeldt pr.").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from klynge.core import uploads
from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date, mid_sentence
from klynge.core.models import audit_log
from klynge.registry import selectors
from klynge.registry.models import (
    SINGLE_HOLDER_ROLES,
    Clinic,
    ClinicCount,
    Cluster,
    Doctor,
    FormerSlug,
    Membership,
    Municipality,
    Participation,
    RoleAssignment,
    RoleKind,
)

TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


RESERVED_SLUGS = frozenset({"ny", "klinikker", "eksport"})  # URL words beside cluster slugs


def cluster_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A readable, unique URL slug: "Køgeklyngen – øst" → `koegeklyngen-oest`."""
    base = slugify(name.translate(TRANSLITERATE))[:200] or "klynge"
    slug, n = base, 2
    while (
        slug in RESERVED_SLUGS
        or Cluster.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
        or FormerSlug.objects.filter(slug=slug).exclude(cluster=exclude_pk or 0).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _move(cluster: Cluster, slug: str) -> None:
    """Give the cluster a new address and keep the old one as a redirect (a former
    address taken back is the cluster's again)."""
    if slug == cluster.slug:
        return
    FormerSlug.objects.filter(cluster=cluster, slug=slug).delete()
    FormerSlug.objects.create(cluster=cluster, slug=cluster.slug, until=timezone.now())
    cluster.slug = slug


def _scope(cluster: Cluster) -> str:
    return f"cluster:{cluster.pk}"


# --- Clusters -----------------------------------------------------------------------------


@transaction.atomic
def cluster_register(
    *,
    actor: Any,
    name: str,
    municipality: Municipality,
    founded: dt.date,
    registered: dt.date,
    cvr: str = "",
    bank_registration: str = "",
    bank_account: str = "",
    fiscal_year_start_month: int = 1,
    coordinator: Doctor | None = None,
) -> Cluster:
    """Register a new cluster (REG-1). No approval step. When the registering user is a
    doctor whose clinic is in no other cluster, their clinic joins and they become the
    coordinator from the founding date, so the checklist starts with what is really
    missing. A doctor whose clinic or who is in another cluster on the founding date is
    refused before anything is written: they could not run the new cluster (it would
    have no coordinator, and they no access to it). The secretariat registers clusters
    without members."""
    if coordinator is not None:
        busy = (
            Membership.objects.filter(clinic=coordinator.clinic)
            .overlapping(founded, None)
            .select_related("cluster")
            .first()
        ) or (
            Participation.objects.filter(doctor=coordinator)
            .overlapping(founded, None)
            .select_related("cluster")
            .first()
        )
        if busy is not None:
            raise DomainError(
                _(
                    "You or your clinic take part in %(cluster)s on %(date)s. A clinic is in "
                    "one cluster at a time: register the new cluster from the day after the "
                    "membership there ends, or ask the secretariat to register it."
                )
                % {"cluster": busy.cluster.name, "date": format_date(founded)},
                field="founded",
            )
    _check_cvr_free(cvr)
    cluster = Cluster.objects.create(
        name=name.strip(),
        slug=cluster_slug(name),
        municipality=municipality,
        founded=founded,
        registered=registered,
        cvr=cvr,
        bank_registration=bank_registration,
        bank_account=bank_account,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    audit_log(
        actor=actor,
        action="registry.cluster.registered",
        target=cluster,
        scope=_scope(cluster),
        data={"name": cluster.name, "municipality": municipality.code, "founded": str(founded)},
    )
    if coordinator is not None:
        membership_start(actor=actor, cluster=cluster, clinic=coordinator.clinic, start=founded)
        participation_start(actor=actor, cluster=cluster, doctor=coordinator, start=founded)
        role_assign(
            actor=actor,
            cluster=cluster,
            doctor=coordinator,
            role=RoleKind.COORDINATOR,
            start=founded,
        )
    registration_refresh(cluster=cluster)
    return cluster


def _check_cvr_free(cvr: str, *, exclude_pk: int | None = None) -> None:
    """A CVR number belongs to one association: refuse it when a cluster in force
    already has it (a dissolved cluster's number is history)."""
    if not cvr:
        return
    taken = Cluster.objects.filter(cvr=cvr, dissolved__isnull=True).exclude(pk=exclude_pk).first()
    if taken is not None:
        raise DomainError(
            _("The CVR number %(cvr)s is already registered for %(cluster)s.")
            % {"cvr": cvr, "cluster": taken.name},
            field="cvr",
        )


CLUSTER_EDITABLE = (
    "name",
    "municipality",
    "cvr",
    "bank_registration",
    "bank_account",
    "fiscal_year_start_month",
    "founded",
)


@transaction.atomic
def cluster_update(*, actor: Any, cluster: Cluster, **changes: Any) -> Cluster:
    unknown = set(changes) - set(CLUSTER_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "cvr" in changes and changes["cvr"] != cluster.cvr:
        _check_cvr_free(changes["cvr"], exclude_pk=cluster.pk)
    diff = {}
    for field, value in changes.items():
        old = getattr(cluster, field)
        if old != value:
            diff[field] = [str(getattr(old, "pk", old)), str(getattr(value, "pk", value))]
            setattr(cluster, field, value)
    if "name" in diff:
        _move(cluster, cluster_slug(cluster.name, exclude_pk=cluster.pk))
    if diff:
        cluster.save()
        audit_log(
            actor=actor,
            action="registry.cluster.changed",
            target=cluster,
            scope=_scope(cluster),
            data=diff,
        )
    registration_refresh(cluster=cluster)
    return cluster


DOCUMENT_FIELDS = {
    # The statutes are governance's (`governance.services.statutes_adopt`), in versions.
    "founding_minutes": "registry.cluster.founding_minutes_uploaded",
}


@transaction.atomic
def cluster_document_upload(
    *, actor: Any, cluster: Cluster, kind: str, upload: UploadedFile, max_bytes: int
) -> Cluster:
    """Store the founding minutes after checking their type by content and size."""
    if kind not in DOCUMENT_FIELDS:
        raise ValueError(kind)
    name = upload.name or ""
    suffix = uploads.checked_suffix(
        upload,
        allowed=uploads.DOCUMENTS,
        refusal=_("Upload the document as PDF, Word (.docx) or OpenDocument (.odt)."),
        max_bytes=max_bytes,
    )
    getattr(cluster, kind).save(f"{cluster.slug}-{kind}{suffix}", upload, save=False)
    cluster.save(update_fields=[kind])
    audit_log(
        actor=actor,
        action=DOCUMENT_FIELDS[kind],
        target=cluster,
        scope=_scope(cluster),
        data={"file": name[:100]},
    )
    registration_refresh(cluster=cluster)
    return cluster


def registration_refresh(*, cluster: Cluster, on: dt.date | None = None) -> None:
    """Stamp the date the registration became complete (the grant payout starts from
    the next turn of the month, FIN-2); clear it if something required went missing."""
    on = on or today()
    complete = all(item.done for item in selectors.registration_checklist(cluster=cluster, on=on))
    if complete and cluster.registration_completed is None:
        cluster.registration_completed = on
        cluster.save(update_fields=["registration_completed"])
        audit_log(
            actor=None,
            action="registry.cluster.registration_completed",
            target=cluster,
            scope=_scope(cluster),
        )
    elif not complete and cluster.registration_completed is not None:
        cluster.registration_completed = None
        cluster.save(update_fields=["registration_completed"])


# --- Clinics --------------------------------------------------------------------------------


@transaction.atomic
def clinic_create(
    *,
    actor: Any,
    provider_number: str,
    name: str,
    address: str,
    postal_code: str,
    capacities: int,
    listed_patients: int,
    counted_on: dt.date,
    cvr: str = "",
) -> Clinic:
    """Add a clinic not yet in the register; its municipality and map position come
    from the postal code."""
    if Clinic.objects.filter(provider_number=provider_number).exists():
        raise DomainError(
            _("A clinic with provider number %(n)s is already registered.")
            % {"n": provider_number},
            field="provider_number",
        )
    area = selectors.postal_code_lookup(postal_code)
    if area is None:
        raise DomainError(
            _("Postal code %(code)s is not a known Danish postal area.") % {"code": postal_code},
            field="postal_code",
        )
    clinic = Clinic.objects.create(
        provider_number=provider_number,
        name=name.strip(),
        address=address.strip(),
        postal_code=postal_code,
        city=area.name,
        municipality=area.municipality,
        cvr=cvr,
        latitude=area.latitude,
        longitude=area.longitude,
    )
    ClinicCount.objects.create(
        clinic=clinic, on=counted_on, capacities=capacities, listed_patients=listed_patients
    )
    audit_log(
        actor=actor,
        action="registry.clinic.created",
        target=clinic,
        data={"provider_number": provider_number},
    )
    return clinic


@transaction.atomic
def clinic_count_record(
    *, actor: Any, clinic: Clinic, on: dt.date, capacities: int, listed_patients: int
) -> ClinicCount:
    count, _created = ClinicCount.objects.update_or_create(
        clinic=clinic,
        on=on,
        defaults={"capacities": capacities, "listed_patients": listed_patients},
    )
    audit_log(
        actor=actor,
        action="registry.clinic.counted",
        target=clinic,
        data={"on": str(on), "capacities": capacities, "listed_patients": listed_patients},
    )
    return count


# --- Composition changes (REG-3) --------------------------------------------------------------


def _lock(model, **filters):
    """Serialise concurrent changes to the same clinic/doctor/cluster (PostgreSQL)."""
    return list(model.objects.select_for_update().filter(**filters))


def _guard_integrity(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except IntegrityError as exc:  # the database's constraint caught a race
            raise DomainError(
                _("The change conflicts with another registration. Reload and try again.")
            ) from exc

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


@_guard_integrity
@transaction.atomic
def clinic_join(
    *, actor: Any, cluster: Cluster, clinic: Clinic, start: dt.date, with_doctors: bool
) -> Membership:
    """A registered clinic joins `cluster` on `start`, with its doctors who take part in
    no cluster then (one transaction: all of it or nothing)."""
    membership = membership_start(actor=actor, cluster=cluster, clinic=clinic, start=start)
    if with_doctors:
        for doctor in clinic.doctors.all():
            if not Participation.objects.filter(doctor=doctor).overlapping(start, None).exists():
                participation_start(actor=actor, cluster=cluster, doctor=doctor, start=start)
    return membership


@_guard_integrity
@transaction.atomic
def clinic_create_and_join(
    *,
    actor: Any,
    cluster: Cluster,
    provider_number: str,
    name: str,
    address: str,
    postal_code: str,
    capacities: Any,
    listed_patients: int,
    counted_on: dt.date,
    start: dt.date,
) -> Clinic:
    """A clinic not yet in the register is added and joins `cluster` on `start`."""
    clinic = clinic_create(
        actor=actor,
        provider_number=provider_number,
        name=name,
        address=address,
        postal_code=postal_code,
        capacities=capacities,
        listed_patients=listed_patients,
        counted_on=counted_on,
    )
    membership_start(actor=actor, cluster=cluster, clinic=clinic, start=start)
    return clinic


@_guard_integrity
@transaction.atomic
def membership_start(*, actor: Any, cluster: Cluster, clinic: Clinic, start: dt.date) -> Membership:
    """A clinic joins a cluster on `start`. A clinic is in at most one cluster at a time."""
    _lock(Clinic, pk=clinic.pk)
    if start < cluster.founded:
        raise DomainError(
            _("A clinic cannot join before the cluster was founded (%(d)s).")
            % {"d": format_date(cluster.founded)},
            field="start",
        )
    clash = (
        Membership.objects.filter(clinic=clinic)
        .overlapping(start, None)
        .select_related("cluster")
        .first()
    )
    if clash is not None:
        if clash.cluster_id == cluster.pk:
            msg = _("%(clinic)s is already a member of this cluster from %(d)s.")
        else:
            msg = _(
                "%(clinic)s is a member of %(other)s from %(d)s. It must leave that cluster first: a clinic can be in only one cluster at a time."
            )
        raise DomainError(
            msg
            % {"clinic": clinic.name, "other": clash.cluster.name, "d": format_date(clash.start)},
            field="clinic",
        )
    membership = Membership.objects.create(clinic=clinic, cluster=cluster, start=start)
    audit_log(
        actor=actor,
        action="registry.membership.started",
        target=membership,
        scope=_scope(cluster),
        data={"clinic": clinic.provider_number, "start": str(start)},
    )
    registration_refresh(cluster=cluster)
    return membership


@_guard_integrity
@transaction.atomic
def membership_end(*, actor: Any, membership: Membership, end: dt.date) -> Membership:
    """A clinic leaves on `end` (first day no longer a member); its doctors' participation
    and roles in the cluster end the same day."""
    _lock(Clinic, pk=membership.clinic_id)
    if membership.end is not None and membership.end <= end:
        raise DomainError(
            _("The clinic had already left on %(d)s.") % {"d": format_date(membership.end)},
            field="end",
        )
    if end <= membership.start:
        raise DomainError(
            _("The leaving date must be after the joining date (%(d)s).")
            % {"d": format_date(membership.start)},
            field="end",
        )
    membership.end = end
    membership.save(update_fields=["end"])
    cluster = membership.cluster
    doctors = Doctor.objects.filter(clinic=membership.clinic_id)
    for participation in Participation.objects.filter(
        cluster=cluster, doctor__in=doctors
    ).overlapping(end, None):
        if participation.start >= end:
            participation.delete()
        else:
            participation_end(actor=actor, participation=participation, end=end)
    audit_log(
        actor=actor,
        action="registry.membership.ended",
        target=membership,
        scope=_scope(cluster),
        data={"clinic": membership.clinic.provider_number, "end": str(end)},
    )
    registration_refresh(cluster=cluster)
    return membership


@_guard_integrity
@transaction.atomic
def participation_start(
    *, actor: Any, cluster: Cluster, doctor: Doctor, start: dt.date
) -> Participation:
    """A doctor joins the cluster's work on `start`; their clinic must be a member then."""
    _lock(Doctor, pk=doctor.pk)
    if selectors.clinic_cluster_on(clinic=doctor.clinic, on=start) != cluster:
        raise DomainError(
            _(
                "%(doctor)s's clinic (%(clinic)s) is not a member of the cluster on %(d)s. Add the clinic first."
            )
            % {"doctor": doctor.name, "clinic": doctor.clinic.name, "d": format_date(start)},
            field="doctor",
        )
    clash = (
        Participation.objects.filter(doctor=doctor)
        .overlapping(start, None)
        .select_related("cluster")
        .first()
    )
    if clash is not None:
        raise DomainError(
            _("%(doctor)s already takes part in %(other)s from %(d)s.")
            % {"doctor": doctor.name, "other": clash.cluster.name, "d": format_date(clash.start)},
            field="doctor",
        )
    participation = Participation.objects.create(doctor=doctor, cluster=cluster, start=start)
    audit_log(
        actor=actor,
        action="registry.participation.started",
        target=participation,
        scope=_scope(cluster),
        data={"doctor": doctor.name, "start": str(start)},
    )
    registration_refresh(cluster=cluster)
    from klynge.accounts.services import doctor_invite

    doctor_invite(actor=actor, doctor=doctor, cluster=cluster)
    return participation


@_guard_integrity
@transaction.atomic
def participation_end(*, actor: Any, participation: Participation, end: dt.date) -> Participation:
    """A doctor leaves on `end`; their roles in the cluster end with them."""
    if end <= participation.start:
        raise DomainError(
            _("The leaving date must be after the joining date (%(d)s).")
            % {"d": format_date(participation.start)},
            field="end",
        )
    if participation.end is not None and participation.end <= end:
        raise DomainError(
            _("The doctor had already left on %(d)s.") % {"d": format_date(participation.end)},
            field="end",
        )
    participation.end = end
    participation.save(update_fields=["end"])
    for role in RoleAssignment.objects.filter(
        cluster=participation.cluster, doctor=participation.doctor
    ).overlapping(end, None):
        if role.start >= end:
            role.delete()
        else:
            role_end(actor=actor, assignment=role, end=end)
    audit_log(
        actor=actor,
        action="registry.participation.ended",
        target=participation,
        scope=_scope(participation.cluster),
        data={"doctor": participation.doctor.name, "end": str(end)},
    )
    registration_refresh(cluster=participation.cluster)
    return participation


@_guard_integrity
@transaction.atomic
def role_assign(
    *,
    actor: Any,
    cluster: Cluster,
    doctor: Doctor,
    role: str,
    start: dt.date,
    hand_over_by: dt.date | None = None,
    hand_over_now: bool = False,
) -> RoleAssignment | None:
    """Give `doctor` a role from `start`. The holder of a single-holder role (e.g. the
    coordinator) hands over: their term ends the same day (REG-3, GOV-3).

    Re-electing the sitting holder continues their term (a term set to end is open
    again). Handing the coordinator's or treasurer's role from a holder who can log in
    to a doctor who cannot is a *pending hand-over* (`accounts.Handover`): the doctor is
    invited, and the outgoing holder keeps the role until the invitation is accepted or
    until `hand_over_by`; then None is returned. `hand_over_now` is the completion of
    such a hand-over. A doctor without a login who gets a role is invited."""
    from klynge.accounts import services as accounts

    _lock(Cluster, pk=cluster.pk)
    if not Participation.objects.active_on(start).filter(doctor=doctor, cluster=cluster).exists():
        raise DomainError(
            _(
                "%(doctor)s does not take part in the cluster on %(d)s; the %(role)s must be a participating doctor."
            )
            % {
                "doctor": doctor.name,
                "d": format_date(start),
                "role": mid_sentence(str(RoleKind(role).label)),
            },
            field="doctor",
        )
    terms = RoleAssignment.objects.filter(cluster=cluster, role=role)
    current = list(terms.overlapping(start, None).select_related("doctor__user"))
    own = [t for t in current if t.doctor_id == doctor.pk] or list(
        terms.filter(doctor=doctor, end=start)  # a term ending the day the new one starts
    )
    if own:
        term = _role_continue(actor=actor, term=own[-1], others=current)
        accounts.doctor_invite(actor=actor, doctor=doctor, cluster=cluster)
        return term
    if role in SINGLE_HOLDER_ROLES:
        for previous in current:
            if previous.start >= start:
                raise DomainError(
                    _("A later term for this role is already registered; end it first."),
                    field="start",
                )
        outgoing = current[-1] if current else None
        if (
            not hand_over_now
            and outgoing is not None
            and accounts.handover_needed(
                outgoing_user=outgoing.doctor.user, incoming_user=doctor.user, role=role
            )
        ):
            accounts.handover_request(
                actor=actor,
                cluster=cluster,
                doctor=doctor,
                role=role,
                start=start,
                hand_over_by=hand_over_by,
            )
            return None
        for previous in current:
            role_end(actor=actor, assignment=previous, end=start)
    assignment = RoleAssignment.objects.create(
        cluster=cluster, doctor=doctor, role=role, start=start
    )
    audit_log(
        actor=actor,
        action="registry.role.assigned",
        target=assignment,
        scope=_scope(cluster),
        data={"role": role, "doctor": doctor.name, "start": str(start)},
    )
    registration_refresh(cluster=cluster)
    accounts.doctor_invite(actor=actor, doctor=doctor, cluster=cluster)
    return assignment


def _role_continue(
    *, actor: Any, term: RoleAssignment, others: list[RoleAssignment]
) -> RoleAssignment:
    """Re-election of the sitting holder: the term goes on (an end already set is
    lifted), unless another holder's later term is registered."""
    if term.end is None:
        return term
    if term.role in SINGLE_HOLDER_ROLES and any(
        o.pk != term.pk and o.start >= term.end for o in others
    ):
        raise DomainError(
            _("A later term for this role is already registered; end it first."), field="start"
        )
    previous_end = term.end
    term.end = None
    term.save(update_fields=["end"])
    audit_log(
        actor=actor,
        action="registry.role.continued",
        target=term,
        scope=_scope(term.cluster),
        data={"role": term.role, "doctor": term.doctor.name, "end_lifted": str(previous_end)},
    )
    registration_refresh(cluster=term.cluster)
    return term


@transaction.atomic
def role_end(*, actor: Any, assignment: RoleAssignment, end: dt.date) -> RoleAssignment:
    if end <= assignment.start:
        raise DomainError(
            _("The term must end after it started (%(d)s).") % {"d": format_date(assignment.start)},
            field="end",
        )
    assignment.end = end
    assignment.save(update_fields=["end"])
    audit_log(
        actor=actor,
        action="registry.role.ended",
        target=assignment,
        scope=_scope(assignment.cluster),
        data={"role": assignment.role, "doctor": assignment.doctor.name, "end": str(end)},
    )
    registration_refresh(cluster=assignment.cluster)
    return assignment


@transaction.atomic
def doctor_create(*, actor: Any, clinic: Clinic, name: str, email: str = "") -> Doctor:
    name = re.sub(r"\s+", " ", name).strip()
    if not name:
        raise DomainError(_("Write the doctor's name."), field="name")
    doctor = Doctor.objects.create(clinic=clinic, name=name, email=email.strip().lower())
    audit_log(
        actor=actor,
        action="registry.doctor.created",
        target=doctor,
        data={"clinic": clinic.provider_number},
    )
    return doctor


@transaction.atomic
def doctor_email_set(*, actor: Any, doctor: Doctor, email: str) -> Doctor:
    """Record a doctor's e-mail address (so they can be invited)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Write a valid e-mail address."), field="email") from exc
    if doctor.email != email:
        old = doctor.email
        doctor.email = email
        doctor.save(update_fields=["email"])
        audit_log(
            actor=actor,
            action="registry.doctor.email_set",
            target=doctor,
            data={"old": old, "new": email},
        )
    return doctor
