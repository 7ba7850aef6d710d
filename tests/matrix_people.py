"""Permission-matrix rows for the accounts URLs: invitations, the people page,
hand-overs, staff invitations and the secretariat's step-in (issue 11)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, ROLES, post_only, rule, writes

STAFF = {"region_a", "region_other", "secretariat"}
HAND_OVER = {"coordinator_a", "secretariat"}


def _once(w, key: str, build):
    if key not in w.__dict__:
        w.__dict__[key] = build(w)
    return w.__dict__[key]


def _doctor_invitation(w):
    from klynge.accounts import services
    from klynge.registry.models import Doctor

    def build(w):
        doctor = Doctor.objects.filter(clinic__in=w.clinics_a, user__isnull=True).order_by("id")[0]
        doctor.email = "matrix.invitation@a.test"
        doctor.save(update_fields=["email"])
        return services.doctor_invite(actor=None, doctor=doctor, cluster=w.cluster_a)

    return _once(w, "people_invitation", build)


def _staff_invitation(w):
    from klynge.accounts import services
    from klynge.registry.models import Region

    def build(w):
        return services.staff_invite(
            actor=w.users["secretariat"],
            email="matrix.staff@region.test",
            name="",
            region=Region.objects.get(code=1085),
        )

    return _once(w, "people_staff_invitation", build)


def _handover(w):
    import datetime as dt

    from klynge.accounts import services
    from klynge.registry.models import Doctor, RoleKind

    def build(w):
        doctor = Doctor.objects.filter(clinic__in=w.clinics_a, user__isnull=True).order_by("-id")[0]
        doctor.email = "matrix.handover@a.test"
        doctor.save(update_fields=["email"])
        return services.handover_request(
            actor=None,
            cluster=w.cluster_a,
            doctor=doctor,
            role=RoleKind.COORDINATOR,
            start=dt.date.today(),
        )

    return _once(w, "people_handover", build)


def _token(w) -> dict:
    from klynge.accounts.services import invitation_token

    return {"token": invitation_token(_doctor_invitation(w))}


def _global(allowed: set[str], *, get: bool) -> dict:
    """A global page (403 for the others) or a global POST-only write (405 to a GET)."""
    ok = 405 if not get else 200
    return {role: ok if role in allowed else 302 if role == "anonymous" else 403 for role in ROLES}


ROWS: dict = {
    "accounts:invitation": (_token, dict.fromkeys(ROLES, 200)),
    "accounts:invitation.accept": (_token, post_only(set(ROLES))),
    "accounts:people": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "accounts:invitation.resend": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _doctor_invitation(w).pk},
        post_only(EDITORS_A),
    ),
    "accounts:doctor.invite": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _doctor_invitation(w).doctor_id},
        post_only(EDITORS_A),
    ),
    "accounts:handover.date": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _handover(w).pk},
        post_only(HAND_OVER),
    ),
    "accounts:staff": (lambda w: {}, _global(STAFF, get=True)),
    "accounts:staff.invite": (lambda w: {}, _global(STAFF, get=False)),
    "accounts:staff.resend": (
        lambda w: {"pk": _staff_invitation(w).pk},
        _global(STAFF, get=False),
    ),
    "accounts:orphans": (lambda w: {}, _global({"secretariat"}, get=True)),
    "accounts:orphan.appoint": (
        lambda w: {"slug": w.cluster_b.slug},
        _global({"secretariat"}, get=False),
    ),
}


WRITES: dict = {
    "accounts:invitation.accept": (_token, writes(set(ROLES))),
    "accounts:invitation.resend": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _doctor_invitation(w).pk},
        writes(EDITORS_A),
    ),
    "accounts:doctor.invite": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _doctor_invitation(w).doctor_id},
        writes(EDITORS_A),
    ),
    "accounts:handover.date": (
        lambda w: {"slug": w.cluster_a.slug, "pk": _handover(w).pk},
        writes(HAND_OVER),
    ),
    "accounts:staff.invite": (lambda w: {}, writes(STAFF, denied=403)),
    # Another region's staff invitation is not found (404) by regional staff.
    "accounts:staff.resend": (
        lambda w: {"pk": _staff_invitation(w).pk},
        {**writes({"region_a", "secretariat"}, denied=403), "region_other": 404},
    ),
    "accounts:orphan.appoint": (
        lambda w: {"slug": w.cluster_b.slug},
        writes({"secretariat"}, denied=403),
    ),
}
