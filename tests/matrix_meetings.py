"""Permission-matrix rows for the meetings URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, post_only, rule, writes


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
    from klynge.meetings.models import Dispatch

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
    decision = services.decision_add(actor=None, meeting=meeting, item=item, text="Besluttet")
    slot = services.poll_open(
        actor=None,
        meeting=services.meeting_create(actor=None, cluster=w.cluster_a, title="Uden dato"),
        slots=[(meeting.starts, meeting.starts + dt.timedelta(hours=2))],
    )[0]
    guest = services.guest_add(actor=None, meeting=meeting, name="Gæst", kind="staff")
    speaker = services.speaker_add(actor=None, meeting=meeting, name="Oplægsholder", fee=1000)
    dispatch = Dispatch.objects.create(
        cluster=w.cluster_a,
        meeting=meeting,
        recipient="x@a.test",
        name="X",
        kind=Dispatch.Kind.INVITATION,
        status=Dispatch.Status.FAILED,
    )
    return {
        "meeting": meeting,
        "attachment": attachment,
        "action": action,
        "item": item,
        "decision": decision,
        "slot": slot,
        "guest": guest,
        "speaker": speaker,
        "dispatch": dispatch,
    }


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
    "meetings:evaluation": (_m, rule(READERS_A)),
    "meetings:attendance_year": (_a, rule(READERS_A)),
    "meetings:activity_report": (_a, rule(EDITORS_A | {"region_a"})),
    "meetings:activity_report.download": (
        lambda w: {"slug": w.cluster_a.slug, "year": 2024, "fmt": "csv"},
        rule(EDITORS_A | {"region_a"}),
    ),
    "meetings:announcements": (_a, rule(READERS_A)),
}


def _part(key: str, kwarg: str | None = None, **extra):
    """Kwargs of a write on one object of the upcoming meeting (`key` in `_upcoming`)."""

    def build(w) -> dict:
        made = _once(w, "_upcoming", _upcoming)
        if key == "poll":  # the poll is on its own meeting, without a date
            return {"slug": w.cluster_a.slug, "pk": made["slot"].meeting_id}
        if key == "slot":
            return {
                "slug": w.cluster_a.slug,
                "pk": made["slot"].meeting_id,
                "slot": made["slot"].pk,
            }
        return _m(w, **{kwarg or key: made[key].pk}, **extra)

    return build


def _held_m(w, **extra) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _once(w, "_held", _held)["meeting"].pk, **extra}


MEMBERS_A = {"member_a", "coordinator_a", "board_a"}  # doctors of cluster A: answer, evaluate
APPROVERS_A = {"coordinator_a", "board_a"}
BOOKKEEPERS_A = {"coordinator_a", "board_a"}  # finance.manage_books

# One write = one URL = one permission: url name -> (kwargs builder, roles allowed).
# Every role's run posts them in this order on one World: the removals come last, so
# the objects the other writes name still exist.
_WRITES: dict = {
    "meetings:meeting.create": (_a, EDITORS_A),
    "meetings:meeting.update": (_m, EDITORS_A),
    "meetings:invite.send": (_m, EDITORS_A),
    "meetings:dispatch.retry": (_part("dispatch"), EDITORS_A),
    "meetings:speaker.add": (_m, EDITORS_A),
    "meetings:speaker.fee": (_part("speaker"), BOOKKEEPERS_A),
    "meetings:poll.answer": (_part("poll"), MEMBERS_A),
    "meetings:meeting.rsvp": (_m, MEMBERS_A),
    "meetings:poll.slot.add": (_m, EDITORS_A),
    "meetings:poll.send": (_part("poll"), EDITORS_A),
    "meetings:poll.remind": (_part("poll"), EDITORS_A),
    "meetings:poll.close": (_part("slot"), EDITORS_A),
    "meetings:agenda.template": (_m, EDITORS_A),
    "meetings:agenda.item.add": (_m, EDITORS_A),
    "meetings:agenda.item.update": (_part("item"), EDITORS_A),
    "meetings:agenda.item.move": (_part("item", direction="down"), EDITORS_A),
    "meetings:agenda.item.attach": (_part("item"), EDITORS_A),
    "meetings:attendance.record": (_m, EDITORS_A),
    "meetings:guest.add": (_m, EDITORS_A),
    "meetings:minutes.notes": (_part("item"), EDITORS_A),
    "meetings:decision.add": (_part("item"), EDITORS_A),
    "meetings:action.add": (_part("item"), EDITORS_A),
    "meetings:action.status": (_part("action"), EDITORS_A),
    "governance:election.record": (_m, EDITORS_A),
    "meetings:minutes.approve": (lambda w: _held_m(w, number=1), APPROVERS_A),
    "meetings:minutes.correct": (_held_m, APPROVERS_A),
    "meetings:evaluation.submit": (_m, MEMBERS_A),
    "meetings:announcement.send": (_a, APPROVERS_A),
    "meetings:speaker.remove": (_part("speaker"), EDITORS_A),
    "meetings:decision.delete": (_part("decision"), EDITORS_A),
    "meetings:action.delete": (_part("action"), EDITORS_A),
    "meetings:guest.remove": (_part("guest"), EDITORS_A),
    "meetings:agenda.item.delete": (_part("item"), EDITORS_A),
    "meetings:meeting.cancel": (_m, EDITORS_A),
}

# Every write URL also answers a GET: 405 to those allowed to post, 404 to the rest.
ROWS.update({name: (kwargs, post_only(allowed)) for name, (kwargs, allowed) in _WRITES.items()})

# Writes (POST) of this domain: see WRITES in tests/test_permissions_matrix.py.
WRITES: dict = {name: (kwargs, writes(allowed)) for name, (kwargs, allowed) in _WRITES.items()}
