"""Infrastructure models shared by every domain: the audit log and time-framed rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who did what, when, to which object (PLAT-4). Written by services, never edited.

    `action` is a dotted code (`registry.membership.ended`); `scope` groups entries for
    a cluster's own history page (`cluster:42`); `data` holds the changed values.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100, db_index=True)
    scope = models.CharField(max_length=50, blank=True, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class TimeFramedQuerySet(models.QuerySet):
    def active_on(self, on: dt.date) -> TimeFramedQuerySet:
        """Rows in force on `on`: `start <= on < end` (an empty `end` is open-ended)."""
        return self.filter(Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gt=on)))

    def overlapping(self, start: dt.date, end: dt.date | None) -> TimeFramedQuerySet:
        """Rows whose period [start, end) shares at least one day with the given one."""
        qs = self.filter(Q(end__isnull=True) | Q(end__gt=start))
        if end is not None:
            qs = qs.filter(start__lt=end)
        return qs


class TimeFramed(models.Model):
    """A fact that holds from `start` (inclusive) until `end` (exclusive, empty = still).

    `end` is the first day the fact no longer holds, as in "udmeldt pr. 1. januar":
    a clinic with `end = 2021-01-01` was a member on 31 December 2020 but not on New
    Year's Day. On PostgreSQL the domain tables add exclusion constraints on
    `daterange(start, end)`; services check the same rule on every database.
    """

    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)

    objects = TimeFramedQuerySet.as_manager()

    class Meta:
        abstract = True

    def is_active_on(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on < self.end)


def time_frame_check(name: str) -> models.CheckConstraint:
    """The `end > start` constraint every time-framed table carries."""
    return models.CheckConstraint(
        condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name=name
    )


def audit_log(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    scope: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the service's transaction."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        scope=scope,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        data=data or {},
    )
