"""`{% report_submission cluster year %}`: on the cluster's activity report page, whether
the year's report is sent to the secretariat, and the one button that sends it."""

from __future__ import annotations

from typing import Any

from django import template

from klynge.core.permissions import has_perm
from klynge.support.reports import submission_of

register = template.Library()


@register.inclusion_tag("support/_report_submission.html", takes_context=True)
def report_submission(context: dict[str, Any], cluster: Any, year: int) -> dict[str, Any]:
    user = context["request"].user
    return {
        "cluster": cluster,
        "year": year,
        "submission": submission_of(cluster=cluster, year=year),
        "can_submit": has_perm(user, "support.submit_activity_report", cluster),
        "csrf_token": context.get("csrf_token"),
    }
