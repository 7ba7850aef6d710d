"""Economy (FIN). Grant schemes are data, valid from a date; payouts are recorded per
cluster and year by the region that pays them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klynge.finance import grants


class GrantScheme(models.Model):
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"), unique=True)
    start_per_capacity = models.DecimalField(
        _("start grant per doctor capacity"), max_digits=12, decimal_places=2
    )
    operating_rate = models.DecimalField(
        _("operating grant per listed patient per year"), max_digits=8, decimal_places=2
    )
    supplementary = models.JSONField(
        _("supplementary rate per listed patient, by year"), default=dict, blank=True
    )
    minimum_per_year = models.DecimalField(
        _("minimum grant per cluster per year"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from})"

    def as_rule(self) -> grants.Scheme:
        return grants.Scheme(
            valid_from=self.valid_from,
            start_per_capacity=self.start_per_capacity,
            operating_rate=self.operating_rate,
            supplementary={
                int(year): Decimal(str(rate)) for year, rate in self.supplementary.items()
            },
            minimum_per_year=self.minimum_per_year,
        )


class Payout(models.Model):
    """A grant payment the region has made (FIN-2)."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="payouts"
    )
    year = models.PositiveSmallIntegerField(_("grant year"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-paid_on", "-id"]

    def __str__(self) -> str:
        return f"{self.cluster} {self.year}: {self.amount} ({self.paid_on})"
