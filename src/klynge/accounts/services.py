"""Account writes: API tokens (made, shown once, revoked)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from klynge.accounts.models import ApiToken, User
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
