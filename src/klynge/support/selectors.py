"""Reads of the support desk: which news a user may read, and a session's seats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Q, QuerySet
from django.utils import timezone

from klynge.registry.models import AreaMember, Cluster, Participation, RoleAssignment, RoleKind
from klynge.registry.selectors import staff_region
from klynge.support.models import (
    Audience,
    Booking,
    Course,
    CourseSession,
    DigestSubscription,
    Forwarding,
    Inquiry,
    NewsItem,
    SeatReservation,
    WaitingEntry,
)


def news_for(
    *, user: Any, on: dt.date | None = None, now: dt.datetime | None = None
) -> QuerySet[NewsItem]:
    """The news `user` may read on `on`, newest first, published up to now (one query):
    public news to everyone; news to coordinators to today's coordinators and the
    regional units' staff; a region's news to the doctors of clusters in that region
    today and to the unit's staff. The secretariat reads everything."""
    on = on or timezone.localdate()
    now = now or timezone.now()
    qs = NewsItem.objects.filter(published__lte=now).select_related("region")
    if getattr(user, "is_secretariat", False):
        return qs
    visible = Q(audience=Audience.PUBLIC)
    if user is None or not getattr(user, "is_authenticated", False):
        return qs.filter(visible)
    post = staff_region(user, on)
    coordinates = Exists(
        RoleAssignment.objects.active_on(on).filter(doctor__user=user, role=RoleKind.COORDINATOR)
    )
    clusters = Cluster.objects.filter(
        Q(pk__in=Participation.objects.active_on(on).filter(doctor__user=user).values("cluster_id"))
        | Q(
            pk__in=RoleAssignment.objects.active_on(on)
            .filter(doctor__user=user)
            .values("cluster_id")
        )
    ).values("municipality_id")
    regions = (
        AreaMember.objects.active_on(on)
        .filter(area__layer="region", municipality_id__in=clusters)
        .values("area_id")
    )
    regional = Q(audience=Audience.REGION, region_id__in=regions)
    if post is not None:
        visible |= Q(audience=Audience.COORDINATORS) | Q(audience=Audience.REGION, region=post)
    else:
        visible |= Q(Q(audience=Audience.COORDINATORS) & coordinates)
    return qs.filter(visible | regional)


def public_news() -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(audience=Audience.PUBLIC, published__lte=timezone.now())


def subscribed(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and DigestSubscription.objects.filter(user=user).exists()
    )


# --- Courses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionState:
    """A session as one user sees it."""

    session: CourseSession
    booked: int  # live bookings
    held: int  # seats held for open offers
    waiting: int  # people waiting
    mine: str  # "booked", "offered", "waiting" or ""
    offer_expires: dt.datetime | None
    blocked: int = 0  # free seats reserved for other regions than the user's (★)

    @property
    def free(self) -> int:
        return max(self.session.seats - self.booked - self.held - self.blocked, 0)

    @property
    def full(self) -> bool:
        return self.free == 0

    @property
    def open(self) -> bool:
        return not self.session.cancelled and self.session.starts > timezone.now()


def session_states(
    *, sessions: list[CourseSession], user: Any, now: dt.datetime | None = None
) -> list[SessionState]:
    """Seats, waiting list and the user's own place for each session (four queries)."""
    now = now or timezone.now()
    ids = [s.pk for s in sessions]
    booked: dict[int, int] = {}
    mine: dict[int, str] = {}
    expires: dict[int, dt.datetime | None] = {}
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    for session_id, booker in Booking.objects.filter(
        session_id__in=ids, cancelled__isnull=True
    ).values_list("session_id", "user_id"):
        booked[session_id] = booked.get(session_id, 0) + 1
        if booker == user_id:
            mine[session_id] = "booked"
    held: dict[int, int] = {}
    waiting: dict[int, int] = {}
    for session_id, holder, status, until in WaitingEntry.objects.filter(
        session_id__in=ids,
        status__in=(WaitingEntry.Status.WAITING, WaitingEntry.Status.OFFERED),
    ).values_list("session_id", "user_id", "status", "offer_expires"):
        if status == WaitingEntry.Status.OFFERED:
            if until is None or until <= now:
                continue  # lapsed: the next write passes it on
            held[session_id] = held.get(session_id, 0) + 1
        else:
            waiting[session_id] = waiting.get(session_id, 0) + 1
        if holder == user_id:
            mine[session_id] = str(status)
            expires[session_id] = until
    blocked: dict[int, int] = {}
    if SeatReservation.objects.filter(session_id__in=ids, until__gt=now).exists():
        from klynge.support.services import _blocked, user_regions

        region = (
            user_regions(user_ids={user_id}, on=timezone.localdate(now)).get(user_id)
            if user_id
            else None
        )
        blocked = {s.pk: _blocked(s, region, now) for s in sessions}
    return [
        SessionState(
            session=s,
            booked=booked.get(s.pk, 0),
            held=held.get(s.pk, 0),
            waiting=waiting.get(s.pk, 0),
            mine=mine.get(s.pk, ""),
            offer_expires=expires.get(s.pk),
            blocked=blocked.get(s.pk, 0),
        )
        for s in sessions
    ]


def courses_with_sessions(
    *, upcoming_only: bool = True
) -> list[tuple[Course, list[CourseSession]]]:
    now = timezone.now()
    courses = list(Course.objects.order_by("title", "id"))
    sessions = CourseSession.objects.select_related("course").order_by("starts", "id")
    if upcoming_only:
        sessions = sessions.filter(ends__gt=now)
    by_course: dict[int, list[CourseSession]] = {}
    for session in sessions:
        by_course.setdefault(session.course_id, []).append(session)
    return [(course, by_course.get(course.pk, [])) for course in courses]


def attendance(*, session: CourseSession) -> list[Booking]:
    """Who has a seat, in sign-up order, with their name and e-mail."""
    return list(
        Booking.objects.filter(session=session, cancelled__isnull=True)
        .select_related("user")
        .order_by("created", "id")
    )


def waiting_list(*, session: CourseSession) -> list[WaitingEntry]:
    return list(
        WaitingEntry.objects.filter(
            session=session,
            status__in=(WaitingEntry.Status.WAITING, WaitingEntry.Status.OFFERED),
        )
        .select_related("user")
        .order_by("created", "id")
    )


def my_offers(*, user: Any, now: dt.datetime | None = None) -> list[WaitingEntry]:
    """Open offers of a seat to `user` (for the start page)."""
    now = now or timezone.now()
    return list(
        WaitingEntry.objects.filter(
            user=user, status=WaitingEntry.Status.OFFERED, offer_expires__gt=now
        ).select_related("session__course")
    )


def my_bookings(*, user: Any, now: dt.datetime | None = None) -> list[Booking]:
    now = now or timezone.now()
    return list(
        Booking.objects.filter(user=user, cancelled__isnull=True, session__ends__gt=now)
        .select_related("session__course")
        .order_by("session__starts")
    )


def public_collaborations() -> list[Inquiry]:
    """Approved inquiries at least one cluster said yes to: listed publicly."""
    return list(
        Inquiry.objects.filter(forwardings__opted_in__isnull=False)
        .distinct()
        .order_by("-decided", "-id")
    )


def inquiry_queue() -> list[Inquiry]:
    """Inquiries the secretariat still has to act on: received, approved (to forward),
    and those with the committee (to follow)."""
    return list(
        Inquiry.objects.filter(
            status__in=(Inquiry.Status.RECEIVED, Inquiry.Status.COMMITTEE, Inquiry.Status.APPROVED)
        ).order_by("created", "id")
    )


def before_committee() -> list[Inquiry]:
    return list(Inquiry.objects.filter(status=Inquiry.Status.COMMITTEE).order_by("created", "id"))


def cluster_forwardings(*, cluster: Cluster) -> list[Forwarding]:
    return list(
        Forwarding.objects.filter(cluster=cluster).select_related("inquiry").order_by("-sent")
    )


@dataclass(frozen=True)
class Interest:
    """A course's interest list: how many would come, from which regions (the doctors'
    clinics' regions today; "" for people who are not doctors), and whether the
    user asking is on it."""

    count: int
    mine: bool
    by_region: list[tuple[str, int]]


def course_interests(*, user: Any) -> dict[int, Interest]:
    from collections import Counter

    from klynge.registry.models import Doctor
    from klynge.registry.selectors import region_map
    from klynge.support.models import CourseInterest

    rows = list(CourseInterest.objects.values_list("course_id", "user_id"))
    clinic_mun = dict(
        Doctor.objects.filter(user_id__in={u for _c, u in rows}).values_list(
            "user_id", "clinic__municipality_id"
        )
    )
    regions = region_map(timezone.localdate())
    per_course: dict[int, Counter] = {}
    mine: set[int] = set()
    uid = getattr(user, "pk", None)
    for course_id, user_id in rows:
        mun = clinic_mun.get(user_id)
        region = regions.get(mun) if mun is not None else None
        per_course.setdefault(course_id, Counter())[region.name if region else ""] += 1
        if user_id == uid:
            mine.add(course_id)
    return {
        course_id: Interest(
            count=sum(counter.values()),
            mine=course_id in mine,
            by_region=sorted(counter.items(), key=lambda kv: (kv[0] == "", kv[0])),
        )
        for course_id, counter in per_course.items()
    }


def reservations(*, sessions: list[CourseSession]) -> dict[int, list[SeatReservation]]:
    """Each session's seat reservations (for the secretariat's course page)."""
    found: dict[int, list[SeatReservation]] = {}
    for r in SeatReservation.objects.filter(session__in=sessions).select_related("region"):
        found.setdefault(r.session_id, []).append(r)
    return found
