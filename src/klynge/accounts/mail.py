"""The invitation e-mail, always in Danish (the programme's language), as plain text
and accessible HTML (`klynge.core.mail`), with a return path that names the invitation
(`klynge.core.bounces`)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from klynge.accounts.models import Invitation
from klynge.core import mail as core_mail


def invitation_url(invitation: Invitation) -> str:
    from klynge.accounts.services import invitation_token

    path = reverse("accounts:invitation", args=[invitation_token(invitation)])
    return f"{settings.KLYNGE_SITE_URL.rstrip('/')}{path}"


def build_invitation(invitation: Invitation) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation),
        "site_url": settings.KLYNGE_SITE_URL,
        "inviter": invitation.invited_by,
        "cluster": invitation.cluster,
        "region": invitation.region,
    }
    message = core_mail.build("accounts/mail/invitation", context, to=[invitation.email])
    # A refusal reported later comes back to an address naming this invitation.
    return core_mail.set_return_path(message, kind="invitation", pk=invitation.pk)
