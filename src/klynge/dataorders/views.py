"""Data-order pages and writes: the cluster's orders and the order form, one order with
its thread, and the unit's queue. Each write is one view class with one URL; an order's
permissions are asked on the order (its cluster's roles, plus the addressed unit)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from klynge.core.dates import today
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.dataorders import selectors, services
from klynge.dataorders.forms import ConsentForm, DeclineForm, DeliverForm, MessageForm, OrderForm
from klynge.dataorders.models import DataOrder
from klynge.registry.selectors import region_of


class ClusterOrdersView(ClusterMixin, TemplateView):
    permission = "dataorders.view"
    template_name = "dataorders/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        on = today()
        region = region_of(self.cluster.municipality_id, on)
        context.update(
            orders=selectors.cluster_orders(self.cluster),
            on=on,
            region=region,
            can_order=has_perm(self.request.user, "dataorders.order", self.cluster),
        )
        context.setdefault("form", OrderForm(initial={"anonymised": True}))
        return context


class OrderCreateView(ClusterMixin, ServiceFormView):
    permission = "dataorders.order"
    form_class = OrderForm
    page = ClusterOrdersView

    def perform(self, form: forms.Form) -> str | HttpResponse:
        data = form.cleaned_data
        order = services.order_create(
            actor=self.request.user,
            cluster=self.cluster,
            indicators=data["indicators"],
            description=data["description"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            anonymised=data["anonymised"],
            to_secretariat=data["to_secretariat"],
        )
        return HttpResponseRedirect(reverse("dataorders:detail", args=[order.pk]))


class OrderMixin(PermissionMixin):
    kwargs: dict[str, Any]

    @cached_property
    def order(self) -> DataOrder:
        return get_object_or_404(
            DataOrder.objects.select_related("cluster", "recipient", "package__package"),
            pk=self.kwargs["pk"],
        )

    def get_permission_object(self) -> Any:
        return self.order


class OrderDetailView(OrderMixin, TemplateView):
    permission = "dataorders.view"
    template_name = "dataorders/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        order = self.order
        handles = has_perm(user, "dataorders.handle", order) and services.can_handle(user, order)
        context.update(
            order=order,
            messages_thread=selectors.order_messages(order),
            overdue=selectors.is_overdue(order, today()),
            handles=handles and order.is_open,
            is_cluster=has_perm(user, "dataorders.order", order),
            consent_missing=selectors.consent_missing(order, today()),
        )
        for name, form_class in (
            ("decline_form", DeclineForm),
            ("deliver_form", DeliverForm),
            ("message_form", MessageForm),
        ):
            context.setdefault(name, form_class())
        return context


class OrderWriteView(OrderMixin, ServiceFormView):
    page = OrderDetailView

    def success_url(self) -> str:
        return reverse("dataorders:detail", args=[self.order.pk])


class OrderAcceptView(OrderWriteView):
    permission = "dataorders.handle"

    def perform(self, form: forms.Form) -> str:
        services.order_accept(actor=self.request.user, order=self.order)
        return _("The order is accepted.")


class OrderStartView(OrderWriteView):
    permission = "dataorders.handle"

    def perform(self, form: forms.Form) -> str:
        services.order_start(actor=self.request.user, order=self.order)
        return _("The order is in progress.")


class OrderDeclineView(OrderWriteView):
    permission = "dataorders.handle"
    form_class = DeclineForm
    form_name = "decline_form"

    def perform(self, form: forms.Form) -> str:
        services.order_decline(
            actor=self.request.user, order=self.order, reason=form.cleaned_data["reason"]
        )
        return _("The order is declined; the coordinator sees why.")


class OrderDeliverView(OrderWriteView):
    permission = "dataorders.handle"
    form_class = DeliverForm
    form_name = "deliver_form"

    def perform(self, form: forms.Form) -> str:
        upload = form.cleaned_data["file"]
        services.order_deliver(
            actor=self.request.user, order=self.order, data=upload.read(), filename=upload.name
        )
        return _("The data is delivered and imported as the cluster's data.")


class MessageAddView(OrderWriteView):
    permission = "dataorders.message"
    form_class = MessageForm
    form_name = "message_form"

    def perform(self, form: forms.Form) -> str:
        services.message_add(
            actor=self.request.user, order=self.order, body=form.cleaned_data["body"]
        )
        return _("The message is sent.")


class OrderSeenView(OrderWriteView):
    permission = "dataorders.order"

    def perform(self, form: forms.Form) -> str:
        services.order_mark_seen(actor=self.request.user, order=self.order)
        return ""


class QueueView(PermissionMixin, TemplateView):
    """The unit's queue across its clusters: open orders, the overdue first."""

    permission = "dataorders.view_queue"
    template_name = "dataorders/queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = today()
        closed = self.request.GET.get("alle") == "1"
        return {
            **super().get_context_data(**kwargs),
            "orders": selectors.queue(user=self.request.user, on=on, include_closed=closed),
            "on": on,
            "closed": closed,
        }


def purpose_label(purpose: str) -> str:
    from klynge.dataorders.models import GENERAL_PURPOSE

    return _("the cluster's quality work") if purpose == GENERAL_PURPOSE else purpose


class ConsentPageView(ClusterMixin, TemplateView):
    """Consent to open data, asked once per clinic and purpose: the purposes the
    cluster's open orders ask for, and whether the viewer's clinic has consented."""

    permission = "dataorders.consent"
    template_name = "dataorders/consent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from klynge.quality.selectors import viewer_clinic_id

        context = super().get_context_data(**kwargs)
        clinic_id = viewer_clinic_id(self.request.user)
        purposes = sorted(selectors.purposes_asked(self.cluster))
        given = (
            (selectors.consenting_clinics(clinic_ids={clinic_id}, purpose=p) for p in purposes)
            if clinic_id
            else ()
        )
        context["purposes"] = (
            [
                {"key": p, "label": purpose_label(p), "given": bool(g)}
                for p, g in zip(purposes, given, strict=False)
            ]
            if clinic_id
            else []
        )
        return context


class ConsentGiveView(ClusterMixin, ServiceFormView):
    permission = "dataorders.consent"
    form_class = ConsentForm
    page = ConsentPageView

    def success_url(self) -> str:
        return reverse("dataorders:consent", args=[self.cluster.slug])

    def perform(self, form: forms.Form) -> str:
        services.consent_give(
            actor=self.request.user, cluster=self.cluster, purpose=form.cleaned_data["purpose"]
        )
        return _("Your clinic's consent is recorded; later orders for the same purpose use it.")
