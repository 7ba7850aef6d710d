"""Cluster packages (KNOW-1): versioned content published by the national secretariat
or a regional quality unit. A `Package` is the lasting identity (publisher, theme); its
contents are `PackageVersion` rows: draft → reviewed → published. A published version is
never edited; the next version starts as a copy and shows what changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EhrSystem(models.Model):
    """A practice system (lægesystem) data can be extracted from: data, not code."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("practice system")

    def __str__(self) -> str:
        return self.name


class Package(models.Model):
    """A package's identity: who publishes it (a region's quality unit, or the national
    secretariat when `publisher` is empty) and on which theme."""

    publisher = models.ForeignKey(
        "registry.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="packages",
        verbose_name=_("publisher"),
    )
    theme = models.CharField(_("theme"), max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["theme", "id"]

    def __str__(self) -> str:
        return self.theme

    @property
    def publisher_name(self) -> str:
        return self.publisher.name if self.publisher else str(_("The national secretariat"))


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class PackageVersion(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    why = models.TextField(_("why it matters"), blank=True)
    summary = models.TextField(_("guideline summary"), blank=True)
    # The suggested meeting structure: [{"title": str, "duration": int, "description": str}]
    agenda = models.JSONField(_("suggested meeting structure"), default=list, blank=True)
    indicators = models.ManyToManyField(
        "quality.Indicator", blank=True, related_name="+", verbose_name=_("indicators")
    )
    lead_time_days = models.PositiveIntegerField(_("lead time for data (days)"), default=0)
    prerequisites = models.TextField(_("prerequisites"), blank=True)
    follow_up = models.ForeignKey(
        Package,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("follow-up package"),
    )
    revision_date = models.DateField(_("revision date"), null=True, blank=True)
    reviewer = models.CharField(_("reviewer"), max_length=200, blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["package", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="package_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


class ExtractionGuide(models.Model):
    """How to pull the package's data out of one practice system."""

    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="guides")
    system = models.ForeignKey(EhrSystem, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("guide"))

    class Meta:
        ordering = ["system__name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "system"], name="guide_one_per_system")
        ]

    def __str__(self) -> str:
        return str(self.system)


class PackageFile(models.Model):
    version = models.ForeignKey(PackageVersion, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(upload_to="packages/")
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdeaStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Not published")


class Idea(models.Model):
    """The idea bank (KNOW-2, *tørresnor*): a ready project suggestion, contributed by the
    secretariat, a region, the college of GPs or a cluster, moderated by the secretariat
    before it is published."""

    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=100)
    problem = models.TextField(_("the problem"))
    data_description = models.TextField(_("the data that shows it"), blank=True)
    indicators = models.ManyToManyField(
        "quality.Indicator", blank=True, related_name="+", verbose_name=_("suggested indicators")
    )
    goal_indicator = models.ForeignKey(
        "quality.Indicator",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("goal: indicator"),
    )
    goal_target = models.FloatField(_("goal: target"), null=True, blank=True)
    agenda = models.JSONField(_("suggested meeting structure"), default=list, blank=True)
    contributor = models.CharField(_("contributed by"), max_length=200)
    status = models.CharField(
        max_length=20, choices=IdeaStatus.choices, default=IdeaStatus.SUBMITTED
    )
    reject_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["theme", "title"]

    def __str__(self) -> str:
        return self.title


class IdeaAdoption(models.Model):
    """A cluster took an idea up as its project (its goal is a `quality.Goal`)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="adoptions")
    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.CASCADE, related_name="adopted_ideas"
    )
    goal = models.ForeignKey(
        "quality.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_on = models.DateField()
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "cluster"], name="idea_adopted_once")
        ]

    def __str__(self) -> str:
        return f"{self.idea} · {self.cluster}"


class StoryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for the secretariat's review")
    REVIEWED = "reviewed", _("Reviewed: waiting for the coordinator's approval")
    PUBLISHED = "published", _("Published")


class Story(models.Model):
    """A good cluster story (KNOW-2): what a cluster did in its project and what came of
    it. The run chart and the before/after verdict are a frozen snapshot of the
    cluster's *anonymised* series (drawn when the story is drafted or changed), so a
    published story never shows more than the public may see and does not shift when
    later months arrive. Drafted by the cluster, reviewed by the secretariat, approved by
    the coordinator; on approval the cluster's doctors are told by e-mail, and the story
    turns public `public_from` (a few working days later)."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="stories"
    )
    indicator = models.ForeignKey(
        "quality.Indicator", on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator")
    )
    idea = models.ForeignKey(
        Idea,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
        verbose_name=_("from the idea"),
    )
    package = models.ForeignKey(
        Package,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
        verbose_name=_("from the package"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("what we did and what we learned"))
    status = models.CharField(max_length=20, choices=StoryStatus.choices, default=StoryStatus.DRAFT)
    chart = models.JSONField(default=dict, blank=True)  # the run chart's Vega-Lite spec
    verdict = models.TextField(blank=True)
    effects = models.JSONField(default=list, blank=True)  # before/after, one text each
    first_month = models.DateField(null=True, blank=True)
    last_month = models.DateField(null=True, blank=True)
    review_note = models.TextField(blank=True)  # the secretariat's note when sent back
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-public_from", "-id"]
        verbose_name_plural = "stories"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(public_from__isnull=False),
                name="story_published_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.title


class StoryNotice(models.Model):
    """One doctor of the cluster told by e-mail that its story is about to be public
    (sent by the worker; a failure stays visible on the row)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="notices")
    recipient = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["story", "recipient"], name="story_notice_once")
        ]

    def __str__(self) -> str:
        return self.recipient
