"""The API's one exception handler (after HackSoft's styleguide): a service's
`DomainError` becomes a 400 with its message, in exactly one place, and every other
error keeps DRF's handling (401 with `WWW-Authenticate` when no credentials were given,
403, 404, validation errors)."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from klynge.core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
