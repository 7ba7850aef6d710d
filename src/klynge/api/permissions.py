"""The API asks the one permission engine (`klynge.core.permissions`), like the web
views' `PermissionMixin`: an endpoint declares `permission = "domain.action"`.

- Global permissions (no object) are checked before the endpoint runs: anonymous
  callers get 401 (`WWW-Authenticate: Token`), everyone else without the role 403.
- Endpoints about one cluster set `object_permission = True` and call
  `self.check_object_permissions(request, cluster)`: without the role on that cluster
  the answer is 404, as on the web (another cluster's pages leak nothing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from klynge.core.permissions import has_perm
from klynge.registry.selectors import filter_problem, staff_scope


class EnginePermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        permission = view.permission
        if not request.user or not request.user.is_authenticated:
            # An anonymous caller's roles do not depend on the object.
            return has_perm(request.user, permission)
        if getattr(view, "object_permission", False):
            return True  # decided on the object
        return has_perm(request.user, permission)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if not has_perm(request.user, view.permission, obj):
            raise NotFound
        return True


def region_scope(request: Request, on: dt.date, requested: int | None) -> int | None:
    """The region a regional list (grants, payouts, coverage) is limited to on `on`, as
    on the web pages (`staff_scope`): a regional unit's own region then (Region
    Østdanmark from 2027 for the staff of Hovedstaden and Sjælland), the secretariat's
    choice or the whole nation. A regional unit asking for another region gets 403."""
    own = staff_scope(request.user, on)
    if own is None:
        if requested is not None:
            problem = filter_problem(on=on, region=requested)
            if problem:
                raise ValidationError({"region": [problem]})
        return requested
    if requested is not None and requested != own.pk:
        raise PermissionDenied(
            _("Your unit reads its own region: %(region)s on %(date)s.")
            % {"region": own.name, "date": on.isoformat()}
        )
    return own.pk
