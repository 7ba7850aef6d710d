"""The one permission engine (PLAT-1): deny by default, roles mapped to named
permissions in one table, checked the same way by views, templates and the API.

A user's *roles* depend on the object: a doctor is a MEMBER of the cluster they take
part in today, a COORDINATOR or BOARD member by their dated roles, REGION staff for
the clusters of their region, SECRETARIAT everywhere. Domains register a resolver for
their objects (`register_role_resolver`), so `core` stays free of domain imports.

Every permission is also registered with `rules`, so `user.has_perm(name, obj)` and
`{% has_perm %}` in templates ask this same table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import rules


class Role(enum.StrEnum):
    ANONYMOUS = "anonymous"
    AUTHENTICATED = "authenticated"  # any logged-in user
    DOCTOR = "doctor"  # a logged-in user who is a registered doctor
    MEMBER = "member"  # member doctor of the cluster
    COORDINATOR = "coordinator"
    BOARD = "board"  # chair, vice-chair, treasurer, secretary, board member
    DATA = "data"  # the cluster's coordinator or data person: they upload its files
    REGION = "region"  # regional quality unit staff, for clusters of their region
    SECRETARIAT = "secretariat"  # national secretariat: all clusters
    OWNER = "owner"  # the user who made the object (e.g. an import)
    STEERING = "steering"  # a seat on the programme's steering committee (support app)


EVERYONE = frozenset(Role)
CLUSTER_READERS = frozenset(
    {Role.MEMBER, Role.COORDINATOR, Role.BOARD, Role.REGION, Role.SECRETARIAT}
)
CLUSTER_EDITORS = frozenset({Role.COORDINATOR, Role.BOARD, Role.SECRETARIAT})

# The table. Object permissions take a cluster (or an object resolving to one);
# global ones take no object. Adding a permission is adding a row here.
PERMISSIONS: dict[str, frozenset[Role]] = {
    # registry
    "registry.view_cluster": EVERYONE,
    "registry.view_members": CLUSTER_READERS,
    # A clinic's size links a pseudonym to the clinic (docs/privacy.md): identified data.
    "registry.view_clinic_sizes": frozenset({Role.DATA, Role.REGION, Role.SECRETARIAT}),
    "registry.view_registration": CLUSTER_EDITORS | {Role.REGION},
    "registry.change_cluster": CLUSTER_EDITORS,
    # Handing out the coordinator or data role gives identified data, and a dated change
    # back in time rewrites months already published (docs/privacy.md): not the board's.
    "registry.assign_data_roles": frozenset({Role.COORDINATOR, Role.SECRETARIAT}),
    "registry.backdate_changes": frozenset({Role.COORDINATOR, Role.SECRETARIAT}),
    "registry.view_documents": CLUSTER_READERS,
    "registry.view_history": CLUSTER_EDITORS | {Role.REGION},
    "registry.register_cluster": frozenset({Role.DOCTOR, Role.SECRETARIAT}),
    "registry.search_clinics": frozenset({Role.AUTHENTICATED}),
    # quality data
    "quality.view_library": EVERYONE,
    "quality.view_cluster_data": CLUSTER_READERS,
    "quality.manage_cluster_data": CLUSTER_EDITORS,  # goals, interventions, presentation mode
    # Identified data (names, exact counts): those who upload the cluster's files.
    "quality.view_identified": frozenset({Role.DATA, Role.REGION, Role.SECRETARIAT}),
    "quality.view_consents": frozenset({Role.COORDINATOR, Role.SECRETARIAT}),  # who has not
    "quality.consent": frozenset({Role.MEMBER}),  # for one's own clinic
    "quality.view_own_data": frozenset({Role.DOCTOR}),
    "quality.import": frozenset({Role.DOCTOR, Role.REGION, Role.SECRETARIAT}),
    "quality.view_import": frozenset(
        {Role.OWNER, Role.COORDINATOR, Role.BOARD, Role.REGION, Role.SECRETARIAT}
    ),
    "quality.undo_import": frozenset({Role.OWNER, Role.COORDINATOR, Role.SECRETARIAT}),
    # finance
    "finance.view_grants": frozenset({Role.REGION, Role.SECRETARIAT}),
    "finance.record_payout": frozenset(
        {Role.REGION, Role.SECRETARIAT}
    ),  # on a cluster of their region
    "finance.view_books": frozenset({Role.COORDINATOR, Role.BOARD, Role.SECRETARIAT}),
    "finance.manage_books": frozenset({Role.COORDINATOR, Role.BOARD}),
    "finance.view_annual_accounts": CLUSTER_READERS,  # members read the accounts
    "finance.decide_claims": frozenset({Role.SECRETARIAT}),
    # meetings (a meeting resolves to its cluster's roles; its host is its OWNER)
    "meetings.view_meetings": CLUSTER_READERS,
    "meetings.plan_meeting": CLUSTER_EDITORS,
    "meetings.manage_meeting": CLUSTER_EDITORS | {Role.OWNER},
    "meetings.approve_minutes": frozenset({Role.COORDINATOR, Role.BOARD}),
    "meetings.answer": frozenset({Role.MEMBER}),  # date polls and evaluations
    # Why a doctor was absent ("Sygdom") is for those who follow up attendance.
    "meetings.view_absence_reasons": CLUSTER_EDITORS,
    "meetings.announce": frozenset({Role.COORDINATOR, Role.BOARD}),
    "meetings.view_activity_report": CLUSTER_EDITORS | {Role.REGION},
    # governance and documents
    "governance.view_statutes": CLUSTER_READERS,
    "governance.manage_statutes": CLUSTER_EDITORS,
    "governance.record_election": CLUSTER_EDITORS | {Role.OWNER},  # the GA's minutes' editors
    "documents.view_archive": CLUSTER_READERS,
    "documents.manage_archive": frozenset({Role.COORDINATOR, Role.BOARD}),
    # accounts: invitations, login status, hand-overs (issue 11)
    "accounts.accept_invitation": EVERYONE,
    "accounts.view_people": CLUSTER_EDITORS,  # who can log in, invited, not delivered
    "accounts.invite": CLUSTER_EDITORS,  # send again, add an e-mail and invite
    "accounts.hand_over": frozenset({Role.COORDINATOR, Role.SECRETARIAT}),
    "accounts.invite_staff": frozenset({Role.REGION, Role.SECRETARIAT}),
    "accounts.step_in": frozenset({Role.SECRETARIAT}),  # clusters nobody can run
    # support desk: news and courses (issue 14)
    "support.view_news": EVERYONE,
    "support.publish_news": frozenset({Role.REGION, Role.SECRETARIAT}),
    "support.subscribe_news": frozenset({Role.AUTHENTICATED}),
    "support.view_courses": EVERYONE,
    "support.sign_up": frozenset({Role.AUTHENTICATED}),
    "support.manage_courses": frozenset({Role.SECRETARIAT}),
    "support.view_attendance": frozenset({Role.REGION, Role.SECRETARIAT}),
    "support.submit_inquiry": EVERYONE,  # the public form, no login
    "support.triage_inquiries": frozenset({Role.SECRETARIAT}),
    "support.decide_group_2": frozenset({Role.STEERING}),
    "support.view_cluster_inquiries": CLUSTER_EDITORS,
    "support.answer_inquiry": frozenset({Role.COORDINATOR}),
    "support.submit_activity_report": frozenset({Role.COORDINATOR, Role.BOARD}),
    "support.view_activity_reports": frozenset({Role.REGION, Role.SECRETARIAT}),
    # coordinator networks: who takes part is read from the registry (support.networks)
    "support.use_networks": frozenset({Role.AUTHENTICATED}),
    "support.view_handover_pack": CLUSTER_EDITORS,  # the new coordinator's first day
    # packages and data orders (KNOW-1, DATA-7): the publisher's staff check is in the
    # services (a region's staff change their region's packages; the secretariat all)
    "packages.view": EVERYONE,  # published packages; drafts only to their publisher
    "packages.publish": frozenset({Role.REGION, Role.SECRETARIAT}),
    "packages.adopt": frozenset({Role.COORDINATOR, Role.DATA}),
    "dataorders.view": frozenset({Role.COORDINATOR, Role.DATA, Role.REGION, Role.SECRETARIAT}),
    "dataorders.order": frozenset({Role.COORDINATOR, Role.DATA}),
    "dataorders.handle": frozenset({Role.REGION, Role.SECRETARIAT}),  # the addressed unit
    "dataorders.message": frozenset({Role.COORDINATOR, Role.DATA, Role.REGION, Role.SECRETARIAT}),
    "dataorders.view_queue": frozenset({Role.REGION, Role.SECRETARIAT}),
    # a member clinic's doctor consents to open data for a purpose, once (DATA-7 ★)
    "dataorders.consent": frozenset({Role.MEMBER}),
    "packages.view_ideas": EVERYONE,  # published ideas; waiting ones to the sender
    "packages.submit_idea": frozenset({Role.AUTHENTICATED}),
    "packages.moderate_ideas": frozenset({Role.SECRETARIAT}),
    # good cluster stories: the cluster drafts, the secretariat reviews, the coordinator
    # approves publication (a story's roles are its cluster's)
    "packages.draft_story": frozenset({Role.COORDINATOR, Role.DATA}),
    "packages.review_stories": frozenset({Role.SECRETARIAT}),
    "packages.approve_story": frozenset({Role.COORDINATOR}),
    # overviews
    "overviews.view_coverage": frozenset({Role.REGION, Role.SECRETARIAT}),
    # A clinic's accreditation (REG-7): the unit of its region (the view looks the clinic
    # up within the user's region) or the secretariat.
    "registry.change_accreditation": frozenset({Role.REGION, Role.SECRETARIAT}),
}

RoleResolver = Callable[[Any, Any], set[Role]]
_resolvers: list[tuple[type, RoleResolver]] = []


def register_role_resolver(model: type, resolver: RoleResolver) -> None:
    """Let a domain say which roles `user` holds on objects of `model` (`type(None)`
    for global roles, asked when there is no object)."""
    _resolvers.append((model, resolver))


def roles_for(user: Any, obj: Any = None) -> frozenset[Role]:
    """All roles `user` holds, globally and on `obj`; memoised on the user per request."""
    if user is None or not user.is_authenticated:
        return frozenset({Role.ANONYMOUS})
    cache: dict[Any, frozenset[Role]] = user.__dict__.setdefault("_klynge_roles", {})
    key = (type(obj).__name__, getattr(obj, "pk", None))
    if key not in cache:
        roles: set[Role] = {Role.AUTHENTICATED}
        if getattr(user, "is_secretariat", False):
            roles.add(Role.SECRETARIAT)
        # REGION without an object comes from the registry's dated staff posts.
        for model, resolver in _resolvers:
            if isinstance(obj, model):
                roles |= resolver(user, obj)
        cache[key] = frozenset(roles)
    return cache[key]


def has_perm(user: Any, permission: str, obj: Any = None) -> bool:
    """The single check. Unknown permission names are a programming error."""
    allowed = PERMISSIONS[permission]
    return bool(allowed & roles_for(user, obj))


def _predicate(permission: str) -> rules.Predicate:
    return rules.predicate(lambda user, obj=None: has_perm(user, permission, obj), name=permission)


for _name in PERMISSIONS:
    rules.add_perm(_name, _predicate(_name))
