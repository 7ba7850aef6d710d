"""Base views: permission declared as an attribute, checked by the one engine; and the
write path every form and button of the product posts to (`ServiceFormView`).

**One write = one view class = one URL = one declared permission.** A page with several
forms posts each form to its own URL, so the permission matrix sees every write. The
write view validates its form, calls one service, and either redirects back with a
message (post/redirect/get) or — when the form is invalid or the service raises a
`DomainError` — re-renders the page it belongs to with the bound form and status 400,
so multi-form screens keep their other forms and the user's input. Domain errors are
mapped onto forms here and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.permissions import has_perm

if TYPE_CHECKING:
    from klynge.registry.models import Cluster


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


class ClusterMixin(PermissionMixin):
    """Every page under a cluster's address: loads the cluster from the URL (an old
    address after a rename redirects), checks the permission on it, so another
    cluster's pages answer 404, and puts it in the context."""

    kwargs: dict[str, Any]

    def dispatch(self, request, *args, **kwargs):
        from klynge.registry.selectors import renamed_cluster_url

        moved = renamed_cluster_url(request, kwargs.get("slug"))
        if moved:
            return HttpResponsePermanentRedirect(moved)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def cluster(self) -> Cluster:
        from klynge.registry.models import Cluster

        return get_object_or_404(
            Cluster.objects.select_related("municipality"), slug=self.kwargs["slug"]
        )

    def get_permission_object(self) -> Cluster:
        return self.cluster

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["cluster"] = self.cluster
        return context

    def cluster_url(self, name: str = "cluster.members") -> str:
        return reverse(f"registry:{name}", args=[self.cluster.slug])


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's domain error on the form: on its field when the form has it,
    else on the form as a whole."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class EmptyForm(forms.Form):
    """The form of a write that has no fields (a button: approve, cancel, undo)."""


class ServiceFormView(PermissionMixin, View):
    """One write: POST only; `permission` is checked before anything else.

    Subclasses set `permission`, `form_class` (default: no fields), `page` (the page
    view class whose context is rebuilt when the write is refused) and `form_name` (the
    context name of the bound form on that page), and implement `perform(form)`, which
    calls one service and returns the success message (or a response). `success_url()`
    says where to go next: by default back to the page (the `next` field when it is a
    safe local address, else the request's own page).
    """

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]
    form_class: type[forms.Form] = EmptyForm
    page: type[View] | None = None
    form_name = "form"
    kwargs: dict[str, Any]

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"data": self.request.POST, "files": self.request.FILES}

    def get_form(self) -> forms.Form:
        return self.form_class(**self.get_form_kwargs())

    def perform(self, form: forms.Form) -> str | HttpResponse:  # pragma: no cover
        raise NotImplementedError

    def success_url(self) -> str:
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}
        ):
            return target
        referer = self.request.headers.get("referer", "")
        if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={self.request.get_host()}
        ):
            return referer
        return "/"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if form.is_valid():
            try:
                result = self.perform(form)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                if isinstance(result, HttpResponse):
                    return result
                if result:
                    messages.success(request, result)
                return HttpResponseRedirect(self.success_url())
        return self.form_invalid(form)

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        """The page again, with this form bound and its errors, status 400; without a
        page, the errors as messages and back where the user came from."""
        if self.page is None:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(self.request, str(error))
            response = HttpResponseRedirect(self.success_url())
            response.status_code = 303
            return response
        for error in form.non_field_errors():
            messages.error(self.request, str(error))
        page = self.page()
        page.setup(self.request, *self.args, **self.kwargs)
        context = page.get_context_data(**self.kwargs)  # type: ignore[attr-defined]
        context[self.form_name] = form
        return page.render_to_response(context, status=400)  # type: ignore[attr-defined]


class HomeView(TemplateView):
    """The front page. Anonymous visitors see the national key figures; everyone logged
    in lands on "Mit overblik" (`klynge.core.overview`): the sections each domain
    contributes for their roles, above the same key figures. (`core` renders what
    domains compute; it imports their selectors only here.)"""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from klynge.core.overview import overview_for
        from klynge.registry import selectors

        on = today()
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "on": on,
            "overview": overview_for(user=user, on=on) if user.is_authenticated else None,
            "public_overview": None if user.is_authenticated else overview_for(user=user, on=on),
            "stats": selectors.national_totals(on=on),
            "my_clusters": selectors.user_clusters(user=user, on=on),
        }


class HealthView(View):
    """`/sundhed/`: "ok" when the process answers, for a load balancer or a monitor. It
    reads nothing: it touches neither the session nor the user. `bench/speed.py`
    reports pages against it and against `/bench/session/` (bench settings only), the
    same bare answer after loading the session and the user, as a page does."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
