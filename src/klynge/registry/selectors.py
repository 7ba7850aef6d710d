"""Reads of the registry. Every "on a date" question goes through here:
members of cluster X on date D, cluster of clinic Y on date D, sizes, coverage."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from klynge.core.dates import today
from klynge.core.formatting import format_date, format_number
from klynge.core.permissions import Role
from klynge.registry.models import (
    BOARD_ROLES,
    AreaMember,
    Clinic,
    ClinicCount,
    Cluster,
    Doctor,
    FormerSlug,
    Membership,
    Municipality,
    Participation,
    PostalCode,
    Region,
    RegionalPost,
    RoleAssignment,
    RoleKind,
)

# --- Geography on a date -----------------------------------------------------------------
#
# Regions are dated (`Region.start`/`end`) and so is which region a municipality belongs
# to (`AreaMember`). Every region-scoped read asks "on which date?" through these.


def regions_on(on: dt.date) -> QuerySet[Region]:
    """The regions in force on `on` (five until 2026, four from 1 January 2027)."""
    return Region.objects.regions().valid_on(on).order_by("code")


def region_label(region: Region, on: dt.date) -> str:
    """The region's name, with its period when it is not in force on `on`."""
    if region.is_valid_on(on):
        return region.name
    if region.end is not None and on >= region.end:
        return _("%(region)s (until %(date)s)") % {
            "region": region.name,
            "date": format_date(region.end - dt.timedelta(days=1)),
        }
    return _("%(region)s (from %(date)s)") % {
        "region": region.name,
        "date": format_date(region.start),
    }


def region_of(municipality: Municipality | int, on: dt.date) -> Region | None:
    """The region `municipality` belongs to on `on`."""
    code = municipality if isinstance(municipality, int) else municipality.pk
    member = (
        AreaMember.objects.active_on(on)
        .filter(municipality_id=code, area__layer="region")
        .select_related("area")
        .first()
    )
    return member.area if member else None


def region_map(on: dt.date) -> dict[int, Region]:
    """Municipality code → its region on `on`, for every municipality (one query)."""
    return {
        m.municipality_id: m.area
        for m in AreaMember.objects.active_on(on)
        .filter(area__layer="region")
        .select_related("area")
    }


def in_region(region: Region | int, on: dt.date, *, field: str = "municipality") -> Q:
    """A filter for rows whose `field` (a municipality foreign key, e.g.
    `cluster__municipality`) lies in `region` on `on`: `qs.filter(in_region(r, on))`."""
    code = region if isinstance(region, int) else region.pk
    members = AreaMember.objects.active_on(on).filter(area_id=code).values("municipality_id")
    return Q(**{f"{field}__in": members})


def municipalities_in(region: Region | int | None, on: dt.date) -> QuerySet[Municipality]:
    """The municipalities of `region` on `on` (all of them without a region)."""
    qs = Municipality.objects.order_by("name")
    if region is None:
        return qs
    return qs.filter(in_region(region, on, field="pk"))


def filter_problem(
    *,
    on: dt.date,
    region: Region | int | None = None,
    municipality: Municipality | int | None = None,
) -> str | None:
    """Why a region/municipality filter cannot be answered on `on` (a region not in
    force then, a municipality outside the chosen region), in the user's language;
    None when the filter is possible. Callers show the reason and list nothing."""
    if region is not None:
        code = region if isinstance(region, int) else region.pk
        found = Region.objects.regions().filter(pk=code).first()
        if found is None:
            return _("There is no region with the code %(code)s.") % {"code": code}
        if not found.is_valid_on(on):
            if found.successor is not None and found.end is not None and on >= found.end:
                return _(
                    "%(region)s is not a region on %(date)s; from %(end)s it is part of "
                    "%(successor)s."
                ) % {
                    "region": found.name,
                    "date": format_date(on),
                    "end": format_date(found.end),
                    "successor": found.successor.name,
                }
            return _("%(region)s is not a region on %(date)s.") % {
                "region": found.name,
                "date": format_date(on),
            }
        if municipality is not None:
            mun_code = municipality if isinstance(municipality, int) else municipality.pk
            home = region_of(mun_code, on)
            if home is None or home.pk != code:
                mun = Municipality.objects.filter(pk=mun_code).first()
                return _(
                    "%(municipality)s is not in %(region)s on %(date)s, so no cluster "
                    "matches both. Choose another municipality or all municipalities."
                ) % {
                    "municipality": mun.name if mun else mun_code,
                    "region": found.name,
                    "date": format_date(on),
                }
    return None


def staff_region(user, on: dt.date | None = None) -> Region | None:
    """The region whose quality unit `user` serves on `on` (today by default), from the
    dated posts (`RegionalPost`); memoised on the user object per date."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    on = on or today()
    cache: dict[dt.date, Region | None] = user.__dict__.setdefault("_klynge_posts", {})
    if on not in cache:
        post = RegionalPost.objects.active_on(on).filter(user=user).select_related("region").first()
        cache[on] = post.region if post else None
    return cache[on]


def staff_region_code(user, on: dt.date | None = None) -> int | None:
    region = staff_region(user, on)
    return region.pk if region else None


def staff_scope(user, on: dt.date) -> Region | None:
    """The region a regional user's pages show as of `on`: the post they held on `on`,
    else (a date before their post, or after it ended) today's post's region carried
    to the region in force on `on` (its successor after a merger). None for the
    secretariat and for users without a post: the whole nation / nothing regional."""
    if getattr(user, "is_secretariat", False):
        return None
    region = staff_region(user, on) or staff_region(user)
    while region is not None and region.end is not None and on >= region.end:
        if region.successor is None:
            break
        region = region.successor
    return region


# --- Roles and permissions --------------------------------------------------------------


def user_global_roles(user, _obj: None) -> set[Role]:
    """Roles that hold without an object: being a registered doctor, serving a region's
    quality unit today."""
    roles = {Role.DOCTOR} if Doctor.objects.filter(user=user).exists() else set()
    if staff_region(user) is not None:
        roles.add(Role.REGION)
    return roles


def user_cluster_roles(user, cluster: Cluster) -> set[Role]:
    """The roles `user` holds on `cluster` today (the permission engine's resolver)."""
    roles: set[Role] = set()
    on = today()
    doctor = Doctor.objects.filter(user=user).only("id").first()
    if doctor is not None:
        if Participation.objects.active_on(on).filter(doctor=doctor, cluster=cluster).exists():
            roles.add(Role.MEMBER)
        held = set(
            RoleAssignment.objects.active_on(on)
            .filter(doctor=doctor, cluster=cluster)
            .values_list("role", flat=True)
        )
        if RoleKind.COORDINATOR in held:
            roles.add(Role.COORDINATOR)
        if held & {RoleKind.COORDINATOR, RoleKind.DATA_PERSON}:
            roles.add(Role.DATA)
        if held & BOARD_ROLES:
            roles.add(Role.BOARD)
    post = staff_region(user, on)
    if post is not None:
        home = region_of(cluster.municipality_id, on)
        if home is not None and home.pk == post.pk:
            roles.add(Role.REGION)
    return roles


def user_clusters(*, user, on: dt.date | None = None) -> QuerySet[Cluster]:
    """The clusters a doctor-user takes part in or holds a role in on `on`."""
    on = on or today()
    doctor = Doctor.objects.filter(user=user).first() if user.is_authenticated else None
    if doctor is None:
        return Cluster.objects.none()
    ids = set(
        Participation.objects.active_on(on)
        .filter(doctor=doctor)
        .values_list("cluster_id", flat=True)
    ) | set(
        RoleAssignment.objects.active_on(on)
        .filter(doctor=doctor)
        .values_list("cluster_id", flat=True)
    )
    return Cluster.objects.filter(pk__in=ids)


def user_role_labels(*, user, on: dt.date | None = None) -> str:
    """The user's roles today as lower-case Danish/English labels ("coordinator, chair")."""
    from klynge.core.formatting import mid_sentence

    on = on or today()
    roles = RoleAssignment.objects.active_on(on).filter(doctor__user=user).order_by("role")
    return ", ".join(mid_sentence(r.get_role_display()) for r in roles)


# --- Time-framed membership -------------------------------------------------------------


def cluster_memberships_on(*, cluster: Cluster, on: dt.date) -> QuerySet[Membership]:
    """Member clinics of `cluster` on `on`."""
    return (
        Membership.objects.active_on(on)
        .filter(cluster=cluster)
        .select_related("clinic", "clinic__municipality")
        .order_by("clinic__name")
    )


def cluster_participations_on(*, cluster: Cluster, on: dt.date) -> QuerySet[Participation]:
    return (
        Participation.objects.active_on(on)
        .filter(cluster=cluster)
        .select_related("doctor", "doctor__clinic")
        .order_by("doctor__name")
    )


def cluster_roles_on(*, cluster: Cluster, on: dt.date) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active_on(on).filter(cluster=cluster).select_related("doctor")


def cluster_coordinator_on(*, cluster: Cluster, on: dt.date) -> Doctor | None:
    role = cluster_roles_on(cluster=cluster, on=on).filter(role=RoleKind.COORDINATOR).first()
    return role.doctor if role else None


def clinic_cluster_on(*, clinic: Clinic, on: dt.date) -> Cluster | None:
    """The cluster `clinic` belonged to on `on`, or None."""
    membership = (
        Membership.objects.active_on(on).filter(clinic=clinic).select_related("cluster").first()
    )
    return membership.cluster if membership else None


# --- Counts and sizes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicSize:
    capacities: int = 0
    listed_patients: int = 0


def clinic_counts_on(
    *, on: dt.date, clinic_ids: Iterable[int] | QuerySet | None = None
) -> dict[int, ClinicSize]:
    """Each clinic's latest count on or before `on` (one query); `clinic_ids` may be a
    subquery (`...values("clinic_id")`), which keeps the id list in the database."""
    qs = ClinicCount.objects.filter(on__lte=on)
    if clinic_ids is not None:
        qs = qs.filter(clinic_id__in=clinic_ids)
    rows = qs.values_list("clinic_id", "capacities", "listed_patients")
    if connection.vendor == "postgresql":
        # Descending on both, so the unique (clinic, on) index is read backwards, unsorted.
        rows = rows.order_by("-clinic_id", "-on").distinct("clinic_id")
        return {cid: ClinicSize(cap, pat) for cid, cap, pat in rows}
    latest: dict[int, ClinicSize] = {}
    for cid, cap, pat in rows.order_by("clinic_id", "on"):
        latest[cid] = ClinicSize(cap, pat)
    return latest


@dataclass
class ClusterSize:
    clinics: int = 0
    doctors: int = 0
    capacities: int = 0
    listed_patients: int = 0
    provider_numbers: list[str] = field(default_factory=list)


def cluster_sizes(*, on: dt.date, cluster_ids: list[int] | None = None) -> dict[int, ClusterSize]:
    """Size of each cluster on `on`: member clinics, participating doctors, capacities
    and listed patients (the clinics' latest counts). Three queries for any number."""
    memberships = Membership.objects.active_on(on)
    participations = Participation.objects.active_on(on)
    if cluster_ids is not None:
        memberships = memberships.filter(cluster_id__in=cluster_ids)
        participations = participations.filter(cluster_id__in=cluster_ids)
    sizes: dict[int, ClusterSize] = defaultdict(ClusterSize)
    members = list(memberships.values_list("cluster_id", "clinic_id", "clinic__provider_number"))
    counts = clinic_counts_on(
        on=on, clinic_ids=None if cluster_ids is None else memberships.values("clinic_id")
    )
    for cluster_id, clinic_id, provider_number in members:
        size = sizes[cluster_id]
        count = counts.get(clinic_id, ClinicSize())
        size.clinics += 1
        size.capacities += count.capacities
        size.listed_patients += count.listed_patients
        size.provider_numbers.append(provider_number)
    for row in participations.values("cluster_id").annotate(n=Count("id")):
        sizes[row["cluster_id"]].doctors = row["n"]
    return dict(sizes)


def size_warnings(size: ClusterSize) -> list[str]:
    """REG-5: advice below 30,000 listed patients or 16 doctors. Never blocks."""
    warnings = []
    if size.listed_patients < settings.KLYNGE_MIN_PATIENTS_ADVICE:
        warnings.append(
            _(
                "The cluster has %(n)s listed patients; clusters are advised to have at least %(min)s."
            )
            % {
                "n": format_number(size.listed_patients),
                "min": format_number(settings.KLYNGE_MIN_PATIENTS_ADVICE),
            }
        )
    if size.doctors < settings.KLYNGE_MIN_DOCTORS_ADVICE:
        warnings.append(
            _(
                "The cluster has %(n)s participating doctors; clusters are advised to have at least %(min)s."
            )
            % {"n": size.doctors, "min": settings.KLYNGE_MIN_DOCTORS_ADVICE}
        )
    return warnings


# --- Overview, map and export -----------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    cluster: Cluster
    region: Region
    municipality: Municipality
    clinics: int
    doctors: int
    capacities: int
    listed_patients: int
    provider_numbers: tuple[str, ...]
    latitude: float | None
    longitude: float | None


def cluster_overview(
    *, on: dt.date, region: int | None = None, municipality: int | None = None
) -> list[OverviewRow]:
    """All clusters active on `on` with their size and map position (the coordinator's
    practice, else the first member clinic), optionally filtered (REG-6)."""
    clusters = Cluster.objects.active_on(on).select_related("municipality").order_by("name", "id")
    if region:
        clusters = clusters.filter(in_region(region, on))
    if municipality:
        clusters = clusters.filter(municipality_id=municipality)
    cluster_list = list(clusters)
    regions = region_map(on)
    ids = [c.pk for c in cluster_list]
    sizes = cluster_sizes(on=on, cluster_ids=ids)
    positions: dict[int, tuple[float | None, float | None]] = {}
    coordinators = (
        RoleAssignment.objects.active_on(on)
        .filter(cluster_id__in=ids, role=RoleKind.COORDINATOR)
        .values_list("cluster_id", "doctor__clinic__latitude", "doctor__clinic__longitude")
    )
    for cluster_id, lat, lon in coordinators:
        positions[cluster_id] = (lat, lon)
    missing = [i for i in ids if i not in positions]
    if missing:
        for cluster_id, lat, lon in (
            Membership.objects.active_on(on)
            .filter(cluster_id__in=missing)
            .order_by("cluster_id", "start", "id")
            .values_list("cluster_id", "clinic__latitude", "clinic__longitude")
        ):
            positions.setdefault(cluster_id, (lat, lon))
    rows = []
    for cluster in cluster_list:
        size = sizes.get(cluster.pk, ClusterSize())
        lat, lon = positions.get(cluster.pk, (None, None))
        rows.append(
            OverviewRow(
                cluster=cluster,
                region=regions[cluster.municipality_id],
                municipality=cluster.municipality,
                clinics=size.clinics,
                doctors=size.doctors,
                capacities=size.capacities,
                listed_patients=size.listed_patients,
                provider_numbers=tuple(sorted(size.provider_numbers)),
                latitude=lat,
                longitude=lon,
            )
        )
    return rows


# --- Coverage (REG-7) -------------------------------------------------------------------------


@dataclass
class CoverageRow:
    code: int
    name: str
    clinics: int = 0
    clinics_in_cluster: int = 0
    doctors: int = 0
    doctors_in_cluster: int = 0

    @property
    def clinic_share(self) -> float | None:
        return self.clinics_in_cluster / self.clinics if self.clinics else None

    @property
    def doctor_share(self) -> float | None:
        return self.doctors_in_cluster / self.doctors if self.doctors else None


@dataclass
class Coverage:
    national: CoverageRow
    regions: list[CoverageRow]
    municipalities: list[CoverageRow]
    unclustered: list[Clinic]


def coverage(*, on: dt.date, region: int | None = None) -> Coverage:
    """Share of clinics and of GPs in a cluster on `on`, nationally, per region in force
    on `on` and per municipality, and the clinics in no cluster. A GP counts as "in a
    cluster" when they take part in one; a clinic when it is a member. With `region`,
    municipality rows and the unclustered list are limited to that region on `on`
    (national and regional totals stay: they are aggregates). The regional rows add up
    to the national one on every date."""
    # Counted by the database per municipality (two grouped queries for any number of
    # clinics and doctors), then added up to the regions and the nation here.
    clustered_clinics = Membership.objects.active_on(on).values("clinic_id")
    participating = Participation.objects.active_on(on).values("doctor_id")
    municipalities = {m.code: m for m in Municipality.objects.all()}
    region_of_mun = {code: r.pk for code, r in region_map(on).items()}
    national = CoverageRow(0, _("Denmark"))
    regions = {r.code: CoverageRow(r.code, r.name) for r in regions_on(on)}
    per_mun = {code: CoverageRow(code, m.name) for code, m in municipalities.items()}
    clinic_counts = (
        Clinic.objects.values_list("municipality_id")
        .annotate(n=Count("id"), inside=Count("id", filter=Q(pk__in=clustered_clinics)))
        .order_by()
    )
    for mun, n, inside in clinic_counts:
        for row in (national, regions[region_of_mun[mun]], per_mun[mun]):
            row.clinics += n
            row.clinics_in_cluster += inside
    doctor_counts = (
        Doctor.objects.values_list("clinic__municipality_id")
        .annotate(n=Count("id"), inside=Count("id", filter=Q(pk__in=participating)))
        .order_by()
    )
    for mun, n, inside in doctor_counts:
        for row in (national, regions[region_of_mun[mun]], per_mun[mun]):
            row.doctors += n
            row.doctors_in_cluster += inside
    mun_rows = [
        row for code, row in per_mun.items() if region is None or region_of_mun[code] == region
    ]
    unclustered = Clinic.objects.exclude(pk__in=clustered_clinics).select_related("municipality")
    if region is not None:
        unclustered = unclustered.filter(in_region(region, on))
    return Coverage(
        national=national,
        regions=list(regions.values()),
        municipalities=sorted(mun_rows, key=lambda r: r.name),
        unclustered=list(unclustered.order_by("municipality__name", "name")),
    )


# --- Registration (REG-1, REG-2) ----------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: str
    done: bool
    hint: str = ""
    url: str = ""  # where the coordinator fixes it
    action: str = ""  # the link's text


ChecklistCheck = Callable[[Cluster, dt.date], ChecklistItem]
_CHECKLIST_EXTENSIONS: list[tuple[str, ChecklistCheck]] = []


def register_checklist_item(check: ChecklistCheck, *, before: str = "") -> None:
    """Another domain adds what the grant payout needs from it (governance: the
    statutes), placed before the registry's item `before` (default: last). The check
    answers for a cluster on a date."""
    _CHECKLIST_EXTENSIONS.append((before, check))


def registration_checklist(*, cluster: Cluster, on: dt.date | None = None) -> list[ChecklistItem]:
    """What the grant payout still needs (REG-2), in the order a coordinator fixes it."""
    on = on or today()
    members = cluster_memberships_on(cluster=cluster, on=on).count()
    doctors = cluster_participations_on(cluster=cluster, on=on).count()
    coordinator = cluster_coordinator_on(cluster=cluster, on=on)
    edit = reverse("registry:cluster.edit", args=[cluster.slug])
    items = [
        ChecklistItem(
            "name", _("Name of the cluster"), bool(cluster.name.strip()), "", edit, _("Add it")
        ),
        ChecklistItem(
            "cvr",
            _("CVR number"),
            bool(cluster.cvr),
            _("Register the association at virk.dk."),
            edit,
            _("Add it"),
        ),
        ChecklistItem(
            "bank",
            _("Bank registration and account number"),
            bool(cluster.bank_registration and cluster.bank_account),
            _("The account becomes the cluster's NemKonto."),
            edit,
            _("Add it"),
        ),
        ChecklistItem(
            "clinics",
            _("Member clinics with provider numbers"),
            members > 0,
            _("Add every member clinic by its provider number."),
            reverse("registry:membership.add", args=[cluster.slug]),
            _("Add a clinic"),
        ),
        ChecklistItem(
            "doctors",
            _("Participating doctors"),
            doctors > 0,
            "",
            reverse("registry:participation.add", args=[cluster.slug]),
            _("Add a doctor"),
        ),
        ChecklistItem(
            "coordinator",
            _("Coordinator"),
            coordinator is not None,
            _("The coordinator must be a participating doctor."),
            reverse("registry:role.add", args=[cluster.slug]) + "?rolle=coordinator",
            _("Choose the coordinator"),
        ),
        ChecklistItem(
            "founding_minutes",
            _("Minutes of the founding general assembly (uploaded)"),
            bool(cluster.founding_minutes),
            "",
            reverse("registry:document.upload", args=[cluster.slug, "founding_minutes"]),
            _("Upload"),
        ),
    ]
    for before, check in _CHECKLIST_EXTENSIONS:
        codes = [item.code for item in items]
        items.insert(codes.index(before) if before in codes else len(items), check(cluster, on))
    return items


_SUFFIXES = ["nord", "syd", "øst", "vest", "centrum"]


def _name_key(name: str) -> str:
    key = name.lower()
    key = re.sub(r"\b(klynge|klyngen|kvalitetsklynge|kvalitetsklyngen|lægerne)\b", "", key)
    key = key.replace("klyngen", "").replace("klynge", "")
    return re.sub(r"[^a-zæøå0-9]", "", key)


@dataclass(frozen=True)
class NameCheck:
    similar: list[str]
    suggestion: str | None


def similar_cluster_names(
    *, name: str, municipality: Municipality | None, exclude: Cluster | None = None
) -> NameCheck:
    """REG-1: other active clusters in the same municipality with a similar name, and a
    suggested name with a suffix ("Køgeklyngen – øst") that is still free."""
    name = name.strip()
    if not name or municipality is None:
        return NameCheck([], None)
    others = Cluster.objects.active_on(today()).filter(municipality=municipality)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    key = _name_key(name)
    similar = [
        other.name
        for other in others.order_by("name")
        if other.name.lower() == name.lower()
        or (key and difflib.SequenceMatcher(None, key, _name_key(other.name)).ratio() >= 0.9)
    ]
    if not similar:
        return NameCheck([], None)
    taken = {n.lower() for n in Cluster.objects.values_list("name", flat=True)}
    suggestion = next(
        (f"{name} – {s}" for s in _SUFFIXES if f"{name} – {s}".lower() not in taken), None
    )
    return NameCheck(similar, suggestion)


def postal_code_lookup(code: str) -> PostalCode | None:
    """The postal area for a 4-digit code (ranges in central Copenhagen; Frederiksberg C
    covers 1800-1999)."""
    if not (code.isascii() and code.isdigit()):
        return None
    number = int(code)
    if 1900 <= number <= 1999:
        number = 1800
    return (
        PostalCode.objects.filter(code_from__lte=number, code_to__gte=number)
        .select_related("municipality")
        .first()
    )


def clinic_search(*, query: str, limit: int = 20) -> QuerySet[Clinic]:
    """Clinics by provider number (prefix, leading zeros optional) or by name."""
    query = query.strip()
    qs = Clinic.objects.select_related("municipality")
    if not query:
        return qs.none()
    if query.isdigit() and len(query) <= 6:
        return qs.filter(
            Q(provider_number__startswith=query) | Q(provider_number=query.zfill(6))
        ).order_by("provider_number")[:limit]
    return qs.filter(name__icontains=query).order_by("name")[:limit]


@dataclass(frozen=True)
class NationalTotals:
    clusters: int
    doctors: int
    doctors_total: int

    @property
    def doctor_share(self) -> float | None:
        return self.doctors / self.doctors_total if self.doctors_total else None


def national_totals(*, on: dt.date) -> NationalTotals:
    return NationalTotals(
        clusters=Cluster.objects.active_on(on).count(),
        doctors=Participation.objects.active_on(on).values("doctor_id").distinct().count(),
        doctors_total=Doctor.objects.count(),
    )


def renamed_cluster_url(request: HttpRequest, slug: str | None) -> str | None:
    """Where a cluster's former address (before a rename) lives today: the same page
    under the current slug, with the query string; None when `slug` is not a former one
    (or is a cluster's address today)."""
    if not slug or request.method not in ("GET", "HEAD"):
        return None
    if Cluster.objects.filter(slug=slug).exists():
        return None
    former = FormerSlug.objects.filter(slug=slug).select_related("cluster").first()
    match = request.resolver_match
    if former is None or match is None:
        return None
    url = reverse(
        match.view_name, args=match.args, kwargs={**match.kwargs, "slug": former.cluster.slug}
    )
    query = request.META.get("QUERY_STRING")
    return f"{url}?{query}" if query else url
