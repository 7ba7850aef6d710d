"""The invitation e-mail, always in Danish (the programme's language)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from klynge.accounts.models import Invitation


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
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/mail/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/mail/invitation_body.txt", context)
    return EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
