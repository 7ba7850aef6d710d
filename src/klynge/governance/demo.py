"""The demo's statutes: every cluster's first version, adopted at its founding general
assembly, with the document (a placeholder PDF) and the rules the platform applies."""

from __future__ import annotations

import datetime as dt

from klynge.demo.dataset import write_placeholder_pdf
from klynge.governance.models import Statutes
from klynge.registry.models import Cluster


def generate_statutes(seed: int, today: dt.date) -> None:
    clusters = list(Cluster.objects.order_by("id"))
    versions = []
    for cluster in clusters:
        name = f"clusters/statutes/demo-{cluster.slug}.pdf"
        write_placeholder_pdf(name, "Vedtægter", cluster)
        versions.append(
            Statutes(
                cluster=cluster,
                adopted=cluster.founded,
                purpose="At udvikle kvaliteten i almen praksis gennem fælles læring og data.",
                attendance_min_percent=50,
                notice_days=14,
                file=name,
            )
        )
    Statutes.objects.bulk_create(versions)


def clear_statutes() -> None:
    Statutes.objects.all().delete()
