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
    """A grant payment the region has made (FIN-2): the one place that says what is
    paid. Never edited: a mistaken payout is corrected by a reversal (a negative payout
    with `reverses` and a reason), and its booking is reversed with it. `key` is the
    token of the form that recorded it, unique, so a double submit books once."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="payouts"
    )
    year = models.PositiveSmallIntegerField(_("grant year"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The region that paid: the one the cluster's municipality belonged to on `paid_on`
    # (Region Sjælland for a 2026 payout, Region Østdanmark from 2027); kept as history.
    payer = models.ForeignKey(
        "registry.Region",
        verbose_name=_("paid by region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=200, blank=True)
    booking = models.OneToOneField(
        "Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payout"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, amount__gt=0)
                | models.Q(reverses__isnull=False, amount__lt=0),
                name="payout_positive_or_reversal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cluster} {self.year}: {self.amount} ({self.paid_on})"


class PaymentRun(models.Model):
    """A regional unit's payment run (FIN-2): the due grants it chose to pay, exported as
    a payment list for the bank and then recorded as paid, on the day the bank paid, in
    one step. `region` is the unit's region (None: a run the secretariat made). A cluster
    is in at most one open run per year, and each line becomes one payout once."""

    year = models.PositiveSmallIntegerField(_("grant year"))
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    recorded = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.year} #{self.pk}"


class PaymentRunLine(models.Model):
    """One cluster's payment in a run: the amount due when the run was made, the
    reference on the bank transfer, and (once recorded) the payout it became."""

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="lines")
    cluster = models.ForeignKey("registry.Cluster", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="run_line"
    )

    class Meta:
        ordering = ["cluster__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "cluster"], name="payment_run_cluster_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_line_positive"),
        ]

    def __str__(self) -> str:
        return self.reference


# --- Bookkeeping (FIN-3): double entry after byro's model -------------------------------------


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")
    EQUITY = "equity", _("Equity")


class ExpenseCategory(models.TextChoices):
    COORDINATOR_FEE = "coordinator_fee", _("Coordinator fee")
    OTHER_FEES = "other_fees", _("Other fees")
    VENUE = "venue", _("Venue")
    CATERING = "catering", _("Catering")
    SPEAKER_FEE = "speaker_fee", _("Speaker fee")
    CONSULTANCY = "consultancy", _("Consultancy")
    MATERIALS = "materials", _("Materials")


class Account(models.Model):
    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="accounts"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    category = models.CharField(max_length=20, choices=ExpenseCategory.choices, blank=True)

    class Meta:
        ordering = ["cluster", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "code"], name="account_code_once_per_cluster"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StatementImport(models.Model):
    """Where bookings came from: one imported bank statement file (byro's
    `RealTransactionSource`). Its bookings are `bookings`; the file is kept."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="statement_imports"
    )
    file = models.FileField(_("statement file"), upload_to="statements/", blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    imported = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bank_account = models.CharField(max_length=20, blank=True)
    first_date = models.DateField(null=True, blank=True)
    last_date = models.DateField(null=True, blank=True)
    lines = models.PositiveIntegerField(default=0)
    booked = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported", "-id"]

    def __str__(self) -> str:
        return f"{self.cluster_id} {self.filename or self.sha256[:12]} ({self.imported:%Y-%m-%d})"


class Transaction(models.Model):
    """A balanced booking. Never edited: a correction is a reversal (`reverses`)."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="transactions"
    )
    date = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=200)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    receipt = models.FileField(_("receipt"), upload_to="receipts/", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.ForeignKey(
        StatementImport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.text}"


class Entry(models.Model):
    """One line of a transaction: debit positive, credit negative, in kroner."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="entry_amount_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class Budget(models.Model):
    """The year's budget per account, as adopted by the general assembly."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="budgets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "year"], name="one_budget_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.cluster} {self.year}"


class BudgetLine(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["budget", "account"], name="one_line_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class PaymentFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class FeeContract(models.Model):
    """A fixed-fee contract with the coordinator, secretary or another helper (FIN-4)."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="fee_contracts"
    )
    recipient = models.CharField(_("recipient"), max_length=200)
    role = models.CharField(_("role"), max_length=100)
    tasks = models.JSONField(
        _("tasks and estimated hours"), default=list
    )  # [{"task": ..., "hours": ...}]
    hourly_basis = models.DecimalField(_("hourly basis"), max_digits=8, decimal_places=2)
    frequency = models.CharField(
        _("paid"),
        max_length=10,
        choices=PaymentFrequency.choices,
        default=PaymentFrequency.QUARTERLY,
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.recipient} ({self.role})"

    @property
    def hours(self) -> Decimal:
        return sum((Decimal(str(t["hours"])) for t in self.tasks), start=Decimal("0"))

    @property
    def yearly_fee(self) -> Decimal:
        return self.hours * self.hourly_basis


class FeePayment(models.Model):
    """One instalment paid under a fee contract, booked as a fee expense. Corrected by a
    reversal (a negative payment with `reverses` and a reason), which the fee report
    counts; `key` is the paying form's token, unique, so a double click pays once."""

    contract = models.ForeignKey(FeeContract, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    booking = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    def __str__(self) -> str:
        return f"{self.contract.recipient} {self.paid_on}: {self.amount}"


class Administration(models.TextChoices):
    OWN_ACCOUNT = "own_account", _("The cluster's own bank account")
    CENTRAL = "central", _("Funds held centrally by the secretariat")


class ClusterFinance(models.Model):
    """How a cluster's funds are held: its own account, or centrally (since 2023)."""

    cluster = models.OneToOneField(
        "registry.Cluster", on_delete=models.CASCADE, related_name="finance"
    )
    administration = models.CharField(
        max_length=20, choices=Administration.choices, default=Administration.OWN_ACCOUNT
    )

    def __str__(self) -> str:
        return f"{self.cluster}: {self.administration}"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")


class ExpenseClaim(models.Model):
    """In central administration a cluster claims its expenses with receipts; the
    secretariat approves or rejects them with a reason, and pays approved ones."""

    cluster = models.ForeignKey("registry.Cluster", on_delete=models.PROTECT, related_name="claims")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted = models.DateTimeField(auto_now_add=True)
    date = models.DateField(_("date of the expense"))
    text = models.CharField(_("text"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=ExpenseCategory.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payee = models.CharField(_("pay to (name and account)"), max_length=200)
    receipt = models.FileField(_("receipt"), upload_to="claims/")
    status = models.CharField(
        max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    booking = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-submitted", "-id"]

    def __str__(self) -> str:
        return f"{self.cluster}: {self.text} {self.amount} ({self.status})"


class BooksClosure(models.Model):
    """Finance's answer to a dissolution (registry owns the dissolution itself): the
    remaining funds returned to the region and the books closed for good."""

    cluster = models.OneToOneField(
        "registry.Cluster", on_delete=models.PROTECT, related_name="books_closure"
    )
    closed_on = models.DateField(_("closed on"))
    returned = models.DecimalField(_("returned to the region"), max_digits=14, decimal_places=2)
    booking = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.cluster}: {self.returned} ({self.closed_on})"
