"""Activity reports (OK22): each cluster sends its yearly activity report (the
meetings app's page, PDF and CSV) to the secretariat with one click; the secretariat,
and each regional unit for its region, sees who has sent and who has not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.meetings import documents
from klynge.registry.models import Cluster
from klynge.registry.selectors import in_region
from klynge.support.models import ReportSubmission


def clusters_of_year(*, year: int, region: int | None, on: dt.date) -> list[Cluster]:
    """Clusters that existed in `year` (founded by its end, not dissolved before it
    began), of `region` as it stood on `on`; every one for `region=None`."""
    qs = Cluster.objects.filter(founded__lte=dt.date(year, 12, 31)).exclude(
        dissolved__lt=dt.date(year, 1, 1)
    )
    if region is not None:
        qs = qs.filter(in_region(region, on))
    return list(qs.order_by("name", "id"))


def summary_of(report: documents.ActivityReport) -> dict[str, Any]:
    share = report.mean_share
    return {
        "meetings": len(report.meetings),
        "decisions": report.decisions,
        "mean_share": round(share, 4) if share is not None else None,
        "themes": report.themes,
        "indicators": report.indicators,
        "actions_open": report.actions_open,
        "actions_done": report.actions_done,
    }


def report_submit(*, actor: Any, cluster: Cluster, year: int) -> ReportSubmission:
    """Send the cluster's activity report for `year` as it stands now. Sending again
    replaces the figures and the time (the secretariat sees the latest)."""
    today = timezone.localdate()
    if year > today.year:
        raise DomainError(_("A year that has not begun has no activity report."))
    if cluster.founded.year > year or (
        cluster.dissolved is not None and cluster.dissolved < dt.date(year, 1, 1)
    ):
        raise DomainError(_("The cluster did not exist in %(year)s.") % {"year": year})
    summary = summary_of(documents.activity_report(cluster=cluster, year=year))
    with transaction.atomic():
        submission, created = ReportSubmission.objects.select_for_update().update_or_create(
            cluster=cluster,
            year=year,
            defaults={
                "submitted": timezone.now(),
                "submitted_by": actor if getattr(actor, "is_authenticated", False) else None,
                "summary": summary,
            },
        )
        audit_log(
            actor=actor,
            action="support.report.submit",
            target=submission,
            scope=cluster,
            data={"year": year, "again": not created, "meetings": summary["meetings"]},
        )
    return submission


@dataclass(frozen=True)
class ReportStatus:
    cluster: Cluster
    submission: ReportSubmission | None

    @property
    def received(self) -> bool:
        return self.submission is not None


def report_status(*, year: int, region: int | None, on: dt.date) -> list[ReportStatus]:
    """Every cluster of the year (and region) with its submission, if any: those who
    have not sent first, then by name."""
    clusters = clusters_of_year(year=year, region=region, on=on)
    sent = {
        s.cluster_id: s
        for s in ReportSubmission.objects.filter(
            year=year, cluster__in=[c.pk for c in clusters]
        ).select_related("submitted_by")
    }
    rows = [ReportStatus(c, sent.get(c.pk)) for c in clusters]
    rows.sort(key=lambda r: (r.received, r.cluster.name))
    return rows


def submission_of(*, cluster: Cluster, year: int) -> ReportSubmission | None:
    return ReportSubmission.objects.filter(cluster=cluster, year=year).first()
