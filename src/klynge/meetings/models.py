"""Meetings (MEET): planning with a date poll, invitations and reminders by e-mail with
an `.ics`, the agenda, attendance, minutes with decisions and follow-up actions,
evaluations and announcements.

A meeting's minutes are edited in place while a draft; approval locks them and keeps
the rendered PDF as a `MinutesVersion`. A correction opens the next version as a draft;
the approved PDFs of earlier versions stay as they were.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from klynge.registry.models import Cluster


class MeetingKind(models.TextChoices):
    CLUSTER = "cluster", _("Cluster meeting")
    JOINT = "joint", _("Joint meeting with other clusters")
    GENERAL_ASSEMBLY = "general_assembly", _("General assembly")
    BOARD = "board", _("Board meeting")
    NETWORK = "network", _("Coordinator network meeting")


class HostModel(models.TextChoices):
    """Who plans the meeting (MEET-4)."""

    COORDINATOR = "coordinator", _("The coordinator")
    BOARD = "board", _("The board")
    MEMBER = "member", _("A member taking their turn")


class Meeting(models.Model):
    """A meeting of a cluster or, with `network` set instead, of a region's coordinator
    network (support.networks): the same planning, agenda, invitations, attendance and
    minutes, invited from the network's members on the meeting's day and organised by
    the region's unit or the secretariat. Exactly one of the two is set."""

    cluster = models.ForeignKey(
        "registry.Cluster",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    network = models.ForeignKey(
        "registry.Region",
        verbose_name=_("coordinator network"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="network_meetings",
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=20, choices=MeetingKind.choices, default=MeetingKind.CLUSTER
    )
    starts = models.DateTimeField(_("starts"), null=True, blank=True)
    ends = models.DateTimeField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    catering = models.CharField(_("catering"), max_length=300, blank=True)
    host_model = models.CharField(
        _("planned by"), max_length=20, choices=HostModel.choices, default=HostModel.COORDINATOR
    )
    host = models.ForeignKey(
        "registry.Doctor",
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_meetings",
    )
    guest_clusters = models.ManyToManyField(
        "registry.Cluster", blank=True, related_name="joint_meetings", verbose_name=_("with")
    )
    indicators = models.ManyToManyField(
        "quality.Indicator", blank=True, related_name="+", verbose_name=_("indicators")
    )
    # Calendar identity: one UID for the meeting's life, SEQUENCE counts the changes.
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    invited_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    poll_closed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts", "-id"]
        indexes = [models.Index(fields=["cluster", "starts"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__isnull=True)
                | models.Q(starts__isnull=False, ends__gt=models.F("starts")),
                name="meeting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(cluster__isnull=False, network__isnull=True)
                | models.Q(cluster__isnull=True, network__isnull=False),
                name="meeting_of_cluster_or_network",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_general_assembly(self) -> bool:
        return self.kind == MeetingKind.GENERAL_ASSEMBLY

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_network_meeting(self) -> bool:
        return self.network_id is not None

    @property
    def own_cluster(self) -> Cluster:
        """The cluster of a cluster meeting. What only a cluster has (its books, its
        archive, its statutes, its data) is asked through this; pages under a cluster's
        address reach only its meetings, so a network meeting here is a programming
        error."""
        if self.cluster is None:
            raise ValueError(f"meeting {self.pk} belongs to a network, not a cluster")
        return self.cluster

    @property
    def organiser_name(self) -> str:
        """Whose meeting it is, as people read it: the cluster's name, or the network's
        ("Koordinatornetværket i Region Sjælland")."""
        if self.cluster is not None:
            return self.cluster.name
        from django.utils.translation import gettext

        assert self.network is not None
        return gettext("Coordinator network %(r)s") % {"r": self.network.name}


class Speaker(models.Model):
    """An external speaker (specialist, medicine consultant, municipality)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    fee = models.DecimalField(_("agreed fee"), max_digits=10, decimal_places=2, default=0)
    # The fee once paid, as an expense in the cluster's books (FIN).
    fee_transaction = models.OneToOneField(
        "finance.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PollSlot(models.Model):
    """A date offered in a meeting's date poll. Offering a date sends nothing; the
    coordinator sends the poll once, as one e-mail per member listing every date
    (`announced_at` is when the members were asked about this date)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slots")
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "starts"], name="poll_slot_once"),
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="poll_slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts:%Y-%m-%d %H:%M}"


class PollAnswer(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", _("Yes")
        IF_NEED_BE = "if_need_be", _("If need be")
        NO = "no", _("No")

    slot = models.ForeignKey(PollSlot, on_delete=models.CASCADE, related_name="answers")
    doctor = models.ForeignKey("registry.Doctor", on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=12, choices=Choice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slot", "doctor"], name="poll_answer_once")]

    def __str__(self) -> str:
        return f"{self.slot}: {self.answer}"


class Rsvp(models.Model):
    """A doctor's "I am coming / I am not coming" to a meeting: one per doctor per
    meeting, changeable until the meeting begins. It is what they said beforehand;
    `Attendance` stays what actually happened."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    doctor = models.ForeignKey("registry.Doctor", on_delete=models.CASCADE, related_name="+")
    coming = models.BooleanField(_("coming"))
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "doctor"], name="rsvp_once")]

    def __str__(self) -> str:
        return f"{self.doctor}: {'coming' if self.coming else 'not coming'}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        "registry.Doctor",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duration = models.PositiveSmallIntegerField(_("minutes allotted"), null=True, blank=True)
    # This item takes up the cluster's open follow-up actions (listed by themselves).
    follow_up = models.BooleanField(default=False)
    notes = models.TextField(_("minutes"), blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class AgendaAttachment(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="meetings/attachments/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    doctor = models.ForeignKey("registry.Doctor", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "doctor"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.doctor}: {self.status}"


class Guest(models.Model):
    class Kind(models.TextChoices):
        TRAINEE = "trainee", _("Trainee doctor")
        STAFF = "staff", _("Practice staff")
        SPEAKER = "speaker", _("Speaker")
        OTHER = "other", _("Other guest")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    organisation = models.CharField(_("clinic or organisation"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    """A decision (at a general assembly: a resolution) under an agenda item. It may
    mark a change to an indicator (DATA-6), drawn on the cluster's charts."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.TextField(_("decision"))
    intervention = models.OneToOneField(
        "quality.Intervention",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decision",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class Action(models.Model):
    """A follow-up action (MEET-2). Open actions reappear on the next meetings' agendas
    until someone marks them done."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        "registry.Doctor",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.text


class MinutesVersion(models.Model):
    """One version of a meeting's minutes: a draft, or approved with its locked PDF."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    correction_reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(upload_to="meetings/minutes/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="minutes_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.number}"


class EvaluationReceipt(models.Model):
    """Who has answered a meeting's evaluation, kept apart from the answers (which
    carry no user, no time and a random key) so that answers stay anonymous."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="evaluation_once")]

    def __str__(self) -> str:
        return f"{self.meeting}: answered"


class EvaluationResponse(models.Model):
    SCALE = [(i, str(i)) for i in range(1, 6)]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="evaluations")
    relevance = models.PositiveSmallIntegerField(_("relevance to my practice"), choices=SCALE)
    learning = models.PositiveSmallIntegerField(_("what I learned"), choices=SCALE)
    organisation = models.PositiveSmallIntegerField(_("organisation of the meeting"), choices=SCALE)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["id"]  # random: no order of arrival
        constraints = [
            models.CheckConstraint(
                condition=models.Q(relevance__gte=1, relevance__lte=5)
                & models.Q(learning__gte=1, learning__lte=5)
                & models.Q(organisation__gte=1, organisation__lte=5),
                name="evaluation_scale_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: evaluation"


class Announcement(models.Model):
    """A message to all members of a cluster (MEET-6): e-mailed and kept on its page."""

    cluster = models.ForeignKey(
        "registry.Cluster", on_delete=models.PROTECT, related_name="announcements"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


class Dispatch(models.Model):
    """One e-mail to one recipient, sent by the task worker. Failures are kept with
    their error, retried with back-off, and shown to the coordinator."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        UPDATE = "update", _("Changed invitation")
        CANCELLATION = "cancellation", _("Cancellation")
        REMINDER = "reminder", _("Reminder")
        POLL = "poll", _("Date poll")
        POLL_REMINDER = "poll_reminder", _("Date poll reminder")
        ANNOUNCEMENT = "announcement", _("Announcement")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Empty for a network meeting's e-mail (the meeting names its network).
    cluster = models.ForeignKey(
        "registry.Cluster", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="dispatches"
    )
    announcement = models.ForeignKey(
        Announcement, null=True, blank=True, on_delete=models.CASCADE, related_name="dispatches"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    recipient = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # the meeting's, for the .ics
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"
