"""Permission-matrix rows for the support desk (news, courses), merged into
test_permissions_matrix."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, EVERYONE, LOGGED_IN, ROLES, post_only, rule, writes

STAFF = {"region_a", "region_other", "secretariat"}


def _once(w, key: str, build):
    if key not in w.__dict__:
        w.__dict__[key] = build(w)
    return w.__dict__[key]


def _support(w) -> dict:
    """A public news item, a course and an upcoming session with a seat taken."""
    import datetime as dt

    from django.utils import timezone

    from klynge.support import services

    news = services.news_publish(
        actor=w.users["secretariat"], title="Nyt kursus", body="Tekst", audience="public"
    )
    course = services.course_create(actor=None, title="Facilitering af klyngemøder")
    starts = timezone.now() + dt.timedelta(days=30)
    session = services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=6),
        place="Kolding",
        seats=30,
    )
    return {"news": news, "course": course, "session": session}


def news(w) -> dict:
    return {"pk": _once(w, "_support", _support)["news"].pk}


def course(w) -> dict:
    return {"pk": _once(w, "_support", _support)["course"].pk}


def session(w) -> dict:
    return {"pk": _once(w, "_support", _support)["session"].pk}


def _inquiry(w) -> dict:
    """A received group-1 inquiry, and an approved one forwarded to cluster A."""
    from klynge.support import inquiries

    def submit(name):
        return inquiries.inquiry_submit(
            organisation=name,
            kind="municipality",
            contact_name="K",
            email="k@kommune.test",
            proposal="Forslag",
        )

    received = submit("Køge Kommune")
    sent = submit("Hillerød Kommune")
    sec = w.users["secretariat"]
    inquiries.inquiry_decide(actor=sec, inquiry=sent, approve=True)
    result = inquiries.inquiry_forward(actor=sec, inquiry=sent)
    forwarding = next(f for f in result.sent if f.cluster_id == w.cluster_a.pk)
    return {"received": received, "forwarding": forwarding}


def inquiry(w) -> dict:
    return {"pk": _once(w, "_inquiry", _inquiry)["received"].pk}


def token(w) -> dict:
    return {"token": _once(w, "_inquiry", _inquiry)["received"].token}


def forwarding(w) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _once(w, "_inquiry", _inquiry)["forwarding"].pk}


def global_post_only(allowed: set[str]) -> dict[str, int]:
    """A POST-only global write: the allowed get 405 to a GET, others 403."""
    return {role: 405 if role in allowed else 302 if role == "anonymous" else 403 for role in ROLES}


REPORT_SENDERS = {"coordinator_a", "board_a"}
NETWORK_SJAELLAND = {"coordinator_a", "region_a", "secretariat"}


def _sjaelland(w) -> dict:
    return {"pk": 1085}


NETWORK_ORGANISERS = {"region_a", "secretariat"}


def _network_meetings(w) -> dict:
    """Region Sjælland's network: an upcoming meeting with an item and a failed e-mail,
    and a held one with approved minutes."""
    import datetime as dt

    from django.utils import timezone

    from klynge.meetings import services
    from klynge.meetings.models import Dispatch
    from klynge.registry.models import Region

    region = Region.objects.get(code=1085)
    upcoming = services.network_meeting_create(
        actor=None,
        network=region,
        title="Netværksmødet",
        template="ordinary",
        starts=timezone.now() + dt.timedelta(days=20),
    )
    dispatch = Dispatch.objects.create(
        meeting=upcoming,
        recipient="x@a.test",
        name="X",
        kind=Dispatch.Kind.INVITATION,
        status=Dispatch.Status.FAILED,
    )
    held = services.network_meeting_create(
        actor=None,
        network=region,
        title="Det holdte netværksmøde",
        starts=timezone.now() - dt.timedelta(days=2),
    )
    services.item_save(actor=None, meeting=held, title="Punkt")
    services.minutes_approve(actor=None, meeting=held)
    return {
        "upcoming": upcoming,
        "item": upcoming.items.first(),
        "dispatch": dispatch,
        "held": held,
    }


def _nm(w, **extra) -> dict:
    found = _once(w, "_network_meetings", _network_meetings)
    return {"pk": 1085, "meeting": found["upcoming"].pk, **extra}


def _nm_item(w) -> dict:
    return _nm(w, item=_once(w, "_network_meetings", _network_meetings)["item"].pk)


def _nm_dispatch(w) -> dict:
    return _nm(w, dispatch=_once(w, "_network_meetings", _network_meetings)["dispatch"].pk)


def _nm_held(w) -> dict:
    found = _once(w, "_network_meetings", _network_meetings)
    return {"pk": 1085, "meeting": found["held"].pk, "number": 1}


def _report_a(w) -> dict:
    return {"slug": w.cluster_a.slug, "year": 2024}


ROWS = {
    "support:news.list": (lambda w: {}, EVERYONE),
    "support:news.feed": (lambda w: {}, EVERYONE),
    "support:news.detail": (news, EVERYONE),
    "support:news.publish": (lambda w: {}, global_post_only(STAFF)),
    "support:digest.subscribe": (lambda w: {}, global_post_only(LOGGED_IN)),
    "support:digest.unsubscribe": (lambda w: {}, global_post_only(LOGGED_IN)),
    "support:course.list": (lambda w: {}, EVERYONE),
    "support:course.create": (lambda w: {}, global_post_only({"secretariat"})),
    "support:session.add": (course, global_post_only({"secretariat"})),
    "support:interest.register": (course, global_post_only(LOGGED_IN)),
    "support:interest.withdraw": (course, global_post_only(LOGGED_IN)),
    "support:seats.reserve": (session, global_post_only({"secretariat"})),
    "support:seat.book": (session, global_post_only(LOGGED_IN)),
    "support:seat.cancel": (session, global_post_only(LOGGED_IN)),
    "support:waiting.join": (session, global_post_only(LOGGED_IN)),
    "support:waiting.leave": (session, global_post_only(LOGGED_IN)),
    "support:offer.accept": (session, global_post_only(LOGGED_IN)),
    "support:session.attendance": (session, rule(STAFF, others=403)),
    "support:session.ics": (session, EVERYONE),
    "support:inquiry.new": (lambda w: {}, EVERYONE),
    "support:inquiry.submit": (lambda w: {}, dict.fromkeys(ROLES, 405)),
    "support:inquiry.status": (token, EVERYONE),
    "support:collaborations": (lambda w: {}, EVERYONE),
    "support:inquiry.queue": (lambda w: {}, rule({"secretariat"}, others=403)),
    "support:inquiry.triage": (inquiry, global_post_only({"secretariat"})),
    "support:inquiry.decide": (inquiry, global_post_only({"secretariat"})),
    "support:inquiry.forward": (inquiry, global_post_only({"secretariat"})),
    # Nobody in the matrix's world sits on the steering committee.
    "support:committee": (lambda w: {}, rule(set(), others=403)),
    "support:committee.decide": (inquiry, global_post_only(set())),
    "support:cluster.inquiries": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "support:forwarding.opt_in": (forwarding, post_only({"coordinator_a"})),
    # Activity reports (OK22): the cluster sends; the secretariat and the units follow up.
    "support:report.submit": (_report_a, post_only(REPORT_SENDERS)),
    "support:reports": (lambda w: {}, rule(STAFF, others=403)),
    "support:reports.csv": (lambda w: {}, rule(STAFF, others=403)),
    # Coordinator networks: Region Sjælland's takes in cluster A's coordinator (by role),
    # the region's unit and the secretariat; a board member only after opting in.
    "support:networks": (lambda w: {}, rule(LOGGED_IN, others=403)),
    "support:network": (_sjaelland, rule(NETWORK_SJAELLAND)),
    "support:network.post": (_sjaelland, post_only(NETWORK_SJAELLAND)),
    "support:network.opt_in": (lambda w: {}, global_post_only(LOGGED_IN)),
    "support:network.opt_out": (lambda w: {}, global_post_only(LOGGED_IN)),
    "support:handover": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    # Network meetings: the network's roles (its organisers plan and run them; its
    # members read them and answer whether they come), under the network's address.
    "support:network.meeting.plan": (_sjaelland, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting": (_nm, rule(NETWORK_SJAELLAND)),
    "support:network.meeting.pdf": (_nm_held, rule(NETWORK_SJAELLAND)),
    "support:network.meeting.update": (_nm, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.invite": (_nm, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.cancel": (_nm, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.retry": (_nm_dispatch, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.rsvp": (_nm, post_only({"coordinator_a"})),
    "support:network.meeting.item.add": (_nm, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.item.delete": (_nm_item, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.attendance": (_nm, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.notes": (_nm_item, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.decision.add": (_nm_item, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.action.add": (_nm_item, post_only(NETWORK_ORGANISERS)),
    "support:network.meeting.approve": (_nm_held, post_only(NETWORK_ORGANISERS)),
}

WRITES = {
    "support:news.publish": (lambda w: {}, writes(STAFF, denied=403)),
    "support:digest.subscribe": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    "support:digest.unsubscribe": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    "support:course.create": (lambda w: {}, writes({"secretariat"}, denied=403)),
    "support:session.add": (course, writes({"secretariat"}, denied=403)),
    "support:interest.register": (course, writes(LOGGED_IN, denied=403)),
    "support:interest.withdraw": (course, writes(LOGGED_IN, denied=403)),
    "support:seats.reserve": (session, writes({"secretariat"}, denied=403)),
    "support:seat.book": (session, writes(LOGGED_IN, denied=403)),
    "support:seat.cancel": (session, writes(LOGGED_IN, denied=403)),
    "support:waiting.join": (session, writes(LOGGED_IN, denied=403)),
    "support:waiting.leave": (session, writes(LOGGED_IN, denied=403)),
    "support:offer.accept": (session, writes(LOGGED_IN, denied=403)),
    "support:inquiry.submit": (lambda w: {}, dict.fromkeys(ROLES, "ok")),
    "support:inquiry.triage": (inquiry, writes({"secretariat"}, denied=403)),
    "support:inquiry.decide": (inquiry, writes({"secretariat"}, denied=403)),
    "support:inquiry.forward": (inquiry, writes({"secretariat"}, denied=403)),
    "support:committee.decide": (inquiry, writes(set(), denied=403)),
    "support:forwarding.opt_in": (forwarding, writes({"coordinator_a"})),
    "support:report.submit": (_report_a, writes(REPORT_SENDERS)),
    "support:network.post": (_sjaelland, writes(NETWORK_SJAELLAND)),
    "support:network.opt_in": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    "support:network.opt_out": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    # In this order: the item is removed after the writes under it.
    "support:network.meeting.plan": (_sjaelland, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.update": (_nm, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.retry": (_nm_dispatch, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.rsvp": (_nm, writes({"coordinator_a"})),
    "support:network.meeting.item.add": (_nm, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.attendance": (_nm, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.notes": (_nm_item, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.decision.add": (_nm_item, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.action.add": (_nm_item, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.item.delete": (_nm_item, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.approve": (_nm_held, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.invite": (_nm, writes(NETWORK_ORGANISERS)),
    "support:network.meeting.cancel": (_nm, writes(NETWORK_ORGANISERS)),
}
