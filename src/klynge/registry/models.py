"""The registry (REG): regions, municipalities, postal codes, clinics with dated counts,
doctors, clusters, and the time-framed facts that tie them together: memberships of
clinics, participation of doctors and roles in a cluster.

Membership rules are database constraints where the database can hold them: on
PostgreSQL exclusion constraints (migration 0002) forbid a clinic in two clusters at
once, a doctor in two clusters at once, and two holders of a single-holder role.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from klynge.core import jurisdiction
from klynge.core.models import TimeFramed, time_frame_check


class AreaLayer(models.TextChoices):
    REGION = "region", _("Region")
    HEALTH_COUNCIL = "health_council", _("Health council")


class RegionQuerySet(models.QuerySet):
    def valid_on(self, on: dt.date) -> RegionQuerySet:
        """Areas in force on `on`: `start <= on < end` (an empty bound is open)."""
        return self.filter(
            (Q(start__isnull=True) | Q(start__lte=on)) & (Q(end__isnull=True) | Q(end__gt=on))
        )

    def regions(self) -> RegionQuerySet:
        return self.filter(layer=AreaLayer.REGION)


class Region(models.Model):
    """An area of a layer with a validity: a region (1081-1085 from 2007, 1086 Region
    Østdanmark from 2027) or, in the same table, another layer such as a health council.
    `start` is the first day in force, `end` the first day no longer in force (empty =
    open); a merged area names its `successor`. Which municipalities belong to it, and
    when, is `AreaMember`."""

    code = models.PositiveIntegerField(_("code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    layer = models.CharField(
        _("layer"), max_length=20, choices=AreaLayer.choices, default=AreaLayer.REGION
    )
    iso_code = models.CharField(max_length=10, blank=True)
    nuts2 = models.CharField(max_length=10, blank=True)
    start = models.DateField(_("valid from"), null=True, blank=True)
    end = models.DateField(_("no longer valid from"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    seat = models.CharField(_("headquarters"), max_length=100, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gt=F("start")),
                name="region_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        return self.name.removeprefix("Region ")

    def is_valid_on(self, on: dt.date) -> bool:
        return (self.start is None or self.start <= on) and (self.end is None or on < self.end)


class Municipality(models.Model):
    code = models.PositiveIntegerField(_("code"), primary_key=True)  # 101 ... 860
    name = models.CharField(_("name"), max_length=100)
    # Deprecated: the region of 2007-2026, kept only while other apps still read it.
    # The registry reads `AreaMember` (dated) through `region_of()` / `in_region()`.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name

    def region_on(self, on: dt.date) -> Region | None:
        """The region this municipality belongs to on `on` (dated, `AreaMember`)."""
        member = (
            AreaMember.objects.active_on(on)
            .filter(municipality=self, area__layer=AreaLayer.REGION)
            .select_related("area")
            .first()
        )
        return member.area if member else None


class AreaMember(TimeFramed):
    """A municipality belonging to an area (a region, a health council) from `start`
    until `end`. A municipality is in one area per layer at a time."""

    area = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="members")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="area_members"
    )
    # The area's layer, repeated so that PostgreSQL can hold the rule (migration 0008):
    # a composite foreign key keeps it equal to the area's, and an exclusion constraint
    # forbids a municipality in two areas of one layer at once.
    layer = models.CharField(
        _("layer"), max_length=20, choices=AreaLayer.choices, default=AreaLayer.REGION
    )

    class Meta:
        ordering = ["municipality", "start"]
        indexes = [models.Index(fields=["municipality", "start", "end"])]
        constraints = [time_frame_check("area_member_end_after_start")]

    def __str__(self) -> str:
        return f"{self.municipality} ∈ {self.area} [{self.start}, {self.end or '…'})"


class RegionalPost(TimeFramed):
    """A user serving in a region's quality unit from `start` until `end`: the dated
    source of the region role (written by `registry/staff.py`, audited)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="regional_posts"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="posts")

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["user", "start", "end"])]
        constraints = [time_frame_check("regional_post_end_after_start")]
        verbose_name = _("regional post")
        verbose_name_plural = _("regional posts")

    def __str__(self) -> str:
        return f"{self.user} @ {self.region} [{self.start}, {self.end or '…'})"


class PostalCode(models.Model):
    """A postal area with a label point inside it (map markers). Central Copenhagen
    codes come as ranges (`1000-1499`), so lookups use `code_from <= p <= code_to`."""

    code_from = models.PositiveIntegerField()
    code_to = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["code_from"]
        indexes = [models.Index(fields=["code_from", "code_to"])]

    def __str__(self) -> str:
        return f"{self.code_from} {self.name}"


class Accreditation(models.TextChoices):
    """A clinic's accreditation (IKAS), which a clinic in no cluster must have from
    1 November 2019 (REG-7)."""

    UNKNOWN = "unknown", _("Unknown")
    ACCREDITED = "accredited", _("Accredited")
    NOT_ACCREDITED = "not_accredited", _("Not accredited")


class Clinic(models.Model):
    """A general practice, identified by its provider number (ydernummer). A
    partnership practice has one provider number for all its doctors."""

    provider_number = models.CharField(_("provider number"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=4)
    city = models.CharField(_("city"), max_length=100, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="clinics",
    )
    cvr = models.CharField(_("CVR number"), max_length=8, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # The accreditation as last known, and the day it was so (the status's date: when
    # the clinic was accredited, or when the unit learnt the status); earlier statuses
    # are in the clinic's history.
    accreditation = models.CharField(
        _("accreditation"),
        max_length=20,
        choices=Accreditation.choices,
        default=Accreditation.UNKNOWN,
    )
    accreditation_date = models.DateField(_("accreditation status as of"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        constraints = [
            # A known status is known as of a day.
            models.CheckConstraint(
                condition=Q(accreditation="unknown") | Q(accreditation_date__isnull=False),
                name="clinic_accreditation_dated",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider_number})"


class ClinicCount(models.Model):
    """Doctor capacities and listed patients of a clinic as counted on a date. Grants
    use the count on 1 January of a year, so counts are kept dated, never overwritten."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="counts")
    on = models.DateField(_("counted on"))
    capacities = models.PositiveSmallIntegerField(_("doctor capacities"))
    listed_patients = models.PositiveIntegerField(_("listed patients"))

    class Meta:
        ordering = ["clinic", "on"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "on"], name="clinic_count_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.clinic.provider_number} {self.on}: {self.capacities}/{self.listed_patients}"


class Doctor(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    clinic = models.ForeignKey(
        Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="doctors"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="doctor",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")

    def __str__(self) -> str:
        return self.name


class ClusterQuerySet(models.QuerySet):
    def active_on(self, on: dt.date) -> ClusterQuerySet:
        return self.filter(founded__lte=on).exclude(dissolved__lte=on)


class Cluster(models.Model):
    """A quality cluster: a non-profit association of clinics (REG-1)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="clusters",
    )
    cvr = models.CharField(_("CVR number"), max_length=8, blank=True)
    bank_registration = models.CharField(_("bank registration number"), max_length=4, blank=True)
    bank_account = models.CharField(_("account number"), max_length=10, blank=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"), default=1
    )
    founded = models.DateField(_("founded"))
    registered = models.DateField(_("registered"))
    dissolved = models.DateField(_("dissolved"), null=True, blank=True)
    registration_completed = models.DateField(_("registration completed"), null=True, blank=True)
    founding_minutes = models.FileField(
        _("minutes of the founding general assembly"), upload_to="clusters/minutes/", blank=True
    )

    objects = ClusterQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["slug"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dissolved__isnull=True)
                | models.Q(dissolved__gt=models.F("founded")),
                name="cluster_dissolved_after_founded",
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="cluster_fiscal_month_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> Region | None:
        """The region of the cluster's municipality today (`region_on` for another day)."""
        return self.region_on(timezone.localdate())

    def region_on(self, on: dt.date) -> Region | None:
        return self.municipality.region_on(on)


class FormerSlug(models.Model):
    """An address a cluster had before it was renamed: links in sent e-mails, calendar
    entries and bookmarks keep working by redirecting to the cluster's address today."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="former_slugs")
    slug = models.SlugField(max_length=220, unique=True)
    until = models.DateTimeField(_("used until"))

    def __str__(self) -> str:
        return self.slug


class Membership(TimeFramed):
    """A clinic in a cluster from `start` until `end`. Never two clusters at once."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="memberships")

    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["cluster", "start", "end"])]
        constraints = [time_frame_check("membership_end_after_start")]

    def __str__(self) -> str:
        return f"{self.clinic} ∈ {self.cluster} [{self.start}, {self.end or '…'})"


class Participation(TimeFramed):
    """A doctor taking part in a cluster's work. Never two clusters at once."""

    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="participations")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="participations")

    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["cluster", "start", "end"])]
        constraints = [time_frame_check("participation_end_after_start")]

    def __str__(self) -> str:
        return f"{self.doctor} ∈ {self.cluster} [{self.start}, {self.end or '…'})"


# The jurisdiction may name a role otherwise (England: the coordinator is the PCN's
# clinical director); read when shown, so Denmark's labels are unchanged.
_role_label = lazy(jurisdiction.role_label, str)


class RoleKind(models.TextChoices):
    COORDINATOR = "coordinator", _role_label("coordinator", _("Coordinator"))
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice-chair")
    TREASURER = "treasurer", _("Treasurer")
    SECRETARY = "secretary", _("Secretary")
    DATA_PERSON = "data_person", _("IT and data person")
    BOARD_MEMBER = "board_member", _("Board member")


# Roles one person holds at a time; several board members may serve at once.
SINGLE_HOLDER_ROLES = frozenset(RoleKind) - {RoleKind.BOARD_MEMBER}
BOARD_ROLES = frozenset(
    {
        RoleKind.CHAIR,
        RoleKind.VICE_CHAIR,
        RoleKind.TREASURER,
        RoleKind.SECRETARY,
        RoleKind.BOARD_MEMBER,
    }
)


class RoleAssignment(TimeFramed):
    """A doctor's role in a cluster for a term (GOV-3)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="roles")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=RoleKind.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "start", "id"]
        constraints = [time_frame_check("role_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.doctor} [{self.start}, {self.end or '…'})"
