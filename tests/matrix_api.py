"""Permission-matrix rows for the API's read endpoints (merged into
test_permissions_matrix); the API answers 401 to anonymous callers, not a login page,
and another cluster's data with 404. The same table with tokens is
tests/api/test_permissions.py."""

from __future__ import annotations

from tests.matrix_common import EVERYONE, READERS_A, ROLES

REGIONAL = {"region_a", "region_other", "secretariat"}


def _api(allowed: set[str], *, others: int) -> dict[str, int]:
    return {r: 200 if r in allowed else 401 if r == "anonymous" else others for r in ROLES}


ROWS = {
    "api:docs": (lambda w: {}, EVERYONE),
    "api:cluster": (lambda w: {"ref": w.cluster_a.slug}, EVERYONE),
    "api:cluster.members": (lambda w: {"ref": w.cluster_a.slug}, _api(READERS_A, others=404)),
    "api:coverage": (lambda w: {}, _api(REGIONAL, others=403)),
    "api:grants": (lambda w: {}, _api(REGIONAL, others=403)),
    "api:payouts": (lambda w: {}, _api(REGIONAL, others=403)),
}
