"""Infrastructure models shared by every domain: the audit log and time-framed rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def audit_scope(obj: models.Model) -> str:
    """The scope key of an object whose history is shown as one page: `<model>:<pk>`
    (a cluster is `cluster:42`)."""
    return f"{obj._meta.model_name}:{obj.pk}"


def audit_scope_of(target: models.Model) -> str:
    """The scope an entry about `target` belongs to, taken from the object (as pretix's
    `log_action` takes the event from it): the object's own `audit_scope_object()` when
    it has one, itself when it is a scope (a cluster), else the object it belongs to by
    a `cluster` foreign key; empty for objects outside any scope (a clinic, a user)."""
    owner = getattr(target, "audit_scope_object", None)
    if callable(owner):
        scope_object = owner()
        return audit_scope(scope_object) if scope_object is not None else ""
    if target._meta.model_name == "cluster":
        return audit_scope(target)
    try:
        field = target._meta.get_field("cluster")
    except FieldDoesNotExist:
        return ""
    related = field.related_model
    if not isinstance(field, models.ForeignKey) or not isinstance(related, type):
        return ""
    pk = getattr(target, field.attname, None)
    if pk is None:
        return ""
    return f"{related._meta.model_name}:{pk}"  # type: ignore[attr-defined]


class AuditEntryQuerySet(models.QuerySet):
    def for_scope(self, obj: models.Model) -> AuditEntryQuerySet:
        """Every entry in the history of `obj` (a cluster's change log)."""
        return self.filter(scope=audit_scope(obj))


class AuditEntry(models.Model):
    """Who did what, when, to which object (PLAT-4). Written by services, never edited.

    `action` is a dotted code (`registry.membership.ended`), shown as a sentence by the
    template `core/log_entry/<action>.html`; `scope` groups entries for a cluster's own
    history page (`cluster:42`, from `audit_scope`); `data` holds the changed values.
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

    objects = AuditEntryQuerySet.as_manager()

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
    scope: str | models.Model = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the service's transaction.

    The scope is taken from `target` (`audit_scope_of`); pass `scope` only for an
    entry whose target lies outside it (an object: the scope itself, e.g. the cluster;
    a string key is still accepted)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if isinstance(scope, models.Model):
        scope = audit_scope(scope)
    elif not scope and target is not None:
        scope = audit_scope_of(target)
    return AuditEntry.objects.create(
        at=timezone.now(),  # read at call time (the demo generator runs on its own clock)
        actor=user,
        action=action,
        scope=scope,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        data=data or {},
    )


class Bounce(models.Model):
    """One message read from the bounce mailbox (`core.bounces`): what it reported, for
    which sent e-mail (the `kind` and `object_id` its return path named), and what was
    done with it. `digest` (the SHA-256 of the raw message) makes reading the same
    message again a no-op, whatever became of the mailbox in between."""

    class Outcome(models.TextChoices):
        REFUSED = "refused", _("Address refused for good")
        TEMPORARY = "temporary", _("Delivery delayed")
        OTHER = "other", _("Other delivery report")
        UNMATCHED = "unmatched", _("Report about no e-mail we know")
        UNRECOGNISED = "unrecognised", _("Not a delivery report")

    digest = models.CharField(max_length=64, unique=True)
    received = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    kind = models.CharField(max_length=50, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    changed = models.BooleanField(default=False)  # the e-mail's row was marked by this one
    action = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    diagnostic = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received", "-id"]
        indexes = [models.Index(fields=["kind", "object_id"])]
        verbose_name = _("bounce")
        verbose_name_plural = _("bounces")

    def __str__(self) -> str:
        return f"{self.outcome} {self.kind}:{self.object_id} {self.status}"
