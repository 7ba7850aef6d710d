"""The support desk's records: news and its e-mail digest, courses with sessions,
bookings and a waiting list (KNOW-3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone (public)")
    COORDINATORS = "coordinators", _("All coordinators")
    REGION = "region", _("One region")


class NewsItem(models.Model):
    """A news item from the secretariat or a regional unit, to the public, to every
    coordinator, or to one region (its clusters' doctors and the unit's staff)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published = models.DateTimeField(_("published"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who published it: the secretariat, or the regional unit of this region.
    publisher_region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("-published", "-id")
        constraints = (
            models.CheckConstraint(
                condition=Q(audience="region", region__isnull=False)
                | (~Q(audience="region") & Q(region__isnull=True)),
                name="support_news_region_iff_regional",
            ),
        )

    def __str__(self) -> str:
        return self.title


class DigestSubscription(models.Model):
    """A user who opted in to the news digest by e-mail, and up to when they have had it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="news_digest"
    )
    created = models.DateTimeField(auto_now_add=True)
    sent_until = models.DateTimeField(null=True, blank=True)  # news up to here was sent

    def __str__(self) -> str:
        return str(self.user)


class DigestMail(models.Model):
    """One digest e-mail to one subscriber, sent by the worker (failures kept)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        DigestSubscription, on_delete=models.CASCADE, related_name="mails"
    )
    items = models.ManyToManyField(NewsItem, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.subscription} ({self.status})"


class Course(models.Model):
    """A course the secretariat offers (e.g. facilitation for coordinators)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("for whom"), max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return self.title


class CourseSession(models.Model):
    """One holding of a course: when, where and how many seats."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=300)
    seats = models.PositiveIntegerField(_("seats"))
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ("starts", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="support_session_ends_after_start"
            ),
        )

    def __str__(self) -> str:
        return f"{self.course.title} ({self.starts:%d-%m-%Y})"


class Booking(models.Model):
    """A seat taken by a user. A cancelled booking stays as history."""

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="bookings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    cancelled = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("session", "user"),
                condition=Q(cancelled__isnull=True),
                name="support_one_booking_per_user",
            ),
        )

    def __str__(self) -> str:
        return f"{self.user} · {self.session}"


class WaitingEntry(models.Model):
    """A place on a session's waiting list. When a seat frees, the first waiting entry
    is offered it until `offer_expires`; the seat is held for them meanwhile (pretix's
    waiting list: the voucher is the offer)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("offered a seat")
        ACCEPTED = "accepted", _("accepted")
        EXPIRED = "expired", _("offer expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="waiting")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    offered = models.DateTimeField(null=True, blank=True)
    offer_expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("session", "user"),
                condition=Q(status__in=("waiting", "offered")),
                name="support_one_waiting_entry_per_user",
            ),
        )

    def __str__(self) -> str:
        return f"{self.user} · {self.session} ({self.status})"


# --- External inquiries (KNOW-4) ---------------------------------------------------------


class InquirerKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital department")
    MUNICIPALITY = "municipality", _("Municipality")
    PUBLIC = "public", _("State or public institution")
    DSAM = "dsam", _("DSAM (the Danish College of General Practitioners)")
    RESEARCH = "research", _("Research institution")
    PATIENTS = "patients", _("Patient organisation")
    COMPANY = "company", _("Company")


class SteeringPost(models.Model):
    """A seat on the steering committee, dated: its members decide group-2 inquiries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)

    def __str__(self) -> str:
        return str(self.user)


class Inquiry(models.Model):
    """An external party's proposal to work with clusters, followed through a private
    link (`token`). Group 1 is decided by the secretariat with the regional unit, group 2
    by the steering committee at a meeting; an approved inquiry is forwarded only to
    matching clusters, within each cluster's quarterly cap."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        COMMITTEE = "committee", _("with the steering committee")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")
        FORWARDED = "forwarded", _("forwarded to clusters")

    token = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    organisation = models.CharField(_("organisation"), max_length=200)
    kind = models.CharField(_("type of organisation"), max_length=20, choices=InquirerKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=200)
    email = models.EmailField(_("e-mail"))
    proposal = models.TextField(_("what you propose"))
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    municipality = models.ForeignKey(
        "registry.Municipality", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    min_doctors = models.PositiveIntegerField(
        _("at least this many doctors"), null=True, blank=True
    )
    timeframe = models.CharField(_("time frame"), max_length=200, blank=True)
    group = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(blank=True)  # why declined
    committee_meeting = models.DateField(null=True, blank=True)
    decided = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return self.organisation


class Forwarding(models.Model):
    """An approved inquiry sent to one cluster, which may opt in."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="forwardings")
    cluster = models.ForeignKey("registry.Cluster", on_delete=models.CASCADE, related_name="+")
    sent = models.DateTimeField()
    opted_in = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("inquiry", "cluster"), name="support_forward_once"),
        )

    def __str__(self) -> str:
        return f"{self.inquiry} → {self.cluster}"


# --- Activity reports (OK22): each cluster's yearly report to the secretariat -------------


class ReportSubmission(models.Model):
    """A cluster's activity report for a year, sent to the secretariat with one click.
    `summary` keeps the figures as sent (meetings held, attendance, decisions, themes,
    indicators); sending again replaces them and the time."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.CASCADE, related_name="report_submissions"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    submitted = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ("-year", "cluster__name")
        constraints = (
            models.UniqueConstraint(fields=("cluster", "year"), name="support_report_once_a_year"),
        )

    def __str__(self) -> str:
        return f"{self.cluster} {self.year}"


class CourseInterest(models.Model):
    """Someone who would come to a course that has no session yet: the secretariat sees
    how many, and from which regions, before it plans one."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="interests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    # Told by e-mail that a session is planned (once; the worker may retry the task).
    notified = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created", "id")
        constraints = (
            models.UniqueConstraint(fields=("course", "user"), name="support_interest_once"),
        )

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


# --- Coordinator networks (★): one per region, its members read from the registry -------


class NetworkOptIn(models.Model):
    """A board member who wants to be in their region's coordinator network (the
    coordinators are in it by their role; nobody keeps lists by hand)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="network_opt_in"
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user)


class NetworkMessage(models.Model):
    """A message to a region's network: mailed to every member and kept on its page."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return self.subject


class NetworkMail(models.Model):
    """One member's copy of a network message, sent by the worker (failures kept)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    message = models.ForeignKey(NetworkMessage, on_delete=models.CASCADE, related_name="mails")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("message", "email"), name="support_network_mail_once"),
        )

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class SeatReservation(models.Model):
    """Seats of a session held for people from one region (★) until `until`; after
    that, or once the region has taken them, they are anyone's."""

    session = models.ForeignKey(
        CourseSession, on_delete=models.CASCADE, related_name="reservations"
    )
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField(_("seats"))
    until = models.DateTimeField(_("reserved until"))

    class Meta:
        ordering = ("session", "region")
        constraints = (
            models.UniqueConstraint(fields=("session", "region"), name="support_reserve_once"),
            models.CheckConstraint(condition=Q(seats__gt=0), name="support_reserve_positive"),
        )

    def __str__(self) -> str:
        return f"{self.session} · {self.region_id}: {self.seats}"


class HandoverNotice(models.Model):
    """The e-mail that tells a new coordinator where their hand-over pack is (★): one per
    coordinator's term that takes over from someone else (the term is the key, so the
    notice is made once however often the hook runs), sent by the worker on the day the
    term starts; a failure is kept on the row and retried."""

    assignment = models.OneToOneField(
        "registry.RoleAssignment", on_delete=models.CASCADE, related_name="handover_notice"
    )
    recipient = models.EmailField()
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.recipient} ({'sent' if self.sent_at else 'queued'})"
