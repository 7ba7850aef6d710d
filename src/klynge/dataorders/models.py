"""Data orders (DATA-7, the *datakuffert*): a cluster orders an extract from its regional
quality unit or the national secretariat (`recipient` empty), from a package or free-form,
and follows it in one place until it is delivered (an import against the order) or
declined with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    DECLINED = "declined", _("Declined")


OPEN_STATUSES = (OrderStatus.ORDERED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS)


class DataOrder(models.Model):
    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="data_orders"
    )
    recipient = models.ForeignKey(
        "registry.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_orders",
        verbose_name=_("ordered from"),
    )  # empty: the national secretariat
    package = models.ForeignKey(
        "packages.PackageVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("package"),
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    indicators = models.ManyToManyField(
        "quality.Indicator", blank=True, related_name="+", verbose_name=_("indicators")
    )
    description = models.TextField(_("what you need"), blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    anonymised = models.BooleanField(_("anonymised"), default=True)
    # What open data is for (the package's theme, or `GENERAL_PURPOSE`): each member
    # clinic consents once per purpose, and later orders for it reuse the consent.
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.ORDERED
    )
    ordered_on = models.DateField()
    due = models.DateField(_("due"))
    decline_reason = models.TextField(blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_run = models.ForeignKey(
        "quality.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    seen_by_cluster = models.BooleanField(default=True)  # the coordinator has seen the news
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["recipient", "status", "due"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.cluster}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def recipient_name(self) -> str:
        return self.recipient.name if self.recipient else str(_("The national secretariat"))


class OrderMessage(models.Model):
    order = models.ForeignKey(DataOrder, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return self.body[:50]


GENERAL_PURPOSE = "general"


class PurposeConsent(models.Model):
    """A clinic's consent to open (identified) data being extracted for one purpose
    (DATA-7 ★): asked once per clinic and purpose, reused by every later open order for
    the same purpose until the clinic withdraws it."""

    clinic = models.ForeignKey(
        "registry.Clinic", on_delete=models.PROTECT, related_name="purpose_consents"
    )
    purpose = models.CharField(_("purpose"), max_length=100)
    given_on = models.DateField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["purpose", "clinic"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "purpose"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="purpose_consent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.purpose}"


class OrderNotice(models.Model):
    """The coordinator told by e-mail that an order was delivered or declined (with the
    reason), sent by the worker; a failure stays visible on the row."""

    order = models.ForeignKey(DataOrder, on_delete=models.CASCADE, related_name="notices")
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.status} → {self.recipient}"
