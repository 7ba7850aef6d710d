"""Permission-matrix rows for the meetings URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, rule  # noqa: F401

# url name -> (kwargs builder taking the World, expected status per role)
ROWS: dict = {}
