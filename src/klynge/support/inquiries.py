"""External inquiries (KNOW-4): the rules and writes, after the steering committee's
minutes of 24 October 2019 (seed 003). Parties are welcome, but coordinators must not
be swamped: the secretariat sorts, group 1 (state and public institutions, and DSAM)
is decided by the secretariat with the regional unit concerned, group 2 (research
institutions and patient organisations) by the steering committee at a meeting; an
approved inquiry goes only to matching clusters, and no cluster gets more than
`KLYNGE_INQUIRIES_PER_QUARTER` a quarter.

Writes own their transaction and audit entry and raise `DomainError`, like
`services.py`; pages for them are not built yet.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.core.permissions import Role
from klynge.registry.models import Cluster
from klynge.registry.selectors import cluster_sizes, in_region
from klynge.support.models import Forwarding, InquirerKind, Inquiry, SteeringPost

GROUP_1 = frozenset(
    {InquirerKind.HOSPITAL, InquirerKind.MUNICIPALITY, InquirerKind.PUBLIC, InquirerKind.DSAM}
)
# The minutes name research institutions and patient organisations for group 2 and do
# not name companies; a company goes the cautious way, to the committee.
GROUP_2 = frozenset({InquirerKind.RESEARCH, InquirerKind.PATIENTS, InquirerKind.COMPANY})


def group_for(kind: str) -> int:
    """The group an inquirer's type belongs to (pure)."""
    if kind in GROUP_1:
        return 1
    if kind in GROUP_2:
        return 2
    raise ValueError(kind)


def per_quarter() -> int:
    return settings.KLYNGE_INQUIRIES_PER_QUARTER


def quarter_start(on: dt.date) -> dt.date:
    return dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)


def on_committee(user: Any, on: dt.date) -> bool:
    """Whether `user` holds a seat on the steering committee on `on`."""
    return bool(
        getattr(user, "is_authenticated", False)
        and SteeringPost.objects.filter(user=user, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .exists()
    )


def steering_roles(user: Any, _obj: None) -> set[Role]:
    """The permission engine's resolver: a seat on the committee today."""
    return {Role.STEERING} if on_committee(user, timezone.localdate()) else set()


def inquiry_submit(
    *,
    organisation: str,
    kind: str,
    contact_name: str,
    email: str,
    proposal: str,
    region: Any = None,
    municipality: Any = None,
    theme: str = "",
    min_doctors: int | None = None,
    timeframe: str = "",
) -> Inquiry:
    """A public submission (no login): stored with its group and a private token."""
    if kind not in InquirerKind.values:
        raise DomainError(_("Choose the type of organisation."), field="kind")
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            token=secrets.token_urlsafe(32),
            organisation=organisation.strip(),
            kind=kind,
            contact_name=contact_name.strip(),
            email=email.strip(),
            proposal=proposal.strip(),
            region=region,
            municipality=municipality,
            theme=theme.strip(),
            min_doctors=min_doctors,
            timeframe=timeframe.strip(),
            group=group_for(kind),
        )
        audit_log(
            actor=None,
            action="support.inquiry.submit",
            target=inquiry,
            scope="support",
            data={"kind": kind, "group": inquiry.group},
        )
    return inquiry


def _locked(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().get(pk=inquiry.pk)


def inquiry_triage(*, actor: Any, inquiry: Inquiry, group: int | None = None) -> Inquiry:
    """The secretariat sorts: the group follows the inquirer's type unless the
    secretariat corrects it; group 2 goes on to the steering committee."""
    if not getattr(actor, "is_secretariat", False):
        raise DomainError(_("The secretariat triages inquiries."))
    with transaction.atomic():
        inquiry = _locked(inquiry)
        if inquiry.status != Inquiry.Status.RECEIVED:
            raise DomainError(_("The inquiry has already been triaged."))
        inquiry.group = group or group_for(inquiry.kind)
        if inquiry.group == 2:
            inquiry.status = Inquiry.Status.COMMITTEE
        inquiry.save(update_fields=["group", "status"])
        audit_log(
            actor=actor,
            action="support.inquiry.triage",
            target=inquiry,
            scope="support",
            data={"group": inquiry.group},
        )
    return inquiry


def inquiry_decide(
    *,
    actor: Any,
    inquiry: Inquiry,
    approve: bool,
    reason: str = "",
    meeting: dt.date | None = None,
    on: dt.date | None = None,
) -> Inquiry:
    """Approve or decline. Group 1: the secretariat (with the regional unit), from
    received. Group 2: a member of the steering committee, recording the committee
    meeting that decided, once the secretariat has put it before the committee. A
    decline needs a reason, which the inquirer sees."""
    on = on or timezone.localdate()
    if not approve and not reason.strip():
        raise DomainError(_("Give the reason for declining; the inquirer sees it."), field="reason")
    with transaction.atomic():
        inquiry = _locked(inquiry)
        if inquiry.group == 2:
            if inquiry.status != Inquiry.Status.COMMITTEE:
                raise DomainError(_("The inquiry is not before the steering committee."))
            if not on_committee(actor, on):
                raise DomainError(_("Group 2 inquiries are decided by the steering committee."))
            if meeting is None:
                raise DomainError(
                    _("Give the date of the committee meeting that decided."), field="meeting"
                )
        else:
            if inquiry.status != Inquiry.Status.RECEIVED:
                raise DomainError(_("The inquiry has already been decided."))
            if not getattr(actor, "is_secretariat", False):
                raise DomainError(_("Group 1 inquiries are decided by the secretariat."))
        inquiry.status = Inquiry.Status.APPROVED if approve else Inquiry.Status.DECLINED
        inquiry.reason = "" if approve else reason.strip()
        inquiry.committee_meeting = meeting if inquiry.group == 2 else None
        inquiry.decided = timezone.now()
        inquiry.save(update_fields=["status", "reason", "committee_meeting", "decided"])
        audit_log(
            actor=actor,
            action="support.inquiry.decide",
            target=inquiry,
            scope="support",
            data={
                "approve": approve,
                "meeting": meeting.isoformat() if meeting else None,
                "reason": inquiry.reason,
            },
        )
    return inquiry


def matching_clusters(*, inquiry: Inquiry, on: dt.date) -> list[Cluster]:
    """Active clusters in the inquiry's region and municipality with at least its
    number of doctors (the theme is for the clusters to judge when they opt in)."""
    qs = Cluster.objects.active_on(on).order_by("name", "id")  # type: ignore[attr-defined]
    if inquiry.region_id is not None:
        qs = qs.filter(in_region(inquiry.region_id, on))
    if inquiry.municipality_id is not None:
        qs = qs.filter(municipality_id=inquiry.municipality_id)
    clusters = list(qs)
    if inquiry.min_doctors:
        sizes = cluster_sizes(on=on, cluster_ids=[c.pk for c in clusters])
        clusters = [
            c for c in clusters if c.pk in sizes and sizes[c.pk].doctors >= inquiry.min_doctors
        ]
    return clusters


@dataclass(frozen=True)
class ForwardResult:
    sent: list[Forwarding]
    over_cap: list[Cluster]  # matched, but had their quarter's inquiries already


def inquiry_forward(*, actor: Any, inquiry: Inquiry, on: dt.date | None = None) -> ForwardResult:
    """Send an approved inquiry to the matching clusters that have had fewer than the
    quarterly cap this quarter. The clusters' rows are locked, so two forwardings at
    once cannot both take a cluster's last place in the quarter."""
    on = on or timezone.localdate()
    if not getattr(actor, "is_secretariat", False):
        raise DomainError(_("The secretariat forwards inquiries."))
    with transaction.atomic():
        inquiry = _locked(inquiry)
        if inquiry.status != Inquiry.Status.APPROVED:
            raise DomainError(_("Only an approved inquiry is forwarded."))
        matched = matching_clusters(inquiry=inquiry, on=on)
        ids = [c.pk for c in matched]
        list(Cluster.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        since = timezone.make_aware(dt.datetime.combine(quarter_start(on), dt.time()))
        counts: dict[int, int] = {}
        for cluster_id in Forwarding.objects.filter(
            cluster_id__in=ids, sent__gte=since
        ).values_list("cluster_id", flat=True):
            counts[cluster_id] = counts.get(cluster_id, 0) + 1
        now = timezone.now()
        sent, over = [], []
        for cluster in matched:
            if counts.get(cluster.pk, 0) >= per_quarter():
                over.append(cluster)
                continue
            sent.append(Forwarding.objects.create(inquiry=inquiry, cluster=cluster, sent=now))
        if not sent:
            raise DomainError(
                _("No matching cluster can receive more inquiries this quarter.")
                if over
                else _("No cluster matches the inquiry.")
            )
        inquiry.status = Inquiry.Status.FORWARDED
        inquiry.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="support.inquiry.forward",
            target=inquiry,
            scope="support",
            data={"clusters": [f.cluster_id for f in sent], "over_cap": [c.pk for c in over]},
        )
    return ForwardResult(sent=sent, over_cap=over)


def forwarding_opt_in(*, actor: Any, forwarding: Forwarding) -> Forwarding:
    """The cluster says yes to the collaboration (the caller checked the actor may act
    for the cluster)."""
    with transaction.atomic():
        forwarding = Forwarding.objects.select_for_update().get(pk=forwarding.pk)
        if forwarding.opted_in is not None:
            raise DomainError(_("The cluster has already said yes."))
        forwarding.opted_in = timezone.now()
        forwarding.save(update_fields=["opted_in"])
        audit_log(
            actor=actor,
            action="support.inquiry.opt_in",
            target=forwarding,
            scope=forwarding.cluster,
            data={"inquiry": forwarding.inquiry_id},
        )
    return forwarding
