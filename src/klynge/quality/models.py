"""Quality data (DATA): indicator definitions (synced from reviewed YAML files),
clinic-level values per period, the import runs that wrote them, consent, the cluster's
presentation mode, goals and interventions.

Only clinic-level aggregates are stored: numerator and denominator counts per clinic,
indicator and period. Nothing identifies a patient.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from klynge.core.models import TimeFramed, time_frame_check


class Unit(models.TextChoices):
    PROPORTION = "proportion", _("Proportion")
    RATE_PER_1000 = "rate_per_1000", _("Rate per 1,000 listed patients")


class Direction(models.TextChoices):
    LOWER = "lower", _("Lower is better")
    HIGHER = "higher", _("Higher is better")
    NEITHER = "neither", _("Neither direction is better")


class Indicator(models.Model):
    """A measurement point (målepunkt). The YAML file in `quality/indicators/` is the
    source of truth; `sync_indicators` copies it here."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title_da = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    numerator_da = models.TextField()
    numerator_en = models.TextField()
    denominator_da = models.TextField()
    denominator_en = models.TextField()
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    rationale_da = models.TextField(blank=True)
    rationale_en = models.TextField(blank=True)
    source_da = models.TextField(blank=True)
    source_en = models.TextField(blank=True)
    themes = models.JSONField(default=list)
    national = models.BooleanField(_("national indicator"), default=False)
    author = models.CharField(max_length=200, blank=True)
    checker = models.CharField(max_length=200, blank=True)
    reviewed = models.DateField(null=True, blank=True)
    next_review = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.title

    def _local(self, name: str) -> str:
        english = (get_language() or "da").startswith("en")
        return getattr(self, f"{name}_en" if english else f"{name}_da")

    @property
    def title(self) -> str:
        return self._local("title")

    @property
    def numerator_text(self) -> str:
        return self._local("numerator")

    @property
    def denominator_text(self) -> str:
        return self._local("denominator")

    @property
    def rationale(self) -> str:
        return self._local("rationale")

    @property
    def source(self) -> str:
        return self._local("source")

    @property
    def is_rate(self) -> bool:
        return self.unit == Unit.RATE_PER_1000

    @property
    def scale(self) -> float:
        """Display scale: proportions as percent, rates per 1,000."""
        return 1000.0 if self.is_rate else 100.0


class PeriodKind(models.TextChoices):
    MONTH = "M", _("Month")
    QUARTER = "Q", _("Quarter")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Rejected")
    ERROR = "error", _("Interrupted (can be retried)")
    UNDONE = "undone", _("Undone")


class ImportRun(models.Model):
    """One import of a file: who, when, which file, how many rows, the outcome, and the
    line-numbered errors when it was rejected. A rejected run wrote nothing."""

    created = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, default="web")  # web | cli | api | generator
    scope = models.CharField(
        max_length=40, blank=True
    )  # "cluster:12", "clinic:3", "region:1084", "" = all
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    upload = models.FileField(upload_to="imports/", blank=True)  # kept only while queued
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    phase = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    rows_replaced = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # the first 1,000: {line, column, message}
    started = models.DateTimeField(null=True, blank=True)
    # A running import's worker renews this at every phase; a run whose heartbeat is
    # older than the lease (KLYNGE_TASK_LEASE_SECONDS) lost its worker (services.
    # import_runs_recover). `attempts` counts the workers that took it up.
    heartbeat = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished = models.DateTimeField(null=True, blank=True)
    undone = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            ImportStatus.SUCCEEDED,
            ImportStatus.FAILED,
            ImportStatus.ERROR,
            ImportStatus.UNDONE,
        }

    @property
    def lost_its_worker(self) -> bool:
        """Running, but nobody has renewed the heartbeat within the lease."""
        from django.utils import timezone

        lease = dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS)
        return (
            self.status == ImportStatus.RUNNING
            and self.heartbeat is not None
            and self.heartbeat < timezone.now() - lease
        )


class IndicatorValue(models.Model):
    """Numerator and denominator of one clinic, indicator and period. A re-import of
    the same clinic, indicator and period replaces the value (the old one is kept in
    `ReplacedValue` so the import can be undone).

    Built for bulk loads (1.4 million rows): the primary key is the natural key,
    ordered (indicator, clinic, period) so its one index also serves every chart query,
    and there are no database-level foreign keys (ADR 4): imports check every clinic
    and indicator id before writing, and the ORM's PROTECT still refuses to delete a
    clinic or indicator that has values.
    """

    pk = models.CompositePrimaryKey("indicator_id", "clinic_id", "period_kind", "period")

    clinic = models.ForeignKey(
        "registry.Clinic",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )
    period_kind = models.CharField(
        max_length=1, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    period = models.DateField()  # first day of the month or quarter
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    def __str__(self) -> str:
        return f"{self.clinic_id}/{self.indicator_id}/{self.period_kind}{self.period}: {self.numerator}/{self.denominator}"


class ReplacedValue(models.Model):
    """The value an import replaced, so undoing the import can restore it."""

    # No database constraint: checking 1.4 million rows at commit took 3.7 s (ADR 4).
    import_run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    clinic_id = models.BigIntegerField()
    indicator_id = models.BigIntegerField()
    period_kind = models.CharField(max_length=1)
    period = models.DateField()
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    previous_run_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"run {self.import_run_id}: {self.clinic_id}/{self.indicator_id}/{self.period}"


class Consent(TimeFramed):
    """A clinic's dated, revocable consent to its data being shown in one cluster
    (DATA-3). Consent is given *to a cluster*: it does not travel when the clinic moves.

    A month's cluster figures count the clinics that were members with consent in force
    on the month's last day, so later changes never rewrite a published month (see
    `docs/privacy.md`). `revoked` marks a consent the clinic withdrew (rather than one
    that ended with its membership): a withdrawn clinic is never shown as a point again."""

    clinic = models.ForeignKey("registry.Clinic", on_delete=models.PROTECT, related_name="consents")
    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="consents"
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        ordering = ["clinic", "start"]
        constraints = [time_frame_check("consent_end_after_start")]
        indexes = [models.Index(fields=["cluster", "clinic"])]

    def __str__(self) -> str:
        return f"{self.clinic} → {self.cluster} [{self.start}, {self.end or '…'})"


class Presentation(models.TextChoices):
    ANONYMISED = "anonymised", _("Anonymised: clinics as pseudonyms")
    OPEN = "open", _("Open: clinics by name")


class ClusterDataSettings(models.Model):
    cluster = models.OneToOneField(
        "registry.Cluster", on_delete=models.CASCADE, related_name="data_settings"
    )
    presentation = models.CharField(
        max_length=20, choices=Presentation.choices, default=Presentation.ANONYMISED
    )
    changed = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.cluster}: {self.presentation}"


class Goal(models.Model):
    """A cluster's own target for an indicator (DATA-6), on the scale of the stored
    ratio: a share 0-1, or events per listed patient (pages show % and per 1,000)."""

    cluster = models.ForeignKey("registry.Cluster", on_delete=models.CASCADE, related_name="goals")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    target = models.FloatField(_("target"))
    set_on = models.DateField(_("set on"), default=dt.date.today)
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-set_on", "-id"]

    def __str__(self) -> str:
        return f"{self.cluster}: {self.indicator.code} → {self.target}"


class Intervention(models.Model):
    """A change the cluster decided, on a date, for an indicator (DATA-6). The run
    chart freezes its baseline before the first intervention."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.CASCADE, related_name="interventions"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    text = models.CharField(_("what was changed"), max_length=300)
    meeting_ref = models.CharField(_("decided at"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.text}"
