"""Permission-matrix rows for the meetings URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, rule  # noqa: F401


def _pack_meeting(w):
    from klynge.meetings.services import meeting_create
    from klynge.quality.models import Indicator

    meeting = meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Møde med data",
        template="ordinary",
        indicators=[Indicator.objects.get(code="opioids")],
    )
    return {"slug": w.cluster_a.slug, "pk": meeting.pk}


# url name -> (kwargs builder taking the World, expected status per role)
ROWS: dict = {
    "meetings:pack": (_pack_meeting, rule(READERS_A)),
    "meetings:presentation": (_pack_meeting, rule(READERS_A)),
}
