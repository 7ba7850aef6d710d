"""Every URL of the project × every role (PLAT-1).

The table below states, per URL name, what each role gets: 200 (allowed), 302
(anonymous: sent to log in), 403 (global page not for this role) or 404 (another
cluster's page: nothing leaks). Adding a URL without a row here fails
`test_every_url_has_a_row`. Third-party URL sets (admin, allauth, i18n) are excluded
by namespace/prefix and tested by their projects.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from klynge.registry.models import Membership, Participation, RoleAssignment, RoleKind
from tests import (
    matrix_api,
    matrix_documents,
    matrix_finance,
    matrix_governance,
    matrix_meetings,
    matrix_packages,
    matrix_people,
    matrix_support,
)
from tests.matrix_common import (
    DOCTORS,
    EDITORS_A,
    EVERYONE,
    LOGGED_IN,
    READERS_A,
    ROLES,
    post_only,
    rule,
    writes,
)
from tests.world import PASSWORD, World, build_world

OWN_NAMESPACES = {
    "core",
    "registry",
    "overviews",
    "api",
    "quality",
    "finance",
    "meetings",
    "governance",
    "documents",
    "accounts",
    "packages",
    "dataorders",
    "support",
}


def a_code(w):
    return {"slug": w.cluster_a.slug, "code": "opioids"}


def a_run(w):
    from klynge.quality.models import ImportRun

    return {"pk": ImportRun.objects.get(filename="data.csv").pk}


# url name -> (kwargs builder, expected status per role)
MATRIX = {
    "core:home": (lambda w: {}, EVERYONE),
    "core:health": (lambda w: {}, EVERYONE),
    "registry:cluster.list": (lambda w: {}, EVERYONE),
    "registry:cluster.export": (lambda w: {"fmt": "csv"}, EVERYONE),
    "registry:cluster.detail": (lambda w: {"slug": w.cluster_a.slug}, EVERYONE),
    "registry:cluster.register": (
        lambda w: {},
        rule(
            {"member_a", "coordinator_a", "board_a", "member_b", "doctor_free", "secretariat"},
            others=403,
        ),
    ),
    "registry:cluster.name_check": (
        lambda w: {},
        rule(
            {"member_a", "coordinator_a", "board_a", "member_b", "doctor_free", "secretariat"},
            others=403,
        ),
    ),
    "registry:clinic.search": (lambda w: {}, rule(set(ROLES) - {"anonymous"})),
    "registry:cluster.members": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "registry:cluster.history": (
        lambda w: {"slug": w.cluster_a.slug},
        rule(EDITORS_A | {"region_a"}),
    ),
    "registry:cluster.registration": (
        lambda w: {"slug": w.cluster_a.slug},
        rule(EDITORS_A | {"region_a"}),
    ),
    "registry:cluster.edit": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "registry:document.download": (
        lambda w: {"slug": w.cluster_a.slug, "kind": "founding_minutes"},
        rule(READERS_A),
    ),
    "registry:document.upload": (
        lambda w: {"slug": w.cluster_a.slug, "kind": "founding_minutes"},
        rule(EDITORS_A),
    ),
    "registry:membership.add": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "registry:membership.join": (lambda w: {"slug": w.cluster_a.slug}, post_only(EDITORS_A)),
    "registry:clinic.create_join": (
        lambda w: {"slug": w.cluster_a.slug},
        post_only(EDITORS_A),
    ),
    "registry:membership.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": Membership.objects.filter(cluster=w.cluster_a).first().pk,
        },
        rule(EDITORS_A),
    ),
    "registry:participation.add": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "registry:participation.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": Participation.objects.filter(cluster=w.cluster_a).first().pk,
        },
        rule(EDITORS_A),
    ),
    "registry:role.add": (lambda w: {"slug": w.cluster_a.slug}, rule(EDITORS_A)),
    "registry:role.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": RoleAssignment.objects.get(cluster=w.cluster_a, role=RoleKind.TREASURER).pk,
        },
        rule(EDITORS_A),
    ),
    "overviews:coverage": (
        lambda w: {},
        rule({"region_a", "region_other", "secretariat"}, others=403),
    ),
    "overviews:coverage.unclustered_csv": (
        lambda w: {},
        rule({"region_a", "region_other", "secretariat"}, others=403),
    ),
    "overviews:dashboard": (
        lambda w: {},
        rule({"region_a", "region_other", "secretariat"}, others=403),
    ),
    # A clinic's accreditation: POST only, for the staff (the clinic is looked up in the
    # poster's region: Fri Klinik lies in Region Sjælland).
    "overviews:clinic.accreditation": (
        lambda w: {"pk": w.free_clinic.pk},
        {
            role: 405
            if role in {"region_a", "region_other", "secretariat"}
            else 302
            if role == "anonymous"
            else 403
            for role in ROLES
        },
    ),
    "overviews:dashboard.csv": (
        lambda w: {"figure": "clusters"},
        rule({"region_a", "region_other", "secretariat"}, others=403),
    ),
    "quality:indicator.list": (lambda w: {}, EVERYONE),
    "quality:indicator.detail": (lambda w: {"code": "opioids"}, EVERYONE),
    "quality:clinic.mine": (lambda w: {}, rule(DOCTORS, others=403)),
    "quality:clinic.mine_csv": (lambda w: {}, rule(DOCTORS, others=403)),
    "quality:import.upload": (lambda w: {}, rule(LOGGED_IN, others=403)),
    "quality:import.detail": (a_run, rule({"coordinator_a", "board_a", "region_a", "secretariat"})),
    "quality:import.undo": (a_run, post_only({"coordinator_a", "secretariat"})),
    "quality:import.retry": (a_run, post_only({"coordinator_a", "secretariat"})),
    "quality:cluster.dashboard": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "quality:cluster.consent": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "quality:consent.give": (
        lambda w: {"slug": w.cluster_a.slug},
        post_only({"member_a", "coordinator_a", "board_a"}),
    ),
    "quality:consent.revoke": (
        lambda w: {"slug": w.cluster_a.slug},
        post_only({"member_a", "coordinator_a", "board_a"}),
    ),
    "quality:presentation.set": (lambda w: {"slug": w.cluster_a.slug}, post_only(EDITORS_A)),
    "quality:cluster.indicator": (a_code, rule(READERS_A)),
    "quality:cluster.funnel_json": (a_code, rule(READERS_A)),
    "quality:cluster.run_json": (a_code, rule(READERS_A)),
    "quality:cluster.csv": (a_code, rule(READERS_A)),
    "quality:cluster.run_csv": (a_code, rule(READERS_A)),
    "quality:cluster.dashboard_csv": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "quality:cluster.goal": (a_code, post_only(EDITORS_A)),
    "quality:cluster.intervention": (a_code, post_only(EDITORS_A)),
    "api:schema": (lambda w: {}, EVERYONE),
    "api:imports": (lambda w: {}, {role: 401 if role == "anonymous" else 405 for role in ROLES}),
    "api:import": (
        a_run,
        {
            **{role: 404 for role in ROLES},
            "anonymous": 401,
            "coordinator_a": 200,
            "board_a": 200,
            "region_a": 200,
            "secretariat": 200,
        },
    ),
    "api:clusters": (lambda w: {}, EVERYONE),
    **matrix_api.ROWS,
    **matrix_meetings.ROWS,
    **matrix_finance.ROWS,
    **matrix_governance.ROWS,
    **matrix_documents.ROWS,
    **matrix_people.ROWS,
    **matrix_packages.ROWS,
    **matrix_support.ROWS,
}


# --- Writes: every POST endpoint × every role ------------------------------------------------
# url name -> (kwargs builder, what each role gets from an empty POST). "ok" means the
# write is the role's to make: anything but a refusal (a 400 for the empty form, a
# redirect after a button, a 200). Refused roles get 404/403 and nothing changes.
WRITES = {
    "quality:cluster.goal": (a_code, writes(EDITORS_A)),
    "quality:cluster.intervention": (a_code, writes(EDITORS_A)),
    "quality:consent.give": (
        lambda w: {"slug": w.cluster_a.slug},
        writes({"member_a", "coordinator_a", "board_a"}),
    ),
    "quality:consent.revoke": (
        lambda w: {"slug": w.cluster_a.slug},
        writes({"member_a", "coordinator_a", "board_a"}),
    ),
    "quality:presentation.set": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "quality:import.undo": (a_run, writes({"coordinator_a", "secretariat"})),
    "quality:import.retry": (a_run, writes({"coordinator_a", "secretariat"})),
    "quality:import.upload": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    "api:imports": (
        lambda w: {},
        {**writes(LOGGED_IN, denied=403), "anonymous": 401},
    ),
    "registry:cluster.register": (
        lambda w: {},
        writes(
            {"member_a", "coordinator_a", "board_a", "member_b", "doctor_free", "secretariat"},
            denied=403,
        ),
    ),
    "registry:cluster.edit": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "registry:document.upload": (
        lambda w: {"slug": w.cluster_a.slug, "kind": "founding_minutes"},
        writes(EDITORS_A),
    ),
    "registry:membership.join": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "registry:clinic.create_join": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "registry:membership.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": Membership.objects.filter(cluster=w.cluster_a).first().pk,
        },
        writes(EDITORS_A),
    ),
    "registry:participation.add": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "registry:participation.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": Participation.objects.filter(cluster=w.cluster_a).first().pk,
        },
        writes(EDITORS_A),
    ),
    "registry:role.add": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
    "registry:role.end": (
        lambda w: {
            "slug": w.cluster_a.slug,
            "pk": RoleAssignment.objects.filter(cluster=w.cluster_a).first().pk,
        },
        writes(EDITORS_A),
    ),
    "overviews:clinic.accreditation": (
        lambda w: {"pk": w.free_clinic.pk},
        writes({"region_a", "secretariat"}, denied=403) | {"region_other": 404},
    ),
    **matrix_meetings.WRITES,
    **matrix_finance.WRITES,
    **matrix_governance.WRITES,
    **matrix_documents.WRITES,
    **matrix_people.WRITES,
    **matrix_packages.WRITES,
    **matrix_support.WRITES,
}


def _url_names(patterns, namespace: str | None = None) -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            names |= _url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespace in OWN_NAMESPACES:
            names.add(f"{namespace}:{entry.name}")
    return names


def _write_names(patterns, namespace: str | None = None) -> set[str]:
    """URL names whose view accepts POST: the writes."""
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            names |= _write_names(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name and namespace in OWN_NAMESPACES:
            view = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            if view is not None and hasattr(view, "post"):
                names.add(f"{namespace}:{entry.name}")
    return names


def test_every_write_has_a_row():
    names = _write_names(get_resolver().url_patterns)
    missing = names - set(WRITES)
    assert missing == set(), "add these writes to WRITES in the permission matrix"
    assert set(WRITES) - names == set(), "WRITES lists writes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_write_matrix(world, client, role):
    """POST to every write as every role: the allowed are not refused; everyone else is,
    and nothing is written (no audit entry, no row anywhere)."""
    from django.apps import apps

    from klynge.core.models import AuditEntry

    def snapshot():
        return {m._meta.label: m.objects.count() for m in apps.get_models()} | {
            "audit": AuditEntry.objects.count()
        }

    user = world.users[role]
    if user is not None:
        assert client.login(email=user.email, password=PASSWORD)
    failures = []
    for name, (kwargs, expected) in WRITES.items():
        url = reverse(name, kwargs=kwargs(world))
        want = expected[role]
        before = snapshot() if want != "ok" else None
        status = client.post(url, {}).status_code
        if want == "ok":
            if status in (401, 403, 404) or status >= 500:
                failures.append(f"{name}: allowed, but got {status}")
        else:
            if status != want:
                failures.append(f"{name}: got {status}, expected {want}")
            elif snapshot() != before:
                failures.append(f"{name}: refused with {status}, but something was written")
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_no_view_dispatches_on_a_post_field():
    """One write = one view = one URL: a view that branches on a POST field (`op`,
    `action`, a button's name) hides writes from the matrix above."""
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parents[1] / "src" / "klynge"
    pattern = re.compile(
        r"""POST\.get\(\s*["'](op|action)["']|POST\[\s*["'](op|action)["']\s*\]"""
        r"""|["'][a-z_]+["']\s+in\s+(self\.)?request\.POST"""
    )
    offenders = [
        f"{path.relative_to(src)}:{n}"
        for path in sorted(src.rglob("*.py"))
        if "views" in path.parts or path.name in ("views.py", "api.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_every_url_has_a_row():
    names = _url_names(get_resolver().url_patterns)
    assert names - set(MATRIX) == set(), "add these URLs to the permission matrix"
    assert set(MATRIX) - names == set(), "the matrix lists URLs that no longer exist"


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.mark.parametrize("role", ROLES)
def test_matrix(world, client, role):
    user = world.users[role]
    if user is not None:
        assert client.login(email=user.email, password=PASSWORD)
    failures = []
    for name, (kwargs, expected) in MATRIX.items():
        url = reverse(name, kwargs=kwargs(world))
        status = client.get(url).status_code
        if status != expected[role]:
            failures.append(f"{name} ({url}): got {status}, expected {expected[role]}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_member_of_one_cluster_gets_404_on_another_clusters_member_list(world, client):
    assert client.login(email="laege@b.test", password=PASSWORD)
    response = client.get(reverse("registry:cluster.members", args=[world.cluster_a.slug]))
    assert response.status_code == 404
    assert b"K\xc3\xb8ge L\xc3\xa6gehus" not in response.content
    own = client.get(reverse("registry:cluster.members", args=[world.cluster_b.slug]))
    assert own.status_code == 200


def test_post_to_another_clusters_change_is_404_and_changes_nothing(world, client):
    assert client.login(email="laege@b.test", password=PASSWORD)
    membership = Membership.objects.filter(cluster=world.cluster_a).first()
    url = reverse("registry:membership.end", args=[world.cluster_a.slug, membership.pk])
    assert client.post(url, {"date": "01-01-2024"}).status_code == 404
    membership.refresh_from_db()
    assert membership.end is None
