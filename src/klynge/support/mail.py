"""The support desk's e-mail: the news digest, the offer of a freed course seat and
news of a planned session for those on a course's interest list,
always in Danish, as plain text and accessible HTML (`klynge.core.mail`), sent by the
worker through the configured SMTP server."""

from __future__ import annotations

import logging

import icalendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from klynge.core import mail as core_mail
from klynge.support.models import CourseInterest, CourseSession, DigestMail, WaitingEntry

logger = logging.getLogger(__name__)


def send_digest(mail_id: int) -> str:
    """Send one digest; a failure is kept on the row with its error."""
    with transaction.atomic():
        mail = (
            DigestMail.objects.select_for_update(of=("self",))
            .select_related("subscription__user")
            .get(pk=mail_id)
        )
        if mail.status == DigestMail.Status.SENT:
            return mail.status
        mail.attempts += 1
        context = {
            "items": list(mail.items.order_by("-published", "-id")),
            "site_url": settings.KLYNGE_SITE_URL,
        }
        message = core_mail.build("support/mail/digest", context, to=[mail.subscription.user.email])
        try:
            message.send()
        except Exception as error:  # SMTP/socket failure: keep it visible
            mail.status = DigestMail.Status.FAILED
            mail.last_error = f"{type(error).__name__}: {error}"[:500]
            logger.warning("digest %s failed: %s", mail.pk, mail.last_error)
        else:
            mail.status = DigestMail.Status.SENT
            mail.last_error = ""
        mail.save(update_fields=["status", "attempts", "last_error"])
        return mail.status


def send_offer(entry_id: int) -> str:
    """Tell the next in line that a seat is theirs to take until the offer expires."""
    entry = WaitingEntry.objects.select_related("session__course", "user").get(pk=entry_id)
    if entry.status != WaitingEntry.Status.OFFERED:
        return "skipped"
    context = {"entry": entry, "session": entry.session, "site_url": settings.KLYNGE_SITE_URL}
    core_mail.build("support/mail/offer", context, to=[entry.user.email]).send()
    return "sent"


def send_session_planned(interest_id: int, session_id: int) -> str:
    """Tell someone on a course's interest list that a session is planned (once)."""
    with transaction.atomic():
        interest = (
            CourseInterest.objects.select_for_update(of=("self",))
            .select_related("user", "course")
            .filter(pk=interest_id)
            .first()
        )
        if interest is None or interest.notified is not None:
            return "skipped"
        session = CourseSession.objects.select_related("course").get(pk=session_id)
        context = {"session": session, "site_url": settings.KLYNGE_SITE_URL}
        core_mail.build("support/mail/planned", context, to=[interest.user.email]).send()
        interest.notified = timezone.now()
        interest.save(update_fields=["notified"])
        return "sent"


def calendar_file(session: CourseSession) -> bytes:
    """The session as an iCalendar event in Copenhagen time (one UID for its life)."""
    zone = timezone.get_default_timezone()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Klynge//Kurser//DA")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"{session.uid}@klynge")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts.astimezone(zone))
    event.add("dtend", session.ends.astimezone(zone))
    event.add("summary", session.course.title)
    event.add("location", session.place)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
