"""The roles and expectation helpers of the permission matrix, shared by the rows
each domain contributes (`tests/matrix_<domain>.py`)."""

from __future__ import annotations

ROLES = [
    "anonymous",
    "member_a",
    "coordinator_a",
    "board_a",
    "member_b",
    "doctor_free",
    "region_a",
    "region_other",
    "secretariat",
]
EVERYONE = dict.fromkeys(ROLES, 200)


def rule(allowed: set[str], *, anonymous: int = 302, others: int = 404) -> dict[str, int]:
    return {
        role: 200 if role in allowed else anonymous if role == "anonymous" else others
        for role in ROLES
    }


READERS_A = {"member_a", "coordinator_a", "board_a", "region_a", "secretariat"}
EDITORS_A = {"coordinator_a", "board_a", "secretariat"}
DOCTORS = {"member_a", "coordinator_a", "board_a", "member_b", "doctor_free"}
LOGGED_IN = set(ROLES) - {"anonymous"}


def post_only(allowed: set[str]) -> dict[str, int]:
    """A POST-only view: allowed roles get 405 to a GET, the rest 404 (or log in)."""
    return {role: 405 if role in allowed else 302 if role == "anonymous" else 404 for role in ROLES}


def writes(allowed: set[str], *, denied: int = 404) -> dict[str, str | int]:
    """A write URL's row in the POST matrix: the roles allowed to post ("ok": anything
    but a refusal) and what everyone else gets (404 on another cluster's objects, 403
    on a global write; anonymous is sent to log in)."""
    return {
        role: "ok" if role in allowed else 302 if role == "anonymous" else denied for role in ROLES
    }
