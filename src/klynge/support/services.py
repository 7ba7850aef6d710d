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
from django.utils.translation import ngettext

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.support.models import (
    Audience,
    Booking,
    Course,
    CourseInterest,
    CourseSession,
    DigestMail,
    DigestSubscription,
    NewsItem,
    SeatReservation,
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
        # Those on the course's interest list hear of it by e-mail, through the worker.
        waiting = list(
            CourseInterest.objects.filter(course=course, notified__isnull=True).values_list(
                "pk", flat=True
            )
        )
        if waiting:

            def _enqueue() -> None:
                from klynge.support.tasks import send_session_planned

                for interest_id in waiting:
                    send_session_planned.enqueue(interest_id, session.pk)

            transaction.on_commit(_enqueue)
    return session


NEW_COORDINATOR_DAYS = 365


def new_coordinators(*, user_ids: set[int], on: dt.date) -> set[int]:
    """Of `user_ids`, those who became a cluster's coordinator within the last year
    (their coordinator term in force on `on` began at most `NEW_COORDINATOR_DAYS`
    before): they go first on a course's waiting list."""
    from klynge.registry.models import RoleAssignment, RoleKind

    if not user_ids:
        return set()
    return set(
        RoleAssignment.objects.active_on(on)  # type: ignore[attr-defined]
        .filter(
            role=RoleKind.COORDINATOR,
            doctor__user_id__in=user_ids,
            start__gt=on - dt.timedelta(days=NEW_COORDINATOR_DAYS),
        )
        .values_list("doctor__user_id", flat=True)
    )


def _locked(session: CourseSession) -> CourseSession:
    """The session row, locked until the transaction ends (the seat count's guard)."""
    return CourseSession.objects.select_for_update().get(pk=session.pk)


def _taken(session: CourseSession, now: dt.datetime) -> int:
    booked = Booking.objects.filter(session=session, cancelled__isnull=True).count()
    held = WaitingEntry.objects.filter(
        session=session, status=WaitingEntry.Status.OFFERED, offer_expires__gt=now
    ).count()
    return booked + held


def user_regions(*, user_ids: set[int], on: dt.date) -> dict[int, int]:
    """Each user's region code on `on`: their clinic's region for a doctor, else the
    region of their unit; users with neither are left out."""
    from klynge.registry.models import Doctor, RegionalPost
    from klynge.registry.selectors import region_map

    if not user_ids:
        return {}
    regions = region_map(on)
    found: dict[int, int] = {}
    for user_id, mun in Doctor.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "clinic__municipality_id"
    ):
        if mun in regions:
            found[user_id] = regions[mun].pk
    for user_id, region_id in (
        RegionalPost.objects.active_on(on)  # type: ignore[attr-defined]
        .filter(user_id__in=user_ids - set(found))
        .values_list("user_id", "region_id")
    ):
        found[user_id] = region_id
    return found


def _holders(session: CourseSession, now: dt.datetime) -> list[int]:
    """Users holding a seat: live bookings and open offers."""
    booked = Booking.objects.filter(session=session, cancelled__isnull=True).values_list(
        "user_id", flat=True
    )
    held = WaitingEntry.objects.filter(
        session=session, status=WaitingEntry.Status.OFFERED, offer_expires__gt=now
    ).values_list("user_id", flat=True)
    return [*booked, *held]


def _blocked(
    session: CourseSession, region: int | None, now: dt.datetime, extra: list[int] | None = None
) -> int:
    """Seats still reserved for other regions than `region` (their reservations not yet
    run out, less what their people hold). `extra`: region codes of offers being made."""
    reservations = list(SeatReservation.objects.filter(session=session, until__gt=now))
    if not reservations:
        return 0
    holders = _holders(session, now)
    by_region = user_regions(user_ids=set(holders), on=timezone.localdate(now))
    taken: dict[int, int] = {}
    for code in [by_region.get(u) for u in holders] + list(extra or []):
        if code is not None:
            taken[code] = taken.get(code, 0) + 1
    return sum(
        max(r.seats - taken.get(r.region_id, 0), 0) for r in reservations if r.region_id != region
    )


def _available(session: CourseSession, user: Any, now: dt.datetime) -> int:
    """Seats `user` may take now: free seats less those reserved for other regions."""
    region = user_regions(user_ids={user.pk}, on=timezone.localdate(now)).get(user.pk)
    return session.seats - _taken(session, now) - _blocked(session, region, now)


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
    reserved = SeatReservation.objects.filter(session=session, until__gt=now).exists()
    expires = min(now + dt.timedelta(hours=offer_hours()), session.starts)
    in_line = list(
        WaitingEntry.objects.filter(session=session, status=WaitingEntry.Status.WAITING).order_by(
            "created", "id"
        )
    )
    # New coordinators go first (★), the rest in the order they joined.
    first = new_coordinators(user_ids={e.user_id for e in in_line}, on=timezone.localdate(now))
    in_line.sort(key=lambda e: e.user_id not in first)  # a stable sort keeps the order
    regions = (
        user_regions(user_ids={e.user_id for e in in_line}, on=timezone.localdate(now))
        if reserved
        else {}
    )
    chosen: list[WaitingEntry] = []
    for entry in in_line:
        if len(chosen) >= free:
            break
        if reserved:
            # A seat reserved for another region is not offered to this person.
            region = regions.get(entry.user_id)
            made = [regions.get(c.user_id) for c in chosen]
            blocked = _blocked(session, region, now, extra=[m for m in made if m is not None])
            if free - len(chosen) - blocked <= 0:
                continue
        chosen.append(entry)
    for entry in chosen:
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
        if _available(session, user, now) <= 0:
            raise DomainError(
                _(
                    "The free seats are reserved for other regions for now. Join the "
                    "waiting list to be offered a seat."
                )
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
        if _available(session, user, now) > 0:
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


# --- Interest in a course with no session yet (★) ------------------------------------------


def interest_register(
    *, user: Any, course: Course, now: dt.datetime | None = None
) -> CourseInterest:
    """Say one would come to a course that has no session open for sign-up yet. A
    second registration is the first (one per person)."""
    now = now or timezone.now()
    if CourseSession.objects.filter(course=course, cancelled=False, starts__gt=now).exists():
        raise DomainError(_("The course has a session: sign up for it instead."))
    with transaction.atomic():
        interest, created = CourseInterest.objects.get_or_create(course=course, user=user)
        if created:
            audit_log(actor=user, action="support.interest.add", target=interest, scope="support")
    return interest


def interest_withdraw(*, user: Any, course: Course) -> None:
    with transaction.atomic():
        interest = CourseInterest.objects.filter(course=course, user=user).first()
        if interest is None:
            raise DomainError(_("You are not on the interest list."))
        audit_log(actor=user, action="support.interest.remove", target=interest, scope="support")
        interest.delete()


def seats_reserve(
    *,
    actor: Any,
    session: CourseSession,
    region: Any,
    seats: int,
    until: dt.datetime,
) -> SeatReservation:
    """Hold `seats` of the session for people from `region` until `until` (then they
    are anyone's). Setting it again for the region replaces it; the reservations
    together never exceed the session's seats."""
    if seats < 1:
        raise DomainError(_("Reserve at least one seat."), field="seats")
    if until > session.starts:
        raise DomainError(_("A reservation ends before the session starts."), field="until")
    with transaction.atomic():
        session = _locked(session)
        others = sum(
            r.seats for r in SeatReservation.objects.filter(session=session).exclude(region=region)
        )
        if others + seats > session.seats:
            raise DomainError(
                ngettext(
                    "Only %(n)s seat is left to reserve.",
                    "Only %(n)s seats are left to reserve.",
                    session.seats - others,
                )
                % {"n": session.seats - others},
                field="seats",
            )
        reservation, _created = SeatReservation.objects.update_or_create(
            session=session, region=region, defaults={"seats": seats, "until": until}
        )
        audit_log(
            actor=actor,
            action="support.seats.reserve",
            target=reservation,
            scope="support",
            data={"region": region.pk, "seats": seats, "until": until.isoformat()},
        )
        session_id = session.pk

        def _enqueue() -> None:
            from klynge.support.tasks import expire_offer

            # When the reservation runs out, its seats go to the next in line.
            expire_offer.using(run_after=until).enqueue(session_id)

        transaction.on_commit(_enqueue)
    return reservation
