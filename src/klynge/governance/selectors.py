"""Reading the statutes in force."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from klynge.governance.models import Statutes
from klynge.registry.models import Cluster
from klynge.registry.selectors import ChecklistItem


def statutes_on(*, cluster: Cluster, on: dt.date) -> Statutes | None:
    """The version of the statutes in force on `on`: the latest adopted on or before it."""
    return (
        Statutes.objects.filter(cluster=cluster, adopted__lte=on)
        .order_by("-adopted", "-id")
        .first()
    )


def statutes_versions(*, cluster: Cluster) -> list[Statutes]:
    return list(Statutes.objects.filter(cluster=cluster).order_by("-adopted", "-id"))


def statutes_checklist_item(cluster: Cluster, on: dt.date) -> ChecklistItem:
    """The registration checklist's item (REG-2): statutes adopted by `on`, with the
    document. Registered with the registry's checklist by this app."""
    done = Statutes.objects.filter(cluster=cluster, adopted__lte=on).exclude(file="").exists()
    return ChecklistItem(
        "statutes",
        _("Statutes (uploaded)"),
        done,
        _("Register the statutes adopted at the founding general assembly, with the document."),
        reverse("governance:statutes.add", args=[cluster.slug]),
        _("Upload"),
    )
