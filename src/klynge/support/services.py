"""Writes of the support desk: each owns its transaction and audit entry and raises
`DomainError` with a message for the user.

Seats: a session's free seats are its seats minus live bookings minus open offers (a
seat offered from the waiting list is held for the one offered it until the offer
expires). Every write that changes seats locks the session row first
(`select_for_update`), so two people taking the last seat at once get one seat between
them: the second waits for the first's commit and then sees the session full.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.support.models import (
    Audience,
    Booking,
    Course,
    CourseSession,
    DigestMail,
    DigestSubscription,
    NewsItem,
    WaitingEntry,
)


def offer_hours() -> int:
    """How long a seat offered from the waiting list is held (hours)."""
    return settings.KLYNGE_COURSE_OFFER_HOURS


# --- News -------------------------------------------------------------------------------


def news_publish(
    *,
    actor: Any,
    title: str,
    body: str,
    audience: str,
    region: Any = None,
    staff_region: Any = None,
    published: dt.datetime | None = None,
) -> NewsItem:
    """Publish a news item. The secretariat writes to anyone; a regional unit
    (`staff_region`) writes to the public or to its own region, not to every
    coordinator in the country."""
    is_secretariat = bool(getattr(actor, "is_secretariat", False))
    if audience not in Audience.values:
        raise DomainError(_("Choose who the news is for."), field="audience")
    if not is_secretariat:
        if staff_region is None:
            raise DomainError(_("Only the secretariat and the regional units publish news."))
        if audience == Audience.COORDINATORS:
            raise DomainError(
                _("News to every coordinator in the country is published by the secretariat."),
                field="audience",
            )
        if audience == Audience.REGION:
            region = staff_region
    if audience == Audience.REGION and region is None:
        raise DomainError(_("Choose the region the news is for."), field="region")
    if audience != Audience.REGION:
        region = None
    with transaction.atomic():
        item = NewsItem.objects.create(
            title=title.strip(),
            body=body.strip(),
            audience=audience,
            region=region,
            published=published or timezone.now(),
            author=actor if getattr(actor, "is_authenticated", False) else None,
            publisher_region=None if is_secretariat else staff_region,
        )
        audit_log(
            actor=actor,
            action="support.news.publish",
            target=item,
            data={"title": item.title, "audience": audience, "region": region and region.pk},
        )
    return item


def digest_subscribe(*, user: Any) -> DigestSubscription:
    with transaction.atomic():
        subscription, created = DigestSubscription.objects.get_or_create(
            user=user, defaults={"sent_until": timezone.now()}
        )
        if created:
            audit_log(actor=user, action="support.digest.subscribe", target=subscription)
    return subscription


def digest_unsubscribe(*, user: Any) -> None:
    with transaction.atomic():
        deleted, _rows = DigestSubscription.objects.filter(user=user).delete()
        if deleted:
            audit_log(actor=user, action="support.digest.unsubscribe", scope="support")


def digest_queue(*, now: dt.datetime | None = None) -> list[DigestMail]:
    """One digest per subscriber with news they may read published since their last
    digest; handed to the worker on commit. Subscribers with nothing new get nothing."""
    from klynge.support import selectors

    now = now or timezone.now()
    mails: list[DigestMail] = []
    with transaction.atomic():
        for subscription in DigestSubscription.objects.select_for_update().select_related("user"):
            since = subscription.sent_until or subscription.created
            items = [
                item
                for item in selectors.news_for(user=subscription.user, on=now.date(), now=now)
                if since < item.published <= now
            ]
            subscription.sent_until = now
            subscription.save(update_fields=["sent_until"])
            if not items:
                continue
            mail = DigestMail.objects.create(subscription=subscription)
            mail.items.set(items)
            mails.append(mail)
        if mails:
            audit_log(
                actor=None,
                action="support.digest.queue",
                scope="support",
                data={"mails": len(mails)},
            )
        ids = [m.pk for m in mails]

        def _enqueue() -> None:
            from klynge.support.tasks import send_digest

            for mail_id in ids:
                send_digest.enqueue(mail_id)

        transaction.on_commit(_enqueue)
    return mails


# --- Courses ----------------------------------------------------------------------------


def course_create(*, actor: Any, title: str, description: str = "", audience: str = "") -> Course:
    with transaction.atomic():
        course = Course.objects.create(
            title=title.strip(), description=description.strip(), audience=audience.strip()
        )
        audit_log(actor=actor, action="support.course.create", target=course, data={"title": title})
    return course


def session_add(
    *,
    actor: Any,
    course: Course,
    starts: dt.datetime,
    ends: dt.datetime,
    place: str,
    seats: int,
) -> CourseSession:
    if ends <= starts:
        raise DomainError(_("The session must end after it starts."), field="ends")
    if seats < 1:
        raise DomainError(_("A session needs at least one seat."), field="seats")
    with transaction.atomic():
        session = CourseSession.objects.create(
            course=course, starts=starts, ends=ends, place=place.strip(), seats=seats
        )
        audit_log(
            actor=actor,
            action="support.session.add",
            target=session,
            data={"course": course.pk, "starts": starts.isoformat(), "seats": seats},
        )
    return session


def _locked(session: CourseSession) -> CourseSession:
    """The session row, locked until the transaction ends (the seat count's guard)."""
    return CourseSession.objects.select_for_update().get(pk=session.pk)


def _taken(session: CourseSession, now: dt.datetime) -> int:
    booked = Booking.objects.filter(session=session, cancelled__isnull=True).count()
    held = WaitingEntry.objects.filter(
        session=session, status=WaitingEntry.Status.OFFERED, offer_expires__gt=now
    ).count()
    return booked + held


def _expire_and_offer(session: CourseSession, now: dt.datetime) -> list[WaitingEntry]:
    """Under the session's lock: let lapsed offers expire, then offer each free seat to
    the next waiting in line. Returns the new offers."""
    lapsed = list(
        WaitingEntry.objects.filter(
            session=session, status=WaitingEntry.Status.OFFERED, offer_expires__lte=now
        )
    )
    for entry in lapsed:
        entry.status = WaitingEntry.Status.EXPIRED
        entry.save(update_fields=["status"])
        audit_log(actor=None, action="support.waiting.expire", target=entry, scope="support")
    if session.cancelled or session.starts <= now:
        return []
    free = session.seats - _taken(session, now)
    offers: list[WaitingEntry] = []
    if free <= 0:
        return offers
    expires = min(now + dt.timedelta(hours=offer_hours()), session.starts)
    for entry in WaitingEntry.objects.filter(
        session=session, status=WaitingEntry.Status.WAITING
    ).order_by("created", "id")[:free]:
        entry.status = WaitingEntry.Status.OFFERED
        entry.offered = now
        entry.offer_expires = expires
        entry.save(update_fields=["status", "offered", "offer_expires"])
        audit_log(
            actor=None,
            action="support.waiting.offer",
            target=entry,
            scope="support",
            data={"user": entry.user_id, "expires": expires.isoformat()},
        )
        offers.append(entry)
    if offers:
        ids = [o.pk for o in offers]

        def _enqueue() -> None:
            from klynge.support.tasks import expire_offer, send_offer

            for entry_id in ids:
                send_offer.enqueue(entry_id)
            expire_offer.using(run_after=expires).enqueue(session.pk)

        transaction.on_commit(_enqueue)
    return offers


def session_refresh(*, session_id: int, now: dt.datetime | None = None) -> int:
    """Expire lapsed offers of a session and pass their seats on (the worker calls this
    when an offer runs out). Returns the number of new offers."""
    now = now or timezone.now()
    with transaction.atomic():
        session = CourseSession.objects.select_for_update().get(pk=session_id)
        return len(_expire_and_offer(session, now))


def seat_book(*, user: Any, session: CourseSession, now: dt.datetime | None = None) -> Booking:
    """Take a seat. Refused when the session is full (join the waiting list instead),
    has begun, is cancelled, or the user already has a seat."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _expire_and_offer(session, now)
        if session.cancelled:
            raise DomainError(_("The session is cancelled."))
        if session.starts <= now:
            raise DomainError(_("The session has begun; sign-up is closed."))
        if Booking.objects.filter(session=session, user=user, cancelled__isnull=True).exists():
            raise DomainError(_("You already have a seat on this session."))
        if _taken(session, now) >= session.seats:
            raise DomainError(
                _("The session is full. Join the waiting list to be offered a freed seat.")
            )
        booking = Booking.objects.create(session=session, user=user)
        audit_log(actor=user, action="support.seat.book", target=booking, scope="support")
    return booking


def seat_cancel(
    *, user: Any, session: CourseSession, now: dt.datetime | None = None
) -> list[WaitingEntry]:
    """Give up one's seat; the freed seat is offered to the next on the waiting list.
    Returns the offers made."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        booking = Booking.objects.filter(session=session, user=user, cancelled__isnull=True).first()
        if booking is None:
            raise DomainError(_("You have no seat on this session."))
        if session.starts <= now:
            raise DomainError(_("The session has begun; a seat can no longer be cancelled."))
        booking.cancelled = now
        booking.save(update_fields=["cancelled"])
        audit_log(actor=user, action="support.seat.cancel", target=booking, scope="support")
        return _expire_and_offer(session, now)


def waiting_join(
    *, user: Any, session: CourseSession, now: dt.datetime | None = None
) -> WaitingEntry:
    """Join the waiting list of a full session."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _expire_and_offer(session, now)
        if session.cancelled or session.starts <= now:
            raise DomainError(_("The session is closed for sign-up."))
        if Booking.objects.filter(session=session, user=user, cancelled__isnull=True).exists():
            raise DomainError(_("You already have a seat on this session."))
        if WaitingEntry.objects.filter(
            session=session,
            user=user,
            status__in=(WaitingEntry.Status.WAITING, WaitingEntry.Status.OFFERED),
        ).exists():
            raise DomainError(_("You are already on the waiting list."))
        if _taken(session, now) < session.seats:
            raise DomainError(_("There are free seats: sign up instead."))
        entry = WaitingEntry.objects.create(session=session, user=user)
        audit_log(actor=user, action="support.waiting.join", target=entry, scope="support")
    return entry


def waiting_leave(*, user: Any, session: CourseSession, now: dt.datetime | None = None) -> None:
    """Leave the waiting list (or decline an offer: the seat goes to the next)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        entry = WaitingEntry.objects.filter(
            session=session,
            user=user,
            status__in=(WaitingEntry.Status.WAITING, WaitingEntry.Status.OFFERED),
        ).first()
        if entry is None:
            raise DomainError(_("You are not on the waiting list."))
        entry.status = WaitingEntry.Status.WITHDRAWN
        entry.save(update_fields=["status"])
        audit_log(actor=user, action="support.waiting.leave", target=entry, scope="support")
        _expire_and_offer(session, now)


def offer_accept(*, user: Any, session: CourseSession, now: dt.datetime | None = None) -> Booking:
    """Take the seat offered from the waiting list, while the offer holds."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        entry = WaitingEntry.objects.filter(
            session=session, user=user, status=WaitingEntry.Status.OFFERED
        ).first()
        if entry is None:
            raise DomainError(_("You have no offer of a seat on this session."))
        expired = entry.offer_expires is None or entry.offer_expires <= now
        if expired:
            # Kept (committed): the lapsed offer passes to the next in line.
            _expire_and_offer(session, now)
        else:
            entry.status = WaitingEntry.Status.ACCEPTED
            entry.save(update_fields=["status"])
            booking = Booking.objects.create(session=session, user=user)
            audit_log(actor=user, action="support.waiting.accept", target=booking, scope="support")
    if expired:
        raise DomainError(_("The offer has expired; the seat went to the next in line."))
    return booking
