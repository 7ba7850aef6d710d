"""Registry pages: the public overview and map, cluster pages, the registration flow
and dated composition changes. Views parse input, call one service or selector, and
render; each declares its permission for the one engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import table_response
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.forms import DanishDateField
from klynge.core.models import AuditEntry
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView, add_domain_error
from klynge.registry import charts, exports, selectors, services
from klynge.registry.forms import (
    ClinicCreateForm,
    ClinicJoinForm,
    ClusterForm,
    DatedForm,
    DoctorJoinForm,
    DocumentForm,
    OverviewFilterForm,
    RoleForm,
)
from klynge.registry.geography import ATTRIBUTION
from klynge.registry.models import (
    Clinic,
    Cluster,
    Doctor,
    Membership,
    Participation,
    RoleAssignment,
)

# --- Public overview ---------------------------------------------------------------------------


class ClusterListView(PermissionMixin, TemplateView):
    """REG-6: every cluster in a list and on the map, filterable by region and municipality."""

    permission = "registry.view_cluster"
    template_name = "registry/cluster/list.html"

    def get_template_names(self) -> list[str]:
        if (
            self.request.headers.get("HX-Request")
            and self.request.headers.get("HX-Target") == "overview"
        ):
            return ["registry/cluster/_overview.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = OverviewFilterForm(self.request.GET or None)
        on, region, municipality, impossible = _overview_filter(form)
        rows = (
            []
            if impossible
            else selectors.cluster_overview(
                on=on,
                region=region.code if region else None,
                municipality=municipality.code if municipality else None,
            )
        )
        query = self.request.GET.urlencode()
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "on": on,
            "impossible": impossible,
            "oob": self.get_template_names() != [self.template_name],
            "rows": rows,
            "totals": {
                "clusters": len(rows),
                "clinics": sum(r.clinics for r in rows),
                "doctors": sum(r.doctors for r in rows),
                "patients": sum(r.listed_patients for r in rows),
            },
            "map_spec": charts.cluster_map_spec(
                rows,
                region=region.code if region else None,
                municipalities=(
                    list(selectors.municipalities_in(region, on).values_list("pk", flat=True))
                    if region
                    else None
                ),
                on=on,
            ),
            "query": f"?{query}" if query else "",
            "attribution": ATTRIBUTION,
        }


def _overview_filter(form: OverviewFilterForm) -> tuple[dt.date, Any, Any, str]:
    """The date, region and municipality asked for, and why the combination is
    impossible ("" when it is possible). An unbound form is today, everything."""
    if not form.is_bound:
        return today(), None, None, ""
    if form.is_valid():
        data = form.cleaned_data
        return data["on"], data["region"], data["municipality"], ""
    problems = [str(e) for e in form.non_field_errors()] + [
        str(e) for name in ("dato", "region", "municipality") for e in form.errors.get(name, [])
    ]
    return form.on, None, None, " ".join(problems)


class RegisterExportView(PermissionMixin, View):
    """REG-8: the register as CSV or XLSX as of the page's date, with its filters. An
    impossible filter exports nothing: 400 with the reason."""

    permission = "registry.view_cluster"

    def get(self, request, fmt: str):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        form = OverviewFilterForm(request.GET or None)
        on, region, municipality, impossible = _overview_filter(form)
        if impossible:
            return HttpResponse(impossible, status=400, content_type="text/plain; charset=utf-8")
        rows = exports.register_rows(
            on=on,
            region=region.code if region else None,
            municipality=municipality.code if municipality else None,
        )
        return table_response(
            exports.HEADERS,
            exports.table(rows),
            f"klynger-{on.isoformat()}",
            fmt=fmt,
            sheet="klynger",
        )


# --- Cluster pages ------------------------------------------------------------------------------


class ClusterDetailView(ClusterMixin, TemplateView):
    permission = "registry.view_cluster"
    template_name = "registry/cluster/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = today()
        size = selectors.cluster_sizes(on=on, cluster_ids=[self.cluster.pk]).get(
            self.cluster.pk, selectors.ClusterSize()
        )
        return {
            **super().get_context_data(**kwargs),
            "size": size,
            "coordinator": selectors.cluster_coordinator_on(cluster=self.cluster, on=on),
            "on": on,
        }


class ClusterMembersView(ClusterMixin, TemplateView):
    """REG-3: who was a member on a chosen date, with the full history below."""

    permission = "registry.view_members"
    template_name = "registry/cluster/members.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        field = DanishDateField(required=False)
        on, date_error = today(), None
        raw = self.request.GET.get("dato", "").strip()
        if raw:
            try:
                on = field.clean(raw) or on
            except ValidationError as exc:
                date_error = exc.messages[0]
        memberships = list(selectors.cluster_memberships_on(cluster=self.cluster, on=on))
        counts = selectors.clinic_counts_on(on=on, clinic_ids=[m.clinic_id for m in memberships])
        return {
            **super().get_context_data(**kwargs),
            "on": on,
            "date_input": raw or on.strftime("%d-%m-%Y"),
            "date_error": date_error,
            "memberships": [(m, counts.get(m.clinic_id)) for m in memberships],
            "participations": selectors.cluster_participations_on(cluster=self.cluster, on=on),
            "roles": selectors.cluster_roles_on(cluster=self.cluster, on=on).order_by(
                "role", "doctor__name"
            ),
            "history": Membership.objects.filter(cluster=self.cluster)
            .exclude(pk__in=[m.pk for m in memberships])
            .select_related("clinic")
            .order_by("-start"),
            "past_roles": RoleAssignment.objects.filter(cluster=self.cluster, end__isnull=False)
            .select_related("doctor")
            .order_by("-end"),
            "can_edit": self.request.user.has_perm("registry.change_cluster", self.cluster),
            # A clinic's size would link a pseudonym in the quality data to the clinic.
            "sees_sizes": self.request.user.has_perm("registry.view_clinic_sizes", self.cluster),
            "today": today(),
        }


class ClusterHistoryView(ClusterMixin, TemplateView):
    """PLAT-4: the audit trail of the cluster: who changed what, when. Each entry is
    its action's sentence (`core/log_entry/<action>.html`), which shows what the readers
    of this page may see; the entry's raw data (e-mail addresses, checksums, file
    names) is never printed."""

    permission = "registry.view_history"
    template_name = "registry/cluster/history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        entries = AuditEntry.objects.for_scope(self.cluster).select_related("actor")
        if not self.request.user.has_perm("quality.view_consents", self.cluster):
            # Who consented or withdrew is the coordinator's to know (docs/privacy.md):
            # the entry's actor names a doctor, and the members page names their clinic.
            # The same holds for consent to a data order's purpose.
            entries = entries.exclude(action__startswith="quality.consent.").exclude(
                action__startswith="dataorders.consent."
            )
        return {**super().get_context_data(**kwargs), "entries": entries[:500]}


# --- Registration ---------------------------------------------------------------------------


class ClusterRegisterView(PermissionMixin, FormView):
    """REG-1: register a new cluster. No approval step; the checklist follows."""

    permission = "registry.register_cluster"
    template_name = "registry/cluster/register.html"
    form_class = ClusterForm

    def get_initial(self):
        doctor = Doctor.objects.filter(user=self.request.user).select_related("clinic").first()
        return {"municipality": doctor.clinic.municipality_id} if doctor else {}

    def form_valid(self, form):
        doctor = Doctor.objects.filter(user=self.request.user).select_related("clinic").first()
        try:
            cluster = services.cluster_register(
                actor=self.request.user,
                registered=today(),
                coordinator=doctor,
                **form.cleaned_data,
            )
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The cluster is registered. The checklist shows what is still missing."),
        )
        return HttpResponseRedirect(reverse("registry:cluster.registration", args=[cluster.slug]))


class NameCheckView(PermissionMixin, TemplateView):
    """htmx: warn about similar names in the same municipality and suggest a suffix."""

    permission = "registry.register_cluster"
    template_name = "registry/cluster/_name_check.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from klynge.registry.models import Municipality

        code = self.request.GET.get("municipality", "")
        municipality = Municipality.objects.filter(pk=int(code) if code.isdigit() else 0).first()
        exclude = Cluster.objects.filter(slug=self.request.GET.get("cluster", "")).first()
        check = selectors.similar_cluster_names(
            name=self.request.GET.get("name", ""), municipality=municipality, exclude=exclude
        )
        return {**super().get_context_data(**kwargs), "check": check, "municipality": municipality}


class ClinicSearchView(PermissionMixin, TemplateView):
    """htmx: find clinics by provider number or name."""

    permission = "registry.search_clinics"
    template_name = "registry/clinic/_search.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.get("q", "")
        clinics = list(selectors.clinic_search(query=query))
        on = today()
        memberships = {
            m.clinic_id: m.cluster
            for m in Membership.objects.active_on(on)
            .filter(clinic__in=clinics)
            .select_related("cluster")
        }
        return {
            **super().get_context_data(**kwargs),
            "query": query,
            "results": [(c, memberships.get(c.pk)) for c in clinics],
        }


class ClusterRegistrationView(ClusterMixin, TemplateView):
    """REG-2: the completeness checklist, with size and name advice (REG-1, REG-5)."""

    permission = "registry.view_registration"
    template_name = "registry/cluster/registration.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = today()
        checklist = selectors.registration_checklist(cluster=self.cluster, on=on)
        size = selectors.cluster_sizes(on=on, cluster_ids=[self.cluster.pk]).get(
            self.cluster.pk, selectors.ClusterSize()
        )
        return {
            **super().get_context_data(**kwargs),
            "checklist": checklist,
            "missing": [item for item in checklist if not item.done],
            "size": size,
            "size_warnings": selectors.size_warnings(size),
            "name_check": selectors.similar_cluster_names(
                name=self.cluster.name, municipality=self.cluster.municipality, exclude=self.cluster
            ),
            "document_form": DocumentForm(),
            "can_edit": self.request.user.has_perm("registry.change_cluster", self.cluster),
        }


class ClusterEditView(ClusterMixin, FormView):
    permission = "registry.change_cluster"
    template_name = "registry/cluster/edit.html"
    form_class = ClusterForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.cluster}

    def form_valid(self, form):
        changes = {
            f: form.cleaned_data[f] for f in services.CLUSTER_EDITABLE if f in form.cleaned_data
        }
        # The form edited the instance in memory; reload so the service sees the old values.
        cluster = Cluster.objects.get(pk=self.cluster.pk)
        services.cluster_update(actor=self.request.user, cluster=cluster, **changes)
        messages.success(self.request, _("The cluster's data are saved."))
        return HttpResponseRedirect(reverse("registry:cluster.registration", args=[cluster.slug]))


class DocumentUploadView(ClusterMixin, FormView):
    permission = "registry.change_cluster"
    form_class = DocumentForm
    template_name = "registry/cluster/document_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in services.DOCUMENT_FIELDS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.cluster_document_upload(
                actor=self.request.user,
                cluster=self.cluster,
                kind=self.kwargs["kind"],
                upload=form.cleaned_data["file"],
                max_bytes=settings.KLYNGE_DOCUMENT_MAX_BYTES,
            )
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The document is uploaded."))
        return HttpResponseRedirect(self.cluster_url("cluster.registration"))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "kind": self.kwargs["kind"]}


class DocumentDownloadView(ClusterMixin, View):
    permission = "registry.view_documents"

    def get(self, request, slug: str, kind: str):
        if kind not in services.DOCUMENT_FIELDS:
            raise Http404
        document = getattr(self.cluster, kind)
        if not document:
            raise Http404
        try:
            handle = document.open("rb")
        except FileNotFoundError as exc:  # the demo dataset names files it does not ship
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=document.name.rsplit("/", 1)[-1])


# --- Composition changes (REG-3) --------------------------------------------------------------


class MembershipAddView(ClusterMixin, TemplateView):
    """A clinic joins: found by provider number, or added to the register first."""

    permission = "registry.change_cluster"
    template_name = "registry/cluster/membership_add.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        now = today().strftime("%d-%m-%Y")
        return {
            "join_form": ClinicJoinForm(
                initial={"start": now, "provider_number": self.request.GET.get("ydernummer", "")}
            ),
            "create_form": ClinicCreateForm(
                initial={"start": now, "counted_on": f"01-01-{today().year}"}
            ),
            **super().get_context_data(**kwargs),
        }


class MembershipWriteView(ClusterMixin, ServiceFormView):
    permission = "registry.change_cluster"
    page = MembershipAddView

    def success_url(self) -> str:
        return self.cluster_url()


class MembershipJoinView(MembershipWriteView):
    """A registered clinic joins (found by provider number)."""

    form_class = ClinicJoinForm
    form_name = "join_form"

    def perform(self, form):
        clinic, start = form.clinic, form.cleaned_data["start"]
        if refusal := refused_backdating(self.request, self.cluster, start):
            raise DomainError(refusal, field="start")
        services.clinic_join(
            actor=self.request.user,
            cluster=self.cluster,
            clinic=clinic,
            start=start,
            with_doctors=form.cleaned_data["with_doctors"],
        )
        return _("%(clinic)s is a member from %(date)s.") % {
            "clinic": clinic.name,
            "date": format_date(start),
        }


class ClinicCreateJoinView(MembershipWriteView):
    """A clinic not yet in the register is added and joins."""

    form_class = ClinicCreateForm
    form_name = "create_form"

    def perform(self, form):
        if refusal := refused_backdating(self.request, self.cluster, form.cleaned_data["start"]):
            raise DomainError(refusal, field="start")
        clinic = services.clinic_create_and_join(
            actor=self.request.user, cluster=self.cluster, **form.cleaned_data
        )
        return _("%(clinic)s is added to the register and joins the cluster.") % {
            "clinic": clinic.name
        }


DATA_ROLES = {"coordinator", "data_person"}


def refused_backdating(request, cluster, on: dt.date) -> str | None:
    """The board registers changes from today on; only the coordinator and the
    secretariat may date one back (it rewrites months already published)."""
    if on < today() and not request.user.has_perm("registry.backdate_changes", cluster):
        return _(
            "Only the coordinator or the secretariat can register a change back in time; "
            "register it from today."
        )
    return None


def refused_data_role(request, cluster, role: str) -> str | None:
    if role in DATA_ROLES and not request.user.has_perm("registry.assign_data_roles", cluster):
        return _(
            "Only the coordinator or the secretariat can hand over the coordinator or data "
            "role: it gives access to the clinics' identified data."
        )
    return None


class _EndView(ClusterMixin, FormView):
    """Shared shape of "ends on a date" changes: membership, participation, role."""

    permission = "registry.change_cluster"
    form_class = DatedForm
    template_name = "registry/cluster/end.html"
    model: type
    title = ""

    @cached_property
    def target(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"], cluster=self.cluster)

    def get_initial(self):
        return {"date": today().strftime("%d-%m-%Y")}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "target": self.target, "title": self.title}

    def end(self, on: dt.date) -> None:
        raise NotImplementedError

    def form_valid(self, form):
        refusal = refused_backdating(self.request, self.cluster, form.cleaned_data["date"])
        if refusal is None and isinstance(self.target, RoleAssignment):
            refusal = refused_data_role(self.request, self.cluster, self.target.role)
        if refusal:
            form.add_error("date", refusal)
            return self.form_invalid(form)
        try:
            self.end(form.cleaned_data["date"])
        except DomainError as error:
            form.add_error("date", error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The change is registered from %(date)s.")
            % {"date": format_date(form.cleaned_data["date"])},
        )
        return HttpResponseRedirect(self.cluster_url())


class MembershipEndView(_EndView):
    model = Membership
    title = "membership"

    def end(self, on):
        services.membership_end(actor=self.request.user, membership=self.target, end=on)


class ParticipationEndView(_EndView):
    model = Participation
    title = "participation"

    def end(self, on):
        services.participation_end(actor=self.request.user, participation=self.target, end=on)


class RoleEndView(_EndView):
    model = RoleAssignment
    title = "role"

    def end(self, on):
        services.role_end(actor=self.request.user, assignment=self.target, end=on)


class ParticipationAddView(ClusterMixin, FormView):
    permission = "registry.change_cluster"
    template_name = "registry/cluster/participation_add.html"
    form_class = DoctorJoinForm

    def get_form_kwargs(self):
        on = today()
        clinic_ids = selectors.cluster_memberships_on(cluster=self.cluster, on=on).values(
            "clinic_id"
        )
        active = Participation.objects.active_on(on).values("doctor_id")
        return {
            **super().get_form_kwargs(),
            "doctors": Doctor.objects.filter(clinic_id__in=clinic_ids)
            .exclude(pk__in=active)
            .select_related("clinic"),
            "clinics": Clinic.objects.filter(pk__in=clinic_ids),
        }

    def get_initial(self):
        return {"start": today().strftime("%d-%m-%Y")}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            doctor = data["doctor"] or services.doctor_create(
                actor=self.request.user,
                clinic=data["new_clinic"],
                name=data["new_name"],
                email=data["new_email"] or "",
            )
            services.participation_start(
                actor=self.request.user, cluster=self.cluster, doctor=doctor, start=data["start"]
            )
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(doctor)s takes part from %(date)s.")
            % {"doctor": doctor.name, "date": format_date(data["start"])},
        )
        return HttpResponseRedirect(self.cluster_url())


class RoleAddView(ClusterMixin, FormView):
    """Coordinator or board changes: the previous holder's term ends the same day."""

    permission = "registry.change_cluster"
    template_name = "registry/cluster/role_add.html"
    form_class = RoleForm

    def get_form_kwargs(self):
        on = today()
        doctors = Doctor.objects.filter(
            Q(participations__cluster=self.cluster)
            & (Q(participations__end__isnull=True) | Q(participations__end__gt=on))
        ).distinct()
        return {**super().get_form_kwargs(), "doctors": doctors}

    def get_initial(self):
        return {
            "start": today().strftime("%d-%m-%Y"),
            "role": self.request.GET.get("rolle", "coordinator"),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        refusal = refused_data_role(self.request, self.cluster, data["role"])
        if refusal:
            form.add_error("role", refusal)
            return self.form_invalid(form)
        refusal = refused_backdating(self.request, self.cluster, data["start"])
        if refusal:
            form.add_error("start", refusal)
            return self.form_invalid(form)
        try:
            assignment = services.role_assign(
                actor=self.request.user,
                cluster=self.cluster,
                doctor=data["doctor"],
                role=data["role"],
                start=data["start"],
            )
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        if assignment is None:  # a hand-over waits for the new holder's login
            messages.success(
                self.request,
                _(
                    "%(doctor)s is invited to set up a login. The present holder keeps the "
                    "role until the invitation is accepted; follow it on the people page."
                )
                % {"doctor": data["doctor"].name},
            )
        else:
            messages.success(self.request, _("The role is registered."))
        return HttpResponseRedirect(self.cluster_url())
