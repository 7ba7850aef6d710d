"""The synthetic national dataset (PRODUCT.md section 3).

Builds, deterministically for a seed, a register sized like Denmark's: the 98 real
municipalities, about 1,750 made-up clinics and 3,300 made-up doctors, 114 clusters
with the real size distribution (mean 29 doctors / 48,000 listed patients, smallest
10 / about 17,000, largest 73 / about 110,000), about 2 % of clinics in no cluster,
a history of membership and role changes, and demo users for every role.

Everything random comes from one `random.Random(seed)` consumed in a fixed order, and
no decision depends on today's date or on set/dict hash order, so the same seed gives
the same register (and the same export) byte for byte.

`england` builds an England-sized register (6,500 clinics in 1,250 clusters, the size
of its Primary Care Networks) on the same geography, to show how the product scales.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from klynge.accounts.models import User
from klynge.core.identifiers import cvr_check_digit
from klynge.core.models import AuditEntry, audit_log
from klynge.core.pdf import simple_pdf
from klynge.registry.data.names import GIVEN_NAMES_F, GIVEN_NAMES_M, STREETS, SURNAMES
from klynge.registry.geography import load_geography
from klynge.registry.models import (
    Clinic,
    ClinicCount,
    Cluster,
    Doctor,
    Membership,
    Municipality,
    Participation,
    PostalCode,
    Region,
    RoleAssignment,
    RoleKind,
)
from klynge.registry.services import TRANSLITERATE, cluster_slug

# The dataset describes the register as it stands on this date; history lies before it.
REFERENCE_DATE = dt.date(2026, 1, 1)
COUNT_YEARS = range(2017, 2027)  # listed patients counted on 1 January of each year
DEMO_PASSWORD = "klynge-demo"
DEMO_DOMAIN = "demo.klynge.test"  # RFC 2606: never a real mailbox

# Approximate populations in thousands (used only as weights for where clusters and
# clinics are placed; anything missing weighs 30).
POPULATION = {
    "København": 650,
    "Aarhus": 365,
    "Aalborg": 222,
    "Odense": 207,
    "Vejle": 120,
    "Esbjerg": 115,
    "Frederiksberg": 105,
    "Randers": 100,
    "Viborg": 98,
    "Horsens": 98,
    "Silkeborg": 97,
    "Kolding": 95,
    "Herning": 90,
    "Roskilde": 90,
    "Næstved": 84,
    "Slagelse": 80,
    "Gentofte": 75,
    "Sønderborg": 74,
    "Holbæk": 73,
    "Gladsaxe": 70,
    "Hjørring": 64,
    "Skanderborg": 63,
    "Helsingør": 63,
    "Køge": 62,
    "Guldborgsund": 60,
    "Frederikshavn": 59,
    "Svendborg": 59,
    "Holstebro": 59,
    "Aabenraa": 59,
    "Rudersdal": 57,
    "Ringkøbing-Skjern": 56,
    "Haderslev": 56,
    "Lyngby-Taarbæk": 56,
    "Hvidovre": 54,
    "Fredericia": 52,
    "Høje-Taastrup": 52,
    "Hillerød": 52,
    "Faaborg-Midtfyn": 52,
    "Varde": 50,
    "Greve": 50,
    "Ballerup": 49,
    "Kalundborg": 49,
    "Favrskov": 49,
    "Hedensted": 47,
    "Frederikssund": 46,
    "Skive": 46,
    "Vordingborg": 46,
    "Egedal": 44,
    "Syddjurs": 43,
    "Thisted": 43,
    "Tårnby": 43,
    "Vejen": 43,
    "Mariagerfjord": 42,
    "Assens": 41,
    "Fredensborg": 41,
    "Ikast-Brande": 41,
    "Gribskov": 41,
    "Furesø": 41,
    "Lolland": 40,
    "Rødovre": 40,
    "Bornholm": 39,
    "Middelfart": 39,
    "Norddjurs": 38,
    "Jammerbugt": 38,
    "Vesthimmerlands": 37,
    "Faxe": 37,
    "Tønder": 37,
    "Brønderslev": 36,
    "Brøndby": 35,
    "Ringsted": 35,
    "Odsherred": 33,
    "Nyborg": 32,
    "Halsnæs": 31,
    "Sorø": 30,
    "Rebild": 30,
    "Herlev": 29,
    "Nordfyns": 29,
    "Albertslund": 28,
    "Lejre": 28,
    "Billund": 27,
    "Allerød": 26,
    "Hørsholm": 25,
    "Kerteminde": 24,
    "Stevns": 23,
    "Glostrup": 23,
    "Solrød": 23,
    "Odder": 23,
    "Ishøj": 23,
    "Struer": 20,
    "Morsø": 20,
    "Lemvig": 19,
    "Vallensbæk": 17,
    "Dragør": 14,
    "Langeland": 12,
    "Ærø": 6,
    "Samsø": 4,
    "Fanø": 3,
    "Læsø": 2,
}


# Other domains add their demo data (e.g. quality's indicator values) through this
# hook, so the registry does not depend on them: name -> fn(summary, rng_seed, options).
_EXTENSIONS: dict[str, tuple[Callable[..., object], Callable[[], None]]] = {}


def register_extension(
    name: str, generate: Callable[..., object], clear: Callable[[], None]
) -> None:
    """`generate(seed=...)` adds demo data after the register; `clear()` removes it
    before `--replace` deletes the register it refers to."""
    _EXTENSIONS[name] = (generate, clear)


def run_extensions(*, seed: int, skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Run every registered extension not in `skip`, in registration order."""
    ran = []
    for name, (generate_extension, _clear) in _EXTENSIONS.items():
        if name not in skip:
            generate_extension(seed=seed)
            ran.append(name)
    return ran


@dataclass(frozen=True)
class Scale:
    name: str
    clusters: int
    mean_doctors: int
    min_doctors: int
    max_doctors: int
    mean_patients: int
    min_patients: int
    max_patients: int
    doctors_per_clinic: dict[int, float]  # weights of practice sizes
    unclustered_share: float  # of all clinics


SCALES = {
    "denmark": Scale(
        "denmark",
        114,
        29,
        10,
        73,
        48_000,
        17_000,
        110_000,
        {1: 0.47, 2: 0.28, 3: 0.12, 4: 0.07, 5: 0.04, 6: 0.02},
        0.02,
    ),
    "england": Scale(
        "england",
        1250,
        29,
        10,
        73,
        48_000,
        17_000,
        110_000,
        {
            2: 0.05,
            3: 0.10,
            4: 0.14,
            5: 0.16,
            6: 0.16,
            7: 0.13,
            8: 0.10,
            9: 0.08,
            10: 0.05,
            11: 0.03,
        },
        0.02,
    ),
}


@dataclass
class DemoLogin:
    role: str
    email: str
    password: str
    detail: str


@dataclass
class DatasetSummary:
    scale: str
    seed: int
    regions: int = 0
    municipalities: int = 0
    clinics: int = 0
    doctors: int = 0
    clusters: int = 0
    unclustered_clinics: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def _day(start: dt.date, end: dt.date, rng: random.Random) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _sizes_with_mean(rng: random.Random, n: int, mean: int, low: int, high: int) -> list[int]:
    """`n` integers in [low, high] with exactly one `low`, one `high` and sum n·mean,
    drawn from a right-skewed gamma like real cluster sizes."""
    shape = 6.5
    sizes = [
        min(high - 1, max(low + 1, round(rng.gammavariate(shape, mean / shape)))) for _ in range(n)
    ]
    sizes[0], sizes[1] = low, high
    target = n * mean
    while (diff := target - sum(sizes)) != 0:
        i = rng.randrange(2, n)
        step = 1 if diff > 0 else -1
        if low < sizes[i] + step < high:
            sizes[i] += step
    order = list(range(n))
    rng.shuffle(order)
    return [sizes[i] for i in order]


def _patients_for(rng: random.Random, doctors: list[int], scale: Scale) -> list[int]:
    """Listed patients per cluster: about 1,650 per doctor, the smallest cluster at
    `min_patients`, the largest at `max_patients`, and exactly `mean_patients` on average."""
    n = len(doctors)
    smallest, largest = doctors.index(min(doctors)), doctors.index(max(doctors))
    raw = [d * rng.gauss(scale.mean_patients / scale.mean_doctors, 120) for d in doctors]
    fixed = {smallest: scale.min_patients, largest: scale.max_patients}
    free = [i for i in range(n) if i not in fixed]
    remaining = n * scale.mean_patients - sum(fixed.values())
    floor, ceiling = scale.min_patients + 500, scale.max_patients - 2_000
    for _ in range(20):  # rescale, clip, repeat: converges in a few rounds
        factor = remaining / sum(raw[i] for i in free)
        for i in free:
            raw[i] = min(ceiling, max(floor, raw[i] * factor))
    patients = [0] * n
    for i, value in fixed.items():
        patients[i] = value
    for i in free:
        patients[i] = round(raw[i])
    patients[free[0]] += n * scale.mean_patients - sum(patients)
    return patients


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to `weights` that sum to `total` (largest remainder)."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[
        : total - sum(parts)
    ]:
        parts[i] += 1
    return parts


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        given = self.rng.choice(GIVEN_NAMES_F if self.rng.random() < 0.52 else GIVEN_NAMES_M)
        if self.rng.random() < 0.25:
            return f"{given} {self.rng.choice(SURNAMES)} {self.rng.choice(SURNAMES)}"
        return f"{given} {self.rng.choice(SURNAMES)}"


def _write_demo_documents(cluster: Cluster) -> None:
    """Placeholder statutes and founding minutes, so the demo's download links work."""
    for kind, title in (
        ("statutes", "Vedtægter"),
        ("founding_minutes", "Referat af stiftende generalforsamling"),
    ):
        name = getattr(cluster, kind).name
        lines = [
            f"{title} for {cluster.name}",
            "",
            f"Stiftet {cluster.founded:%d.%m.%Y}.",
            "Eksempeldokument fra Klynges syntetiske datasæt.",
        ]
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, ContentFile(simple_pdf(lines)))


def _cvr(rng: random.Random) -> str:
    while True:
        first = str(rng.randint(1_000_000, 9_999_999))
        check = cvr_check_digit(first)
        if check is not None:
            return f"{first}{check}"


@transaction.atomic
def generate(
    *, scale_name: str = "denmark", seed: int = 1, with_users: bool = True
) -> DatasetSummary:
    """Fill an empty register. Raises if clusters or clinics already exist."""
    if Cluster.objects.exists() or Clinic.objects.exists():
        raise RuntimeError("The register is not empty; use --replace to start again.")
    scale = SCALES[scale_name]
    load_geography(Region, Municipality, PostalCode)  # idempotent; a flushed test DB lacks it
    rng = random.Random(seed)
    names = _Names(rng)
    summary = DatasetSummary(scale=scale_name, seed=seed)

    regions = list(Region.objects.order_by("code"))
    municipalities = list(Municipality.objects.order_by("code"))
    postal_by_mun: dict[int, list[PostalCode]] = {}
    for area in PostalCode.objects.order_by("code_from"):
        postal_by_mun.setdefault(area.municipality_id, []).append(area)
    weight = {m.code: POPULATION.get(m.name, 30) for m in municipalities}
    muns_in_region = {r.code: [m for m in municipalities if m.region_id == r.code] for r in regions}
    region_weight = {r.code: sum(weight[m.code] for m in muns_in_region[r.code]) for r in regions}

    # 1. Cluster sizes, regions and home municipalities.
    doctors_per_cluster = _sizes_with_mean(
        rng, scale.clusters, scale.mean_doctors, scale.min_doctors, scale.max_doctors
    )
    patients_per_cluster = _patients_for(rng, doctors_per_cluster, scale)
    cluster_regions = _split(scale.clusters, [region_weight[r.code] for r in regions])
    homes: list[Municipality] = []
    for region, count in zip(regions, cluster_regions, strict=True):
        muns = muns_in_region[region.code]
        picked: dict[int, int] = {}
        for _ in range(count):  # big municipalities get several clusters, with diminishing odds
            home = rng.choices(
                muns, weights=[weight[m.code] / (1 + picked.get(m.code, 0)) ** 1.5 for m in muns]
            )[0]
            picked[home.code] = picked.get(home.code, 0) + 1
            homes.append(home)
    rng.shuffle(homes)

    # 2. Names: "Køgeklyngen", or "Aarhusklyngen – nord" when a municipality has several.
    per_home: dict[int, int] = {}
    for home in homes:
        per_home[home.code] = per_home.get(home.code, 0) + 1
    suffixes = ["nord", "syd", "øst", "vest", "centrum", "midt", "by", "land"]
    seen: dict[int, int] = {}
    cluster_names = []
    for home in homes:
        k = seen.get(home.code, 0)
        seen[home.code] = k + 1
        base = f"{home.name}klyngen"
        if per_home[home.code] == 1:
            cluster_names.append(base)
        else:
            cluster_names.append(
                f"{base} – {suffixes[k]}" if k < len(suffixes) else f"{base} – {k + 1}"
            )

    # 3. Clusters.
    clusters = []
    for i, home in enumerate(homes):
        founded = _day(dt.date(2017, 9, 1), dt.date(2019, 10, 31), rng)
        registered = founded + dt.timedelta(days=rng.randrange(1, 30))
        clusters.append(
            Cluster(
                name=cluster_names[i],
                slug="",
                municipality=home,
                cvr=_cvr(rng),
                bank_registration=str(rng.randint(1000, 9899)),
                bank_account=str(rng.randint(10**9, 10**10 - 1)),
                fiscal_year_start_month=1,
                founded=founded,
                registered=registered,
                registration_completed=registered + dt.timedelta(days=rng.randrange(0, 60)),
                statutes=f"clusters/statutes/demo-{i + 1}.pdf",
                founding_minutes=f"clusters/minutes/demo-{i + 1}.pdf",
            )
        )
    for cluster in clusters:
        cluster.slug = cluster_slug(cluster.name)  # names are unique by construction
    taken_slugs = [c.slug for c in clusters]
    assert len(set(taken_slugs)) == len(taken_slugs)
    Cluster.objects.bulk_create(clusters)
    clusters = list(Cluster.objects.order_by("id"))
    for cluster in clusters:
        _write_demo_documents(cluster)

    # 4. Clinics per cluster, split into practices of 1-6 doctors (England: 2-10).
    sizes, size_weights = list(scale.doctors_per_clinic), list(scale.doctors_per_clinic.values())
    plan: list[
        tuple[int | None, Municipality, int, int]
    ] = []  # (cluster idx, municipality, doctors, patients)
    for ci, cluster in enumerate(clusters):
        remaining, practice_sizes = doctors_per_cluster[ci], []
        while remaining > 0:
            size = min(remaining, rng.choices(sizes, weights=size_weights)[0])
            practice_sizes.append(size)
            remaining -= size
        list_sizes = _split(
            patients_per_cluster[ci], [s * rng.uniform(0.8, 1.2) for s in practice_sizes]
        )
        region_muns = muns_in_region[cluster.municipality.region_id]
        for size, patients in zip(practice_sizes, list_sizes, strict=True):
            mun = (
                cluster.municipality
                if rng.random() < 0.65
                else rng.choices(region_muns, weights=[weight[m.code] for m in region_muns])[0]
            )
            plan.append((ci, mun, size, patients))
    clustered = len(plan)
    unclustered = round(clustered * scale.unclustered_share / (1 - scale.unclustered_share))
    for _ in range(unclustered):
        mun = rng.choices(municipalities, weights=[weight[m.code] for m in municipalities])[0]
        size = rng.choices(sizes, weights=size_weights)[0]
        plan.append((None, mun, size, round(size * rng.gauss(1_600, 150))))

    # Every municipality has at least one practice: move one from a crowded neighbour.
    present = {p[1].code for p in plan}
    for mun in municipalities:
        if mun.code in present:
            continue
        counts: dict[int, int] = {}
        for p in plan:
            counts[p[1].code] = counts.get(p[1].code, 0) + 1
        j = next(
            j
            for j, p in enumerate(plan)
            if p[1].region_id == mun.region_id and counts[p[1].code] > 3
        )
        plan[j] = (plan[j][0], mun, plan[j][2], plan[j][3])
        present.add(mun.code)

    provider_numbers = rng.sample(range(1, 1_000_000), len(plan))
    clinics = []
    for (_ci, mun, size, _patients), number in zip(plan, provider_numbers, strict=True):
        area = rng.choice(postal_by_mun[mun.code])
        street = rng.choice(STREETS)
        style = rng.random()
        if size == 1 and style < 0.6:
            name = f"Læge {names.person()}"
        elif style < 0.5:
            name = f"Lægerne {street}"
        elif style < 0.8:
            name = f"Lægehuset {area.name}"
        else:
            name = f"{area.name} Lægecenter"
        postal = str(area.code_from).zfill(4)
        clinics.append(
            Clinic(
                provider_number=str(number).zfill(6),
                name=name,
                address=f"{street} {rng.randint(1, 120)}",
                postal_code=postal,
                city=area.name,
                municipality=mun,
                latitude=area.latitude,
                longitude=area.longitude,
            )
        )
    Clinic.objects.bulk_create(clinics, batch_size=2000)
    clinics = list(Clinic.objects.order_by("id"))

    count_rows: list[ClinicCount] = []
    for clinic, (_ci, _mun, size, patients) in zip(clinics, plan, strict=True):
        growth = rng.uniform(-0.01, 0.015)
        for year in COUNT_YEARS:
            factor = 1 - growth * (REFERENCE_DATE.year - year)
            count_rows.append(
                ClinicCount(
                    clinic=clinic,
                    on=dt.date(year, 1, 1),
                    capacities=size,
                    listed_patients=max(0, round(patients * factor)),
                )
            )
    ClinicCount.objects.bulk_create(count_rows, batch_size=5000)

    doctors: list[Doctor] = []
    for clinic, (_ci, _mun, size, _p) in zip(clinics, plan, strict=True):
        for _ in range(size):
            person = names.person()
            local = person.lower().translate(TRANSLITERATE).replace(" ", ".")
            doctors.append(
                Doctor(
                    clinic=clinic, name=person, email=f"{local}.{len(doctors) + 1}@{DEMO_DOMAIN}"
                )
            )
    Doctor.objects.bulk_create(doctors, batch_size=5000)
    doctors_by_clinic: dict[int, list[Doctor]] = {}
    for doctor in Doctor.objects.order_by("id"):
        doctors_by_clinic.setdefault(doctor.clinic_id, []).append(doctor)

    # 5. Membership history. Most clinics joined at founding; some joined later, some
    # moved from another cluster of their region, and some left to be accredited instead.
    memberships: list[Membership] = []
    participations: list[Participation] = []
    founding_doctors: dict[int, list[Doctor]] = {}
    by_region: dict[int, list[int]] = {}
    for ci, cluster in enumerate(clusters):
        by_region.setdefault(cluster.municipality.region_id, []).append(ci)
    last_change = REFERENCE_DATE - dt.timedelta(days=31)

    def join(ci: int, clinic: Clinic, start: dt.date, end: dt.date | None) -> None:
        memberships.append(Membership(clinic=clinic, cluster=clusters[ci], start=start, end=end))
        for doctor in doctors_by_clinic[clinic.pk]:
            participations.append(
                Participation(doctor=doctor, cluster=clusters[ci], start=start, end=end)
            )

    for clinic, (planned, _mun, _size, _p) in zip(clinics, plan, strict=True):
        roll = rng.random()
        if planned is None:
            if roll < 0.4:  # was a member once, then left
                former = rng.choice(by_region[clinic.municipality.region_id])
                start = clusters[former].founded
                join(former, clinic, start, _day(start + dt.timedelta(days=180), last_change, rng))
            continue
        ci = planned
        cluster = clusters[ci]
        if ci not in founding_doctors:  # every cluster has founding members
            roll = 1.0
        if roll < 0.08:  # joined later
            join(ci, clinic, _day(cluster.founded + dt.timedelta(days=60), last_change, rng), None)
        elif roll < 0.12 and len(by_region[cluster.municipality.region_id]) > 1:  # moved here
            former = rng.choice([x for x in by_region[cluster.municipality.region_id] if x != ci])
            first = clusters[former].founded
            moved = _day(max(first, cluster.founded) + dt.timedelta(days=90), last_change, rng)
            join(former, clinic, first, moved)
            join(ci, clinic, moved, None)
        else:
            join(ci, clinic, cluster.founded, None)
            founding_doctors.setdefault(ci, []).extend(doctors_by_clinic[clinic.pk])
    Membership.objects.bulk_create(memberships, batch_size=5000)
    Participation.objects.bulk_create(participations, batch_size=5000)

    # 6. Roles: a coordinator from founding (a fifth handed over later), a board in half.
    roles: list[RoleAssignment] = []
    for ci, cluster in enumerate(clusters):
        pool, start = founding_doctors[ci], cluster.founded
        people = rng.sample(pool, min(len(pool), 6))
        coordinator = people[0]
        if rng.random() < 0.2 and len(people) > 1:
            handover = _day(start + dt.timedelta(days=365), last_change, rng)
            roles.append(
                RoleAssignment(
                    cluster=cluster,
                    doctor=people[1],
                    role=RoleKind.COORDINATOR,
                    start=start,
                    end=handover,
                )
            )
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=coordinator, role=RoleKind.COORDINATOR, start=handover
                )
            )
        else:
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=coordinator, role=RoleKind.COORDINATOR, start=start
                )
            )
        if rng.random() < 0.5 and len(people) >= 5:
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=coordinator, role=RoleKind.CHAIR, start=start
                )
            )
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=people[2], role=RoleKind.TREASURER, start=start
                )
            )
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=people[3], role=RoleKind.BOARD_MEMBER, start=start
                )
            )
            roles.append(
                RoleAssignment(
                    cluster=cluster, doctor=people[4], role=RoleKind.BOARD_MEMBER, start=start
                )
            )
    RoleAssignment.objects.bulk_create(roles, batch_size=5000)

    summary.regions = len(regions)
    summary.municipalities = len(municipalities)
    summary.clinics = len(clinics)
    summary.doctors = len(doctors)
    summary.clusters = len(clusters)
    summary.unclustered_clinics = unclustered
    if with_users:
        summary.logins = _demo_users(clusters, roles, doctors_by_clinic, memberships)
    audit_log(
        actor=None, action="registry.dataset.generated", data={"scale": scale_name, "seed": seed}
    )
    return summary


def _demo_users(clusters, roles, doctors_by_clinic, memberships) -> list[DemoLogin]:
    """One login per role. Passwords are hashed once and shared (demo only)."""
    password = make_password(DEMO_PASSWORD)
    logins: list[DemoLogin] = []

    def user(email: str, name: str, **extra) -> User:
        return User.objects.create(email=email, name=name, password=password, **extra)

    user(
        f"sekretariat@{DEMO_DOMAIN}",
        "Det nationale sekretariat",
        is_secretariat=True,
        is_staff=True,
        is_superuser=True,
    )
    logins.append(
        DemoLogin(
            "Nationalt sekretariat",
            f"sekretariat@{DEMO_DOMAIN}",
            DEMO_PASSWORD,
            "ser alle klynger, admin",
        )
    )
    for region in Region.objects.order_by("code"):
        slug = region.short_name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
        email = f"region.{slug}@{DEMO_DOMAIN}"
        user(email, f"Kvalitetsenheden, {region.name}", region=region)
        logins.append(DemoLogin("Regional kvalitetsenhed", email, DEMO_PASSWORD, region.name))

    # The demo cluster: the first one (by name) with a board, so every role is there.
    with_board = {r.cluster_id for r in roles if r.role == RoleKind.TREASURER}
    demo = next(c for c in sorted(clusters, key=lambda c: c.name) if c.pk in with_board)
    current = [r for r in roles if r.cluster_id == demo.pk and r.end is None]
    coordinator = next(r.doctor for r in current if r.role == RoleKind.COORDINATOR)
    treasurer = next(r.doctor for r in current if r.role == RoleKind.TREASURER)
    role_holders = {r.doctor.pk for r in roles if r.cluster_id == demo.pk}
    member = next(
        d
        for m in memberships
        if m.cluster_id == demo.pk and m.end is None
        for d in doctors_by_clinic[m.clinic.pk]
        if d.pk not in role_holders
    )
    other = next(
        c
        for c in sorted(clusters, key=lambda c: c.name)
        if c.municipality.region_id != demo.municipality.region_id
    )
    other_member = next(
        d
        for m in memberships
        if m.cluster_id == other.pk and m.end is None
        for d in doctors_by_clinic[m.clinic.pk]
    )
    for label, local, doctor, detail in [
        ("Klyngekoordinator", "koordinator", coordinator, demo.name),
        ("Bestyrelsesmedlem (kasserer)", "kasserer", treasurer, demo.name),
        ("Medlemslæge", "laege", member, demo.name),
        ("Medlemslæge i en anden klynge", "laege2", other_member, other.name),
    ]:
        email = f"{local}@{DEMO_DOMAIN}"
        doctor.user = user(email, doctor.name)
        doctor.email = email
        doctor.save(update_fields=["user", "email"])
        logins.append(DemoLogin(label, email, DEMO_PASSWORD, f"{doctor.name}, {detail}"))
    return logins


@transaction.atomic
def clear() -> None:
    """Delete the register (not the geography), for `generate_dataset --replace`.

    Plain SQL deletes in dependency order: going through the ORM would load every row
    and write a history row per deleted object (minutes at England scale)."""
    tables = [
        model._meta.db_table
        for model in (
            RoleAssignment,
            Participation,
            Membership,
            ClinicCount,
            Doctor,
            Clinic,
            Cluster,
        )
    ]
    tables += [
        model.history.model._meta.db_table  # type: ignore[attr-defined]
        for model in (RoleAssignment, Participation, Membership, Doctor, Clinic, Cluster)
    ]
    for _generate, clear_extension in reversed(_EXTENSIONS.values()):
        clear_extension()
    User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").delete()
    Doctor.objects.filter(user__isnull=False).update(user=None)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')
    AuditEntry.objects.filter(scope__startswith="cluster:").delete()
