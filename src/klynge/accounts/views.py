"""Account pages: accepting an invitation, a cluster's people and their login status
(with "send again"), pending hand-overs, staff invitations and the secretariat's
step-in for clusters nobody can run. Thin: each write is one `ServiceFormView`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import login
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from klynge.accounts import selectors, services
from klynge.accounts.forms import (
    AppointForm,
    DoctorEmailForm,
    HandoverDateForm,
    SetPasswordForm,
    StaffInviteForm,
)
from klynge.accounts.models import Handover, Invitation
from klynge.core.dates import today
from klynge.core.formatting import format_date
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.registry import selectors as registry_selectors
from klynge.registry.models import Cluster, Doctor, Participation, Region

# --- Accepting an invitation -------------------------------------------------------------------


class InvitationMixin(PermissionMixin):
    permission = "accounts.accept_invitation"
    kwargs: dict[str, Any]

    @cached_property
    def invitation(self) -> Invitation:
        invitation = selectors.invitation_from_token(self.kwargs["token"])
        if invitation is None:
            raise Http404
        return invitation


class InvitationView(InvitationMixin, TemplateView):
    """The link in the e-mail: choose a password (or see why the link no longer works)."""

    template_name = "accounts/invitation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        invitation = self.invitation
        return {
            **super().get_context_data(**kwargs),
            "invitation": invitation,
            "refusal": services.invitation_refusal(invitation),
            "form": kwargs.get("form") or SetPasswordForm(email=invitation.email),
            "token": self.kwargs["token"],
        }


class InvitationAcceptView(InvitationMixin, ServiceFormView):
    form_class = SetPasswordForm
    page = InvitationView

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "email": self.invitation.email}

    def perform(self, form: forms.Form) -> str | HttpResponse:
        user = services.invitation_accept(
            invitation=self.invitation, password=form.cleaned_data["password1"]
        )
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        from django.contrib import messages

        messages.success(
            self.request,
            _("Welcome to Klynge. You are logged in as %(email)s.") % {"email": user.email},
        )
        return HttpResponseRedirect(reverse("core:home"))


# --- A cluster's people ------------------------------------------------------------------------


class PeopleView(ClusterMixin, TemplateView):
    """Who in the cluster can log in: active, invited, not delivered; with "send
    again", an e-mail for those without one, and pending hand-overs."""

    permission = "accounts.view_people"
    template_name = "accounts/people.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = today()
        user = self.request.user
        handovers = selectors.pending_handovers(cluster=self.cluster)
        return {
            **super().get_context_data(**kwargs),
            "people": selectors.cluster_people(cluster=self.cluster, on=on, now=timezone.now()),
            "handovers": handovers,
            "can_invite": has_perm(user, "accounts.invite", self.cluster),
            "can_hand_over": has_perm(user, "accounts.hand_over", self.cluster),
            "email_form": kwargs.get("email_form") or DoctorEmailForm(),
            "date_form": kwargs.get("date_form") or HandoverDateForm(),
        }


class _ClusterWrite(ClusterMixin, ServiceFormView):
    page = PeopleView

    def success_url(self) -> str:
        return reverse("accounts:people", args=[self.cluster.slug])


class InvitationResendView(_ClusterWrite):
    """ "Send igen": a new link to a doctor of this cluster; the old one stops working."""

    permission = "accounts.invite"

    def perform(self, form: forms.Form) -> str:
        invitation = get_object_or_404(
            Invitation,
            pk=self.kwargs["pk"],
            doctor__in=Participation.objects.filter(cluster=self.cluster).values("doctor_id"),
        )
        new = services.invitation_resend(actor=self.request.user, invitation=invitation)
        return _("A new invitation is on its way to %(email)s.") % {"email": new.email}


class DoctorInviteView(_ClusterWrite):
    """Give a doctor of this cluster without an e-mail one, and invite them."""

    permission = "accounts.invite"
    form_class = DoctorEmailForm
    form_name = "email_form"

    def perform(self, form: forms.Form) -> str:
        doctor = get_object_or_404(
            Doctor,
            pk=self.kwargs["pk"],
            pk__in=Participation.objects.filter(cluster=self.cluster).values("doctor_id"),
        )
        invitation = services.doctor_invite_with_email(
            actor=self.request.user,
            doctor=doctor,
            cluster=self.cluster,
            email=form.cleaned_data["email"],
        )
        return _("An invitation is on its way to %(email)s.") % {"email": invitation.email}


class HandoverDateView(_ClusterWrite):
    """The date on which a pending hand-over happens even if not yet accepted."""

    permission = "accounts.hand_over"
    form_class = HandoverDateForm
    form_name = "date_form"

    def perform(self, form: forms.Form) -> str:
        handover = get_object_or_404(
            Handover, pk=self.kwargs["pk"], cluster=self.cluster, completed__isnull=True
        )
        handover = services.handover_deadline_set(
            actor=self.request.user,
            handover=handover,
            hand_over_by=form.cleaned_data["hand_over_by"],
        )
        return _("The role is handed over on %(date)s at the latest.") % {
            "date": format_date(handover.hand_over_by)
        }


# --- Staff (secretariat and regional quality units) ---------------------------------------------


def _regions() -> Any:
    regions_on = getattr(registry_selectors, "regions_on", None)
    if regions_on is not None:
        return regions_on(today())
    return Region.objects.all()


class StaffView(PermissionMixin, TemplateView):
    """The secretariat invites regional staff and its own colleagues; a regional unit
    invites its own colleagues. Open invitations with their status and "send again"."""

    permission = "accounts.invite_staff"
    template_name = "accounts/staff.html"

    def scope(self) -> tuple[bool, Any]:
        user = self.request.user
        secretariat = bool(getattr(user, "is_secretariat", False))
        return secretariat, None if secretariat else services.staff_region(user)  # type: ignore[arg-type]

    def form(self, data: Any = None) -> StaffInviteForm:
        secretariat, region = self.scope()
        regions = (
            _regions() if secretariat else Region.objects.filter(pk__in=[getattr(region, "pk", 0)])
        )
        return StaffInviteForm(data, regions=regions, secretariat=secretariat)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        secretariat, region = self.scope()
        now = timezone.now()
        rows = [
            (
                invitation,
                selectors.STATUS_LABELS[
                    selectors.invitation_status(
                        invitation, user_active=invitation.accepted is not None, now=now
                    )
                ],
            )
            for invitation in selectors.staff_invitations(region=region, secretariat=secretariat)
        ]
        return {
            **super().get_context_data(**kwargs),
            "secretariat": secretariat,
            "region": region,
            "rows": rows,
            "form": kwargs.get("form") or self.form(),
        }


class StaffInviteView(ServiceFormView):
    permission = "accounts.invite_staff"
    page = StaffView

    def get_form(self) -> forms.Form:
        page = StaffView()
        page.setup(self.request)
        return page.form(self.request.POST)

    def success_url(self) -> str:
        return reverse("accounts:staff")

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        invitation = services.staff_invite(
            actor=self.request.user,
            email=data["email"],
            name=data["name"],
            region=data["region"],
            secretariat=data["region"] is None,
        )
        return _("An invitation is on its way to %(email)s.") % {"email": invitation.email}


class StaffResendView(ServiceFormView):
    permission = "accounts.invite_staff"
    page = StaffView

    def success_url(self) -> str:
        return reverse("accounts:staff")

    def perform(self, form: forms.Form) -> str:
        user = self.request.user
        invitations = Invitation.objects.filter(doctor__isnull=True)
        if not getattr(user, "is_secretariat", False):
            region = services.staff_region(user)  # type: ignore[arg-type]
            invitations = invitations.filter(region=region)
        invitation = get_object_or_404(invitations, pk=self.kwargs["pk"])
        new = services.invitation_resend(actor=user, invitation=invitation)
        return _("A new invitation is on its way to %(email)s.") % {"email": new.email}


# --- Clusters nobody can run ----------------------------------------------------------------------


class OrphansView(PermissionMixin, TemplateView):
    """Clusters without a coordinator who can log in; the secretariat appoints one."""

    permission = "accounts.step_in"
    template_name = "accounts/orphans.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        total, orphans = selectors.orphaned_clusters(on=today())
        failed = kwargs.get("form")
        rows = []
        for orphan in orphans:
            form = AppointForm(
                doctors=Doctor.objects.filter(pk__in=[d.pk for d in orphan.candidates]),
                prefix=f"c{orphan.cluster.pk}",
            )
            if failed is not None and self.kwargs.get("slug") == orphan.cluster.slug:
                form = failed
            rows.append((orphan, form))
        return {**super().get_context_data(**kwargs), "total": total, "rows": rows}


class OrphanAppointView(ServiceFormView):
    permission = "accounts.step_in"
    page = OrphansView

    @cached_property
    def cluster(self) -> Cluster:
        return get_object_or_404(Cluster, slug=self.kwargs["slug"])

    def get_form(self) -> forms.Form:
        on = today()
        doctors = Doctor.objects.filter(
            pk__in=Participation.objects.active_on(on)
            .filter(cluster=self.cluster)
            .values("doctor_id")
        )
        return AppointForm(self.request.POST, doctors=doctors, prefix=f"c{self.cluster.pk}")

    def success_url(self) -> str:
        return reverse("accounts:orphans")

    def perform(self, form: forms.Form) -> str:
        doctor = form.cleaned_data["doctor"]
        services.orphan_appoint(
            actor=self.request.user,
            cluster=self.cluster,
            doctor=doctor,
            email=form.cleaned_data["email"] or "",
        )
        return _("%(doctor)s is the coordinator of %(cluster)s from today.") % {
            "doctor": doctor.name,
            "cluster": self.cluster.name,
        }
