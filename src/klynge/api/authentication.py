"""API authentication by hashed token (`Authorization: Token <key>`).

The key is looked up by its SHA-256 (`accounts.ApiToken.key_hash`), never stored in
clear; revoked tokens and inactive users are refused. Subclassing DRF's
`TokenAuthentication` keeps its header parsing, its `WWW-Authenticate: Token` (so a
request without credentials is a 401, not a 403) and drf-spectacular's schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from klynge.accounts.models import ApiToken
from klynge.accounts.services import api_token_hash

# `last_used` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=api_token_hash(key), revoked__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token
