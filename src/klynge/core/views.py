"""Base views: permission declared as an attribute, checked by the one engine."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import TemplateView

from klynge.core.permissions import has_perm


class PermissionMixin:
    """Declare `permission = "domain.action"`; object views return their object from
    `get_permission_object()`. Anonymous users are sent to log in; logged-in users
    without the permission get 404 on another cluster's objects (nothing leaks) and
    403 on global pages."""

    permission: str = ""
    request: HttpRequest

    def get_permission_object(self) -> Any:
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.permission:
            raise ValueError(f"{type(self).__name__} declares no permission")
        obj = self.get_permission_object()
        if not has_perm(request.user, self.permission, obj):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if obj is not None:
                raise Http404
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class HomeView(TemplateView):
    """The front page: national key figures and, for a doctor, their own clusters.
    (`core` renders what domains compute; it imports their selectors only here.)"""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from klynge.registry import selectors

        on = selectors.today()
        return {
            **super().get_context_data(**kwargs),
            "stats": selectors.national_totals(on=on),
            "my_clusters": selectors.user_clusters(user=self.request.user, on=on),
        }
