"""The API's one exception handler (after HackSoft's styleguide): every error answers
with the same documented body (`klynge.api.schema.ErrorOutput`), in exactly one place.

    {"detail": "…", "code": "not_found"}                          401, 403, 404, 405, …
    {"detail": "…", "code": "domain_error", "field": "year"}       a service's DomainError
    {"detail": "…", "code": "invalid", "errors": {"on": ["…"]}}    invalid input

DRF's own handling stays underneath: a request without credentials is a 401 with
`WWW-Authenticate: Token`, a Django `Http404`/`PermissionDenied` becomes 404/403."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from klynge.core.errors import DomainError


def _messages(value: Any) -> list[str]:
    """DRF's nested error details flattened to a list of strings."""
    if isinstance(value, dict):
        return [message for inner in value.values() for message in _messages(inner)]
    if isinstance(value, list | tuple):
        return [message for inner in value for message in _messages(inner)]
    return [str(value)]


def validation_errors(detail: Any) -> dict[str, list[str]]:
    """A `ValidationError`'s detail as field name → messages (`non_field_errors` for
    errors that belong to no field)."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _code(exc: exceptions.APIException) -> str:
    detail = exc.detail
    code = getattr(detail, "code", None)
    return str(code or exc.default_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": "domain_error"}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling (and its logging)
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("The request is invalid."),
            "code": "invalid",
            "errors": validation_errors(exc.detail),
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        # DRF turned Http404/PermissionDenied into its own exceptions; read the code
        # from the answer's detail (an ErrorDetail carries it).
        detail = response.data["detail"]
        code = getattr(detail, "code", None)
        if code is None and isinstance(exc, exceptions.APIException):
            code = _code(exc)
        response.data = {
            "detail": str(detail),
            "code": str(code or _default_code(response.status_code)),
        }
    return response


def _default_code(status_code: int) -> str:
    return {
        400: "invalid",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        415: "unsupported_media_type",
        429: "throttled",
    }.get(status_code, "error")
