"""Governance (GOV): the statutes a cluster adopted, as versions with the rules the
platform applies, and the elections of general assemblies that become dated roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klynge.registry.models import RoleKind


class Statutes(models.Model):
    """A version of a cluster's statutes, in force from the date it was adopted until
    the next version. The rules are what the platform checks (GOV-5)."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="statutes_versions"
    )
    adopted = models.DateField(_("adopted"))
    purpose = models.TextField(_("purpose"), blank=True)
    attendance_min_percent = models.PositiveSmallIntegerField(
        _("minimum attendance at the year's meetings (%)"), null=True, blank=True
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice for general assemblies (days)"), default=14
    )
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum at general assemblies (per cent of members present)"), null=True, blank=True
    )
    data_sharing_required = models.BooleanField(
        _("members must share their quality data"), default=True
    )
    file = models.FileField(_("document"), upload_to="clusters/statutes/", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["cluster", "-adopted", "-id"]
        verbose_name = _("statutes")
        verbose_name_plural = _("statutes")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "adopted"], name="statutes_once_a_day"),
            models.CheckConstraint(
                condition=models.Q(attendance_min_percent__lte=100)
                | models.Q(attendance_min_percent__isnull=True),
                name="statutes_attendance_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__lte=100) | models.Q(quorum_percent__isnull=True),
                name="statutes_quorum_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cluster} ({self.adopted})"


class Election(models.Model):
    """An election result at a general assembly; recording it gives the doctor the role
    in the registry from `start` (GOV-2, GOV-3)."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="elections"
    )
    role = models.CharField(_("role"), max_length=20, choices=RoleKind.choices)
    doctor = models.ForeignKey("registry.Doctor", on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("from"))
    assignment = models.OneToOneField(
        "registry.RoleAssignment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.doctor}"
