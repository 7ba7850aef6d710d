"""Meeting e-mail: the calendar file, the Danish message, and sending one `Dispatch`.

Every e-mail is a `Dispatch` row sent by the task worker. A send that fails keeps its
error, is retried with back-off (1, 4, 16 minutes), and stays visible on the meeting
page with a button to send it again: nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

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


def calendar_file(meeting: Meeting, *, sequence: int, cancel: bool = False) -> bytes:
    """An iCalendar request (or cancellation) for the meeting, in Copenhagen time with
    its VTIMEZONE. The UID is the meeting's for its whole life; SEQUENCE counts changes,
    so calendars replace the event instead of adding another."""
    assert meeting.starts is not None
    zone = timezone.get_default_timezone()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Klynge//Kvalitetsklynger//DA")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{meeting.uid}@klynge")
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts.astimezone(zone))
    ends = meeting.ends or meeting.starts + dt.timedelta(hours=2)
    event.add("dtend", ends.astimezone(zone))
    event.add("summary", f"{meeting.title} ({meeting.cluster.name})")
    location = ", ".join(p for p in [meeting.place, meeting.video_url] if p)
    if location:
        event.add("location", location)
    if meeting.video_url:
        event.add("url", meeting.video_url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{_from_address()}")
    organizer.params["cn"] = icalendar.vText(meeting.cluster.name)
    event.add("organizer", organizer)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _from_address() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return address.split("<")[-1].rstrip(">").strip()


def build_message(dispatch: Dispatch) -> EmailMultiAlternatives:
    """The e-mail for one dispatch, always in Danish (the programme's language)."""
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
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("meetings/mail/subject.txt", context).strip()
        body = render_to_string("meetings/mail/body.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[dispatch.recipient],
    )
    if meeting is not None and dispatch.kind in CALENDAR_KINDS and meeting.starts:
        cancel = dispatch.kind == Dispatch.Kind.CANCELLATION
        ics = calendar_file(meeting, sequence=dispatch.sequence, cancel=cancel)
        method = "CANCEL" if cancel else "REQUEST"
        message.attach("invitation.ics", ics, f"text/calendar; charset=utf-8; method={method}")
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
