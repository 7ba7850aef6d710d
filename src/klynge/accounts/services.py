"""Account writes: API tokens (made, shown once, revoked), invitations to set up a
login, and the safe hand-over of the roles that run a cluster."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.accounts.models import INVITATION_DAYS, ApiToken, Handover, Invitation, User
from klynge.core.errors import DomainError
from klynge.core.mail import permanent_failure
from klynge.core.models import audit_log

PREFIX_LENGTH = 8


def api_token_hash(key: str) -> str:
    """The stored form of a key: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, actor: object, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the key, which is stored nowhere
    and must be shown to the user now or never."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=key[:PREFIX_LENGTH], key_hash=api_token_hash(key)
        )
        audit_log(
            actor=actor,
            action="accounts.api_token.created",
            target=token,
            data={"user": user.email, "prefix": token.prefix, "name": token.name},
        )
    return token, key


def api_token_revoke(*, actor: object, token: ApiToken) -> ApiToken:
    """Revoke a token from now on (idempotent)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked is None:
            token.revoked = timezone.now()
            token.save(update_fields=["revoked"])
            audit_log(
                actor=actor,
                action="accounts.api_token.revoked",
                target=token,
                data={"user": token.user.email, "prefix": token.prefix},
            )
    return token


# --- Invitations ------------------------------------------------------------------------------
#
# Adding a doctor with an e-mail (a composition change, an election, a role) invites them
# to set up a login; the secretariat and regional units invite their staff. Every
# sending is an `Invitation` row; the mail is sent by the worker (`tasks.send_invitation`)
# once the transaction commits, and a failed send keeps its error, is retried with
# back-off and shows as "could not be delivered" on the people page.

INVITATION_SALT = "klynge.accounts.invitation"
MAX_ATTEMPTS = 4


def has_login(user: User | None) -> bool:
    """Whether `user` can log in: an active account that has a password or has logged
    in (by a one-time code) before."""
    return bool(
        user is not None
        and user.is_active
        and (user.has_usable_password() or user.last_login is not None)
    )


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the invitation link: the row's id and nonce, signed (the
    same link every time; expiry is the row's `expires`)."""
    return signing.Signer(salt=INVITATION_SALT).sign_object(
        [invitation.pk, invitation.nonce], compress=True
    )


def _new_invitation(**fields: Any) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        nonce=secrets.token_hex(16),
        created=now,
        expires=now + dt.timedelta(days=INVITATION_DAYS),
        **fields,
    )


def _supersede(invitations: Any) -> None:
    invitations.filter(accepted__isnull=True, superseded__isnull=True).update(
        superseded=timezone.now()
    )


def _live(invitations: Any) -> Any:
    return invitations.filter(
        accepted__isnull=True, superseded__isnull=True, expires__gt=timezone.now()
    )


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _enqueue(invitation: Invitation, *, delay: dt.timedelta | None = None) -> None:
    from klynge.accounts.tasks import send_invitation

    task = send_invitation
    if delay:
        task = task.using(run_after=timezone.now() + delay)
    pk = invitation.pk
    transaction.on_commit(lambda: task.enqueue(pk))


def doctor_invite(*, actor: Any, doctor: Any, cluster: Any) -> Invitation | None:
    """Invite a doctor of `cluster` to set up a login, unless they have one, have no
    e-mail, or already hold a live invitation. Returns the new invitation or None."""
    user = doctor.user
    if has_login(user) or not (doctor.email or (user and user.email)):
        return None
    with transaction.atomic():
        earlier = Invitation.objects.filter(doctor=doctor)
        if _live(earlier).exists():
            return None
        invitation = _new_invitation(
            kind=Invitation.Kind.DOCTOR,
            email=(user.email if user else doctor.email).lower(),
            name=doctor.name,
            doctor=doctor,
            cluster=cluster,
            invited_by=_actor_user(actor),
        )
        audit_log(
            actor=actor,
            action="accounts.invitation.created",
            target=invitation,
            scope=f"cluster:{cluster.pk}",
            data={"doctor": doctor.name, "email": invitation.email},
        )
        _enqueue(invitation)
    return invitation


def invitation_resend(*, actor: Any, invitation: Invitation) -> Invitation:
    """Send a person a new invitation ("Send igen"): the earlier links stop working and
    the new one works for another `INVITATION_DAYS` days."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.doctor_id is not None:
            person = Invitation.objects.filter(doctor_id=invitation.doctor_id)
            doctor = invitation.doctor
            if doctor is not None and has_login(doctor.user):
                raise DomainError(_("%(name)s already has a login.") % {"name": doctor.name})
        else:
            person = Invitation.objects.filter(email__iexact=invitation.email, doctor__isnull=True)
            if has_login(User.objects.filter(email__iexact=invitation.email).first()):
                raise DomainError(_("%(email)s already has a login.") % {"email": invitation.email})
        _supersede(person)
        new = _new_invitation(
            kind=invitation.kind,
            email=invitation.email,
            name=invitation.name,
            doctor=invitation.doctor,
            cluster=invitation.cluster,
            region=invitation.region,
            invited_by=_actor_user(actor),
        )
        audit_log(
            actor=actor,
            action="accounts.invitation.resent",
            target=new,
            scope=f"cluster:{new.cluster_id}" if new.cluster_id else "",
            data={"email": new.email, "previous": invitation.pk},
        )
        _enqueue(new)
    return new


def doctor_invite_with_email(*, actor: Any, doctor: Any, cluster: Any, email: str) -> Invitation:
    """Give a doctor without an e-mail one and invite them (the people page)."""
    from klynge.registry import services as registry

    with transaction.atomic():
        registry.doctor_email_set(actor=actor, doctor=doctor, email=email)
        doctor.refresh_from_db()
        if has_login(doctor.user):
            raise DomainError(_("%(name)s already has a login.") % {"name": doctor.name})
        _supersede(Invitation.objects.filter(doctor=doctor))
        invitation = doctor_invite(actor=actor, doctor=doctor, cluster=cluster)
        assert invitation is not None
    return invitation


def staff_invite(
    *, actor: Any, email: str, name: str, region: Any = None, secretariat: bool = False
) -> Invitation:
    """Invite a colleague of the secretariat (`secretariat=True`) or of a regional
    quality unit (`region`). The secretariat invites both; regional staff invite only
    colleagues of their own region."""
    email = User.objects.normalize_email(email.strip()).lower()
    if not email:
        raise DomainError(_("Write the e-mail address."), field="email")
    if secretariat == (region is not None):
        raise DomainError(_("Choose the secretariat or one region."), field="region")
    actor_user = _actor_user(actor)
    if actor_user is None or not actor_user.is_secretariat:
        own = staff_region(actor_user)
        if secretariat or own is None or region is None or own.pk != region.pk:
            raise DomainError(_("You can invite colleagues of your own region only."))
    if has_login(User.objects.filter(email__iexact=email).first()):
        raise DomainError(_("%(email)s already has a login.") % {"email": email}, field="email")
    with transaction.atomic():
        _supersede(Invitation.objects.filter(email__iexact=email, doctor__isnull=True))
        invitation = _new_invitation(
            kind=Invitation.Kind.SECRETARIAT if secretariat else Invitation.Kind.REGION,
            email=email,
            name=name.strip()[:200],
            region=region,
            invited_by=actor_user,
        )
        audit_log(
            actor=actor,
            action="accounts.invitation.created",
            target=invitation,
            data={
                "email": email,
                "kind": invitation.kind,
                "region": getattr(region, "code", None),
            },
        )
        _enqueue(invitation)
    return invitation


def staff_region(user: User | None) -> Any:
    """The region whose quality unit `user` serves today: the registry's dated posts
    when it has them (REG-7), else the account's region."""
    if user is None:
        return None
    from klynge.registry import selectors

    dated = getattr(selectors, "staff_region", None)
    return dated(user) if dated is not None else user.region


def invitation_accept(*, invitation: Invitation, password: str | None) -> User:
    """Accept an invitation: make (or find) the user, set the password, link the doctor
    or the staff post, and complete hand-overs waiting for this person. Works once,
    before it expires, and only for the newest invitation."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("doctor", "cluster", "region")
            .get(pk=invitation.pk)
        )
        refusal = invitation_refusal(invitation)
        if refusal:
            raise DomainError(refusal)
        user = User.objects.filter(email__iexact=invitation.email).first()
        if invitation.doctor is not None and invitation.doctor.user is not None:
            user = invitation.doctor.user
        if user is None:
            user = User.objects.create_user(invitation.email, None, name=invitation.name)
        elif not user.name and invitation.name:
            user.name = invitation.name
        if password:
            user.set_password(password)
        user.save()
        doctor = invitation.doctor
        if doctor is not None and doctor.user_id != user.pk:
            other = type(doctor).objects.filter(user=user).exclude(pk=doctor.pk).first()
            if other is not None:
                raise DomainError(
                    _("%(email)s is already the login of another doctor.")
                    % {"email": invitation.email}
                )
            doctor.user = user
            doctor.save(update_fields=["user"])
        if invitation.kind == Invitation.Kind.SECRETARIAT and not user.is_secretariat:
            user.is_secretariat = True
            user.save(update_fields=["is_secretariat"])
        if invitation.kind == Invitation.Kind.REGION and invitation.region is not None:
            _staff_post(user=user, region=invitation.region)
        invitation.accepted = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted", "user"])
        audit_log(
            actor=user,
            action="accounts.invitation.accepted",
            target=invitation,
            scope=f"cluster:{invitation.cluster_id}" if invitation.cluster_id else "",
            data={"email": invitation.email, "kind": invitation.kind},
        )
        if doctor is not None:
            handovers_complete_for(doctor=doctor, actor=user)
    return user


def _staff_post(*, user: User, region: Any) -> None:
    """Regional staff: a dated post from today when the registry has them (REG-7);
    the account's region is kept in step while permissions still read it."""
    try:
        from klynge.registry import staff
    except ImportError:  # the registry has no dated posts yet: the account's region only
        staff = None  # type: ignore[assignment]
    if staff is not None:
        from klynge.core.dates import today

        staff.staff_post_start(actor=user, user=user, region=region, start=today())
    if user.region_id != region.pk:
        user.region = region
        user.save(update_fields=["region"])


def invitation_refusal(invitation: Invitation) -> str:
    """Why the invitation's link no longer works ('' when it does)."""
    if invitation.accepted is not None:
        return _("This invitation has already been used. Log in with your e-mail address.")
    if invitation.superseded is not None:
        return _("A newer invitation has been sent to you. Use the link in the newest e-mail.")
    if invitation.expires <= timezone.now():
        return _("The invitation has expired. Ask the person who invited you to send it again.")
    return ""


def invitation_send(invitation_id: int) -> str:
    """Send one invitation e-mail (called by the worker); returns its mail status."""
    from klynge.accounts import mail

    with transaction.atomic():
        invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation_id)
        done = {Invitation.Mail.SENT, Invitation.Mail.BOUNCED}  # a refused address is not retried
        if invitation.mail_status in done or invitation.superseded:
            return invitation.mail_status
        invitation.attempts += 1
        try:
            mail.build_invitation(invitation).send()
        except Exception as error:  # any SMTP/socket failure: keep it, retry later
            reason = f"{type(error).__name__}: {error}"
            if permanent_failure(error):
                _refused(invitation, reason=reason)
            else:
                invitation.mail_status = Invitation.Mail.FAILED
                invitation.last_error = reason[:500]
        else:
            invitation.mail_status = Invitation.Mail.SENT
            invitation.sent_at = timezone.now()
            invitation.last_error = ""
        invitation.save(update_fields=["mail_status", "attempts", "last_error", "sent_at"])
        if invitation.mail_status == Invitation.Mail.FAILED and invitation.attempts < MAX_ATTEMPTS:
            _enqueue(invitation, delay=dt.timedelta(minutes=4 ** (invitation.attempts - 1)))
    return invitation.mail_status


def invitation_bounce(*, invitation_id: int, reason: str) -> bool:
    """The recipient's mail server refused the invitation's address for good after it
    was sent (a delivery report read by `manage.py process_bounces`): the invitation is
    marked refused as a refusal at SMTP time is, and the people page asks for a
    corrected address. Nothing changes for an invitation already refused, accepted
    (the address works) or replaced by a newer one. Returns whether it changed."""
    with transaction.atomic():
        row = Invitation.objects.select_for_update(of=("self",)).filter(pk=invitation_id).first()
        if (
            row is None
            or row.mail_status == Invitation.Mail.BOUNCED
            or row.accepted is not None
            or row.superseded is not None
        ):
            return False
        _refused(row, reason=reason)
        row.save(update_fields=["mail_status", "last_error"])
    return True


def _refused(invitation: Invitation, *, reason: str) -> None:
    """Mark `invitation` refused for good by the recipient's mail server (at SMTP time
    or later, by a delivery report): not retried; the caller saves the row."""
    invitation.mail_status = Invitation.Mail.BOUNCED
    invitation.last_error = reason[:500]
    audit_log(
        actor=None,
        action="accounts.invitation.bounced",
        target=invitation,
        scope=f"cluster:{invitation.cluster_id}" if invitation.cluster_id else "",
        data={"email": invitation.email, "reason": invitation.last_error},
    )


# --- Hand-overs of the roles that run a cluster ------------------------------------------------

HANDOVER_ROLES = frozenset({"coordinator", "treasurer"})


def handover_needed(*, outgoing_user: User | None, incoming_user: User | None, role: str) -> bool:
    """A hand-over waits when the outgoing holder can log in and the incoming cannot:
    otherwise the cluster would be left without anyone able to run it."""
    return role in HANDOVER_ROLES and has_login(outgoing_user) and not has_login(incoming_user)


def handover_request(
    *,
    actor: Any,
    cluster: Any,
    doctor: Any,
    role: str,
    start: dt.date,
    hand_over_by: dt.date | None = None,
) -> Handover:
    """Register a pending hand-over and invite the incoming holder (called by
    `registry.services.role_assign` inside its transaction). Refused when the doctor has
    no e-mail to invite."""
    from klynge.core.dates import today

    if not (doctor.email or (doctor.user and doctor.user.email)):
        raise DomainError(
            _(
                "%(doctor)s has no login and no e-mail address. Add their e-mail on the "
                "people page so they can be invited, then hand over the role."
            )
            % {"doctor": doctor.name},
            field="doctor",
        )
    earliest = max(start, today())
    hand_over_by = hand_over_by or earliest + dt.timedelta(days=INVITATION_DAYS)
    if hand_over_by < earliest:
        raise DomainError(
            _("The latest hand-over date cannot be before the term starts."), field="start"
        )
    Handover.objects.filter(cluster=cluster, role=role, completed__isnull=True).delete()
    handover = Handover.objects.create(
        cluster=cluster,
        role=role,
        doctor=doctor,
        start=start,
        hand_over_by=hand_over_by,
        requested_by=_actor_user(actor),
    )
    audit_log(
        actor=actor,
        action="accounts.handover.requested",
        target=handover,
        scope=f"cluster:{cluster.pk}",
        data={
            "role": role,
            "doctor": doctor.name,
            "start": str(start),
            "hand_over_by": str(hand_over_by),
        },
    )
    doctor_invite(actor=actor, doctor=doctor, cluster=cluster)
    _schedule_handover(handover)
    return handover


def _schedule_handover(handover: Handover) -> None:
    """The worker applies the hand-over on its last day, if still pending."""
    from klynge.accounts.tasks import apply_handovers

    run_after = timezone.make_aware(dt.datetime.combine(handover.hand_over_by, dt.time(0, 5)))
    transaction.on_commit(lambda: apply_handovers.using(run_after=run_after).enqueue())


def handover_deadline_set(*, actor: Any, handover: Handover, hand_over_by: dt.date) -> Handover:
    """The coordinator moves the date on which the hand-over happens anyway."""
    from klynge.core.dates import today

    with transaction.atomic():
        handover = Handover.objects.select_for_update().get(pk=handover.pk)
        if handover.completed is not None:
            raise DomainError(_("The role has already been handed over."))
        if hand_over_by < max(handover.start, today()):
            raise DomainError(
                _("Choose today or a later date, not before the term starts."),
                field="hand_over_by",
            )
        handover.hand_over_by = hand_over_by
        handover.save(update_fields=["hand_over_by"])
        audit_log(
            actor=actor,
            action="accounts.handover.date_set",
            target=handover,
            scope=f"cluster:{handover.cluster_id}",
            data={"hand_over_by": str(hand_over_by)},
        )
        _schedule_handover(handover)
    return handover


def _handover_complete(*, handover: Handover, actor: Any, on: dt.date) -> Any:
    from klynge.registry import services as registry

    start = max(handover.start, on)
    assignment = registry.role_assign(
        actor=actor,
        cluster=handover.cluster,
        doctor=handover.doctor,
        role=handover.role,
        start=start,
        hand_over_now=True,
    )
    handover.completed = timezone.now()
    handover.assignment = assignment
    handover.save(update_fields=["completed", "assignment"])
    from klynge.governance.elections import election_link

    election_link(assignment=assignment)
    audit_log(
        actor=actor,
        action="accounts.handover.completed",
        target=handover,
        scope=f"cluster:{handover.cluster_id}",
        data={"role": handover.role, "doctor": handover.doctor.name, "start": str(start)},
    )
    return assignment


def handovers_complete_for(*, doctor: Any, actor: Any) -> int:
    """The incoming holder can now log in: hand over their pending roles (from the
    requested start, or today if that has passed)."""
    from klynge.core.dates import today

    done = 0
    for handover in Handover.objects.select_for_update().filter(
        doctor=doctor, completed__isnull=True
    ):
        try:
            with transaction.atomic():
                _handover_complete(handover=handover, actor=actor, on=today())
        except DomainError:
            # The doctor left the cluster meanwhile: the hand-over lapses, the login stays.
            handover.delete()
            continue
        done += 1
    return done


def handovers_apply_due(*, on: dt.date | None = None) -> int:
    """Apply every pending hand-over whose latest date has come (the worker's task and
    `manage.py handovers_apply`); idempotent."""
    from klynge.core.dates import today

    on = on or today()
    done = 0
    pending = Handover.objects.filter(completed__isnull=True, hand_over_by__lte=on)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            handover = Handover.objects.select_for_update().filter(pk=pk).first()
            if handover is None or handover.completed is not None:
                continue
            try:
                _handover_complete(handover=handover, actor=None, on=on)
            except DomainError:
                # The doctor left the cluster meanwhile: the hand-over lapses.
                handover.delete()
                continue
            done += 1
    return done


def orphan_appoint(*, actor: Any, cluster: Any, doctor: Any, email: str = "") -> Any:
    """The secretariat steps in for a cluster without a coordinator who can log in:
    `doctor` becomes its coordinator from today (nobody's rights to keep) and is
    invited if they have no login."""
    from klynge.core.dates import today
    from klynge.registry import services as registry

    with transaction.atomic():
        if email:
            registry.doctor_email_set(actor=actor, doctor=doctor, email=email)
            doctor.refresh_from_db()
        if not has_login(doctor.user) and not (doctor.email or (doctor.user and doctor.user.email)):
            raise DomainError(
                _("Write %(doctor)s's e-mail address so they can be invited.")
                % {"doctor": doctor.name},
                field="email",
            )
        assignment = registry.role_assign(
            actor=actor, cluster=cluster, doctor=doctor, role="coordinator", start=today()
        )
        audit_log(
            actor=actor,
            action="accounts.orphan.coordinator_appointed",
            target=cluster,
            scope=f"cluster:{cluster.pk}",
            data={"doctor": doctor.name},
        )
    return assignment
