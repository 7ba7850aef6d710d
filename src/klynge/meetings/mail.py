"""Meeting e-mail: the calendar file, the Danish message, and sending one `Dispatch`.

Every e-mail is a `Dispatch` row sent by the task worker. A send that fails keeps its
error, is retried with back-off (1, 4, 16 minutes), and stays visible on the meeting
page with a button to send it again: nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import parseaddr
from typing import Any

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from klynge.core import mail as core_mail
from klynge.meetings import selectors
from klynge.meetings.models import Dispatch, Meeting

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
CALENDAR_KINDS = {
    Dispatch.Kind.INVITATION,
    Dispatch.Kind.UPDATE,
    Dispatch.Kind.REMINDER,
    Dispatch.Kind.CANCELLATION,
}


def calendar_file(
    meeting: Meeting,
    *,
    sequence: int,
    cancel: bool = False,
    attendees: list[tuple[str, str]] | None = None,
) -> bytes:
    """An iTIP request (or cancellation) for the meeting that calendars and mail
    clients treat as an invitation (RFC 5546): METHOD REQUEST or CANCEL, the
    coordinator as ORGANIZER, each invitee as an ATTENDEE asked to answer, in
    Copenhagen time with its VTIMEZONE. The UID is the meeting's for its whole life;
    SEQUENCE counts changes, so calendars replace the event instead of adding another.

    `attendees` are (name, address) pairs: each recipient's own message names just
    that recipient, so no member's address is shown to the others."""
    assert meeting.starts is not None
    zone = timezone.get_default_timezone()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Klynge//Kvalitetsklynger//DA")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{meeting.uid}@klynge")
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", meeting.starts.astimezone(zone))
    ends = meeting.ends or meeting.starts + dt.timedelta(hours=2)
    event.add("dtend", ends.astimezone(zone))
    event.add("summary", f"{meeting.title} ({meeting.organiser_name})")
    location = ", ".join(p for p in [meeting.place, meeting.video_url] if p)
    if location:
        event.add("location", location)
    if meeting.video_url:
        event.add("url", meeting.video_url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    name, address = organizer(meeting)
    event.add("organizer", _calendar_address(name, address))
    for attendee_name, attendee_address in attendees or []:
        attendee = _calendar_address(attendee_name, attendee_address)
        attendee.params["cutype"] = icalendar.vText("INDIVIDUAL")
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        event.add("attendee", attendee)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _calendar_address(name: str, address: str) -> icalendar.vCalAddress:
    value = icalendar.vCalAddress(f"mailto:{address}")
    if name:
        value.params["cn"] = icalendar.vText(name)
    return value


def organizer(meeting: Meeting) -> tuple[str, str]:
    """Who the invitation comes from, as (name, address): the cluster's coordinator
    today, or else on the meeting's day; failing that another holder of a cluster role
    (chair first) with an address; failing that the site's own sender address under the
    cluster's name. Replies from calendars go there, so it is a real address.

    A network meeting comes from the staff member who planned it (the region's unit or
    the secretariat), or else the site's sender address under the network's name."""
    from klynge.core.dates import today
    from klynge.registry.models import RoleKind
    from klynge.registry.selectors import cluster_roles_on

    order: list[str] = [
        RoleKind.COORDINATOR,
        RoleKind.CHAIR,
        RoleKind.VICE_CHAIR,
        RoleKind.SECRETARY,
        RoleKind.TREASURER,
        RoleKind.DATA_PERSON,
        RoleKind.BOARD_MEMBER,
    ]
    if meeting.cluster is None:
        planner = meeting.created_by
        if planner is not None and planner.email and not _reserved(planner.email):
            return planner.get_full_name() or planner.email, planner.email
        return meeting.organiser_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    days = dict.fromkeys([today(), selectors.meeting_date(meeting)])
    for day in days:
        roles = sorted(
            cluster_roles_on(cluster=meeting.cluster, on=day).select_related("doctor__user"),
            key=lambda r: (order.index(r.role) if r.role in order else len(order), r.pk),
        )
        for role in roles:
            address = selectors.doctor_email(role.doctor)
            if address and not _reserved(address):
                return role.doctor.name, address
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return meeting.cluster.name, address


def _reserved(address: str) -> bool:
    """An address that cannot receive mail (RFC 2606's `.invalid`)."""
    return address.lower().rstrip(".").endswith(".invalid")


def build_message(dispatch: Dispatch) -> EmailMultiAlternatives:
    """The e-mail for one dispatch, always in Danish (the programme's language): a
    plain-text and an HTML part and, for a meeting with a date, the calendar request
    both as a `text/calendar` alternative (what mail clients show as an invitation
    with answer buttons) and as an `invitation.ics` file."""
    meeting = dispatch.meeting
    context: dict[str, Any] = {
        "dispatch": dispatch,
        "meeting": meeting,
        "announcement": dispatch.announcement,
        "cluster": dispatch.cluster,
        "site_url": settings.KLYNGE_SITE_URL,
    }
    if meeting is not None:
        context["items"] = list(meeting.items.select_related("owner"))
        context["open_actions"] = selectors.open_actions(meeting=meeting)
        context["speakers"] = list(meeting.speakers.all())
        context["slots"] = list(meeting.slots.all())
    template = "meetings/mail/dispatch"
    if meeting is not None and meeting.network_id is not None:
        # A network meeting's own wording and links (the network's page, not a cluster's).
        template = "meetings/mail/network_dispatch"
        context["organiser"] = meeting.organiser_name
    message = core_mail.build(template, context, to=[dispatch.recipient])
    # One Message-ID per dispatch, whatever the attempt: if a worker dies after the mail
    # server took the message but before the dispatch was marked sent, the one sent
    # again by the recovery is the same message, which servers and clients merge.
    message.extra_headers["Message-ID"] = message_id(dispatch)
    core_mail.set_return_path(message, kind="dispatch", pk=dispatch.pk)  # bounces name it
    if meeting is not None and dispatch.kind in CALENDAR_KINDS and meeting.starts:
        cancel = dispatch.kind == Dispatch.Kind.CANCELLATION
        ics = calendar_file(
            meeting,
            sequence=dispatch.sequence,
            cancel=cancel,
            attendees=[(dispatch.name, dispatch.recipient)],
        )
        method = "CANCEL" if cancel else "REQUEST"
        message.attach_alternative(ics.decode(), f"text/calendar; charset=utf-8; method={method}")
        message.attach("invitation.ics", ics, "application/ics")
    return message


def send(dispatch_id: int) -> str:
    """Send one dispatch; called by the worker. Returns the dispatch's new status."""
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update(of=("self",))
            .select_related("meeting__cluster", "announcement", "cluster")
            .get(pk=dispatch_id)
        )
        if dispatch.status == Dispatch.Status.SENT:
            return dispatch.status
        dispatch.attempts += 1
        try:
            build_message(dispatch).send()
        except Exception as error:  # any SMTP/socket failure: keep it, retry later
            dispatch.status = Dispatch.Status.FAILED
            dispatch.last_error = f"{type(error).__name__}: {error}"[:500]
            logger.warning("mail to %s failed: %s", dispatch.recipient, dispatch.last_error)
        else:
            dispatch.status = Dispatch.Status.SENT
            dispatch.sent_at = timezone.now()
            dispatch.last_error = ""
        dispatch.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    if dispatch.status == Dispatch.Status.FAILED and dispatch.attempts < MAX_ATTEMPTS:
        enqueue(dispatch, delay=dt.timedelta(minutes=4 ** (dispatch.attempts - 1)))
    return dispatch.status


def message_id(dispatch: Dispatch) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "klynge.invalid"
    return f"<dispatch-{dispatch.pk}@{domain}>"


SEND_TASK = "klynge.meetings.tasks.send_dispatch"


def dispatches_recover(*, now: dt.datetime | None = None) -> int:
    """Dispatches that no worker will send: their worker died while sending (its task
    stays "running" past the lease) or the process died between the commit and handing
    them to the worker. Each is handed to the worker again, once; the dead worker's
    transaction rolled back, so its status and attempts are as before the attempt.
    Returns how many. Run by `manage.py recover_tasks`."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS)
    tasks = DBTaskResult.objects.filter(task_path=SEND_TASK)
    with transaction.atomic():
        dead = tasks.select_for_update().filter(
            status=TaskResultStatus.RUNNING, started_at__lt=now - lease
        )
        dead.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="klynge.meetings.mail.WorkerLost",
            traceback="The worker stopped while sending; `recover_tasks` queued it again.",
        )
        waiting = {
            task.args_kwargs["args"][0]
            for task in tasks.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            ).only("args_kwargs")
        }
        lost = list(
            Dispatch.objects.select_for_update()
            .filter(status=Dispatch.Status.QUEUED, created__lt=now - lease)
            .exclude(pk__in=waiting)
        )
        enqueue_all(lost)
    return len(lost)


def enqueue(dispatch: Dispatch, *, delay: dt.timedelta | None = None) -> None:
    """Hand the dispatch to the worker once the surrounding transaction commits."""
    from klynge.meetings.tasks import send_dispatch

    task = send_dispatch
    if delay:
        task = task.using(run_after=timezone.now() + delay)
    transaction.on_commit(lambda: task.enqueue(dispatch.pk))


def enqueue_all(dispatches: list[Dispatch]) -> None:
    """Hand many dispatches to the worker on commit, as one transaction of task rows
    (one flush to disk instead of one per recipient)."""
    from klynge.meetings.tasks import send_dispatch

    ids = [d.pk for d in dispatches]

    def _enqueue() -> None:
        with transaction.atomic():
            for dispatch_id in ids:
                send_dispatch.enqueue(dispatch_id)

    if ids:
        transaction.on_commit(_enqueue)
