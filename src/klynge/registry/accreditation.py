"""A clinic's accreditation (REG-7): from 1 November 2019 a clinic in no cluster must be
accredited instead, so the regional units follow up the clinics outside the clusters
with the status and the day it was known.

The status is set by the unit of the region the clinic lies in today, or by the
secretariat; each change is an audit entry, and the clinic's history keeps every
earlier status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.registry.models import Accreditation, Clinic
from klynge.registry.selectors import in_region, staff_scope


def clinics_for_staff(*, user: Any, on: dt.date | None = None) -> Any:
    """The clinics whose accreditation `user` keeps: those in their region on `on`
    (default today) for regional staff, all for the secretariat, none otherwise."""
    on = on or today()
    if getattr(user, "is_secretariat", False):
        return Clinic.objects.all()
    region = staff_scope(user, on) if getattr(user, "is_authenticated", False) else None
    if region is None:
        return Clinic.objects.none()
    return Clinic.objects.filter(in_region(region, on))


@transaction.atomic
def clinic_accreditation_set(
    *, actor: Any, clinic: Clinic, status: str, as_of: dt.date | None
) -> Clinic:
    """Record the clinic's accreditation status as of `as_of` (a known status needs its
    day, which is not in the future)."""
    if status not in Accreditation.values:
        raise DomainError(_("Choose accredited, not accredited or unknown."), field="status")
    if status != Accreditation.UNKNOWN and as_of is None:
        raise DomainError(_("Give the date of the status."), field="as_of")
    if as_of is not None and as_of > today():
        raise DomainError(
            _("The status cannot be dated after today (%(d)s).") % {"d": format_date(today())},
            field="as_of",
        )
    if not clinics_for_staff(user=actor).filter(pk=clinic.pk).exists():
        raise DomainError(_("Only the unit of the clinic's region records its accreditation."))
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    previous = (clinic.accreditation, clinic.accreditation_date)
    clinic.accreditation, clinic.accreditation_date = status, as_of
    if previous == (status, as_of):
        return clinic
    clinic.save(update_fields=["accreditation", "accreditation_date"])
    audit_log(
        actor=actor,
        action="registry.clinic.accreditation",
        target=clinic,
        data={
            "status": status,
            "as_of": as_of.isoformat() if as_of else None,
            "previous": previous[0],
            "previous_as_of": previous[1].isoformat() if previous[1] else None,
        },
    )
    return clinic
