"""Permission-matrix rows for the meetings URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, post_only, rule


def _once(w, key: str, build):
    """Build a row's objects once per World (every role's run builds its own World)."""
    if key not in w.__dict__:
        w.__dict__[key] = build(w)
    return w.__dict__[key]


def _upcoming(w) -> dict:
    """An upcoming meeting of cluster A with an agenda, an attached file and an action."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from klynge.meetings import services

    meeting = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Matrixmødet",
        template="ordinary",
        starts=timezone.now() + dt.timedelta(days=20),
    )
    item = meeting.items.first()
    attachment = services.attachment_add(
        actor=None, item=item, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
    )
    action = services.action_add(actor=None, meeting=meeting, item=item, text="Følg op")
    return {"meeting": meeting, "attachment": attachment, "action": action}


def _held(w) -> dict:
    """A meeting of cluster A held a week ago, its minutes approved (version 1)."""
    import datetime as dt

    from django.utils import timezone

    from klynge.meetings import services

    meeting = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Afholdt matrixmøde",
        starts=timezone.now() - dt.timedelta(days=7),
    )
    services.minutes_approve(actor=None, meeting=meeting)
    return {"meeting": meeting}


def _m(w, **extra) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _once(w, "_upcoming", _upcoming)["meeting"].pk, **extra}


def _a(w) -> dict:
    return {"slug": w.cluster_a.slug}


def _pack_meeting(w):
    from klynge.meetings.services import meeting_create
    from klynge.quality.models import Indicator

    meeting = meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Møde med data",
        template="ordinary",
        indicators=[Indicator.objects.get(code="opioids")],
    )
    return {"slug": w.cluster_a.slug, "pk": meeting.pk}


# url name -> (kwargs builder taking the World, expected status per role)
ROWS: dict = {
    "meetings:pack": (_pack_meeting, rule(READERS_A)),
    "meetings:presentation": (_pack_meeting, rule(READERS_A)),
    "meetings:list": (_a, rule(READERS_A)),
    "meetings:create": (_a, rule(EDITORS_A)),
    "meetings:detail": (_m, rule(READERS_A)),
    "meetings:edit": (_m, rule(EDITORS_A)),
    "meetings:poll": (_m, post_only(READERS_A)),  # members answer; editors offer and close
    "meetings:invite": (_m, post_only(EDITORS_A)),
    "meetings:agenda": (_m, rule(EDITORS_A)),
    "meetings:attachment": (
        lambda w: _m(w, attachment=_once(w, "_upcoming", _upcoming)["attachment"].pk),
        rule(READERS_A),
    ),
    "meetings:attendance": (_m, rule(EDITORS_A)),
    "meetings:attendance.export": (lambda w: _m(w, fmt="csv"), rule(READERS_A)),
    "meetings:minutes": (_m, rule(READERS_A)),
    "meetings:minutes.pdf": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": _once(w, "_held", _held)["meeting"].pk,
            "number": 1,
        },
        rule(READERS_A),
    ),
    "meetings:action.status": (
        lambda w: _m(w, action=_once(w, "_upcoming", _upcoming)["action"].pk),
        post_only(EDITORS_A),
    ),
    "meetings:evaluation": (_m, rule(READERS_A)),
    "meetings:attendance_year": (_a, rule(READERS_A)),
    "meetings:activity_report": (_a, rule(EDITORS_A | {"region_a"})),
    "meetings:activity_report.download": (
        lambda w: {"slug": w.cluster_a.slug, "year": 2024, "fmt": "csv"},
        rule(EDITORS_A | {"region_a"}),
    ),
    "meetings:announcements": (_a, rule(READERS_A)),
}


# Writes (POST) of this domain: see WRITES in tests/test_permissions_matrix.py.
WRITES: dict = {}
