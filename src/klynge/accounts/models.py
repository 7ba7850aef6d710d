"""Users log in by e-mail. A user is a doctor (through `registry.Doctor.user`), staff
of a regional quality unit (`region`) or of the national secretariat."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True, is_secretariat=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin access"), default=False)
    is_secretariat = models.BooleanField(_("national secretariat"), default=False)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("regional quality unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    date_joined = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`), stored only as its SHA-256.

    The key is shown once, when it is made (`manage.py api_token_create`); afterwards
    only its first characters (`prefix`) identify it in lists. A key is long and random,
    so an unsalted hash suffices and lets a request be matched by one indexed lookup.
    Revoking keeps the row (who had access, when it was last used).
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"


INVITATION_DAYS = 14  # an invitation link works for this long, once


class Invitation(models.Model):
    """An invitation to set up a login, sent by e-mail (one row per sending).

    The link carries the row's id and a random nonce, signed with the secret key
    (`accounts.services.invitation_token`); it works once (`accepted`), until `expires`,
    and not after a newer invitation to the same person replaced it (`superseded`).
    A doctor's invitation names the cluster it came from (the coordinator's people
    page); staff invitations name their region or the secretariat. The user is made
    when the invitation is accepted."""

    class Kind(models.TextChoices):
        DOCTOR = "doctor", _("Doctor")
        REGION = "region", _("Regional quality unit")
        SECRETARIAT = "secretariat", _("National secretariat")

    class Mail(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be delivered")
        BOUNCED = "bounced", _("Refused by the recipient's mail server")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    doctor = models.ForeignKey(
        "registry.Doctor", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    cluster = models.ForeignKey(
        "registry.Cluster", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    created = models.DateTimeField(_("created"))
    expires = models.DateTimeField(_("expires"))
    accepted = models.DateTimeField(_("accepted"), null=True, blank=True)
    superseded = models.DateTimeField(_("replaced by a newer invitation"), null=True, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    mail_status = models.CharField(max_length=10, choices=Mail.choices, default=Mail.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["doctor", "created"]), models.Index(fields=["email"])]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_kind_display()})"


class Handover(models.Model):
    """A pending hand-over of the coordinator's or treasurer's role to a doctor who has
    no login yet: the outgoing holder keeps the role (and their rights) until the new
    holder accepts the invitation, or until `hand_over_by`, when it happens anyway
    (`accounts.tasks.apply_handovers`, also `manage.py handovers_apply` for cron)."""

    cluster = models.ForeignKey("registry.Cluster", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=20)
    doctor = models.ForeignKey("registry.Doctor", on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("from"))
    hand_over_by = models.DateField(_("hand over at the latest"))
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    completed = models.DateTimeField(_("completed"), null=True, blank=True)
    assignment = models.ForeignKey(
        "registry.RoleAssignment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["hand_over_by", "id"]
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")

    def __str__(self) -> str:
        return f"{self.role} → {self.doctor_id} ({self.cluster_id})"

    @property
    def role_label(self) -> str:
        from klynge.registry.models import RoleKind

        return str(RoleKind(self.role).label) if self.role in RoleKind.values else self.role
