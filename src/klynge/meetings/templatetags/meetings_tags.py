"""`{% cluster_announcements cluster %}`: the latest announcements on the cluster's page,
for those who may read the cluster's meetings (MEET-6)."""

from django import template

from klynge.core.permissions import has_perm
from klynge.meetings.models import Announcement

register = template.Library()


@register.inclusion_tag("meetings/_announcements_box.html", takes_context=True)
def cluster_announcements(context, cluster, limit=3):
    user = context["request"].user
    if not has_perm(user, "meetings.view_meetings", cluster):
        return {"announcements": [], "cluster": cluster}
    return {
        "announcements": list(Announcement.objects.filter(cluster=cluster)[:limit]),
        "cluster": cluster,
    }
