"""What every endpoint shares: the error body, the documented error answers, the
`?on=` date and the integer filters, and limit/offset pagination.

Each endpoint documents exactly the answers it gives: `errors(400, 401, 404)` adds the
shared `Error` body for those codes, so the schema and the exception handler
(`klynge.api.exceptions`) cannot drift apart (schemathesis checks both in the suite)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from klynge.core.dates import today
from klynge.registry.geography import OSTDANMARK, REGIONS_FROM

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # RFC 3339 full-date, nothing else
# Database integer keys: larger numbers can name nothing (and SQLite refuses them).
MAX_ID = 2**63 - 1


class ErrorOutput(serializers.Serializer):
    """The body of every error answer."""

    detail = serializers.CharField(help_text="A message for people, in the user's language.")
    code = serializers.CharField(
        help_text="For programs: `invalid`, `domain_error`, `not_authenticated`, "
        "`authentication_failed`, `permission_denied`, `not_found`, `method_not_allowed`, "
        "`unsupported_media_type`, `parse_error`, …"
    )
    field = serializers.CharField(
        required=False, help_text="The input a domain rule refused (with `domain_error`)."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="With `invalid`: every message per input name (`non_field_errors` for the "
        "request as a whole).",
    )

    class Meta:
        ref_name = "Error"


_ERROR_TEXT = {
    400: "The request is invalid: `code` is `invalid` (with `errors` per input) or "
    "`domain_error` (a rule of the domain, with `field`).",
    401: "No credentials, or a token that is unknown or revoked (`WWW-Authenticate: Token`).",
    403: "Authenticated, but the role does not allow this.",
    404: "Not found, or not yours to see (another cluster's data answers 404, so nothing leaks).",
}


# Public endpoints: a token or a session is optional (a wrong token is still a 401).
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an endpoint, all with the shared body."""
    return {
        code: OpenApiResponse(ErrorOutput, description=_ERROR_TEXT.get(code, "")) for code in codes
    }


# --- Parameters ------------------------------------------------------------------------------

ON = OpenApiParameter(
    "on",
    OpenApiTypes.DATE,
    description="The date the answer is as of (ISO 8601, e.g. 2027-01-15; from "
    f"{REGIONS_FROM.isoformat()}); default today. Regions are dated: from 2027-01-01 Region Hovedstaden and Region Sjælland are Region "
    "Østdanmark (1086).",
)
DATE_ALIAS = OpenApiParameter(
    "date",
    OpenApiTypes.DATE,
    description="Former name of `on`, still accepted.",
    deprecated=True,
)


def whole_number(minimum: int = 0, maximum: int = MAX_ID) -> dict[str, Any]:
    """The schema of a whole-number parameter, with the bounds `int_param` enforces."""
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


# The codes regions have had (the five until 2026, Region Østdanmark from 2027; ADR 8)
# and the span of the municipality codes (101 København to 860 Hjørring).
REGION_CODES = [1081, 1082, 1083, 1084, 1085, OSTDANMARK]
MUNICIPALITY_CODES = (101, 860)

REGION = OpenApiParameter(
    "region",
    {"type": "integer", "enum": REGION_CODES},
    description="Only this region (its code), as it stood on `on`: Region Hovedstaden "
    "(1084) and Region Sjælland (1085) until 2026-12-31, Region Østdanmark (1086) from "
    "2027-01-01. A region not in force on `on` is a 400 that says so.",
)
MUNICIPALITY = OpenApiParameter(
    "municipality",
    whole_number(*MUNICIPALITY_CODES),
    description="Only this municipality (its code, e.g. 259 Køge).",
)


def date_param(request: Request) -> dt.date:
    """`?on=` (or its former name `?date=`) as a date; today without one. A parameter
    that is given must be an ISO date (an empty one too), from the regions' start."""
    dates: dict[str, dt.date] = {}
    for name in ("on", "date"):
        if name not in request.query_params:
            continue
        raw = request.query_params[name]
        try:
            on = dt.date.fromisoformat(raw) if ISO_DATE.fullmatch(raw) else None
        except ValueError:
            on = None
        if on is None:
            raise serializers.ValidationError({name: [_("Use an ISO date like 2027-01-15.")]})
        if on < REGIONS_FROM:
            raise serializers.ValidationError(
                {
                    name: [
                        _("Klynge knows the regions from %(date)s; use that date or a later one.")
                        % {"date": REGIONS_FROM.isoformat()}
                    ]
                }
            )
        dates[name] = on
    return dates.get("on") or dates.get("date") or today()


def int_param(
    request: Request, name: str, *, minimum: int = 0, maximum: int = MAX_ID
) -> int | None:
    """An optional whole-number query parameter within bounds; None when absent (a
    parameter that is given must be a number, an empty one too)."""
    if name not in request.query_params:
        return None
    raw = request.query_params[name]
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise serializers.ValidationError(
            {
                name: [
                    _("Use a whole number from %(min)s to %(max)s.")
                    % {"min": minimum, "max": maximum}
                ]
            }
        )
    return int(raw)


class Pagination(LimitOffsetPagination):
    """`?limit=` (default 200, at most 1000) and `?offset=`; the answer says `count` and
    links `next`/`previous`. Values out of bounds are a 400, not silently replaced."""

    default_limit = 200
    max_limit = 1000

    def get_limit(self, request: Request) -> int:
        limit = int_param(request, self.limit_query_param, minimum=1, maximum=self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        return int_param(request, self.offset_query_param) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        bounds = {
            self.limit_query_param: whole_number(1, self.max_limit),
            self.offset_query_param: whole_number(),
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = bounds[parameter["name"]]
        return parameters
