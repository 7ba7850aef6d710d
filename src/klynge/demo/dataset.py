"""The synthetic national dataset (PRODUCT.md section 3).

Builds, deterministically for a seed, a register sized like Denmark's: the 98 real
municipalities, about 1,750 made-up clinics and 3,300 made-up doctors, 114 clusters
with the real size distribution (mean 29 doctors / 48,000 listed patients, smallest
10 / about 17,000, largest 73 / about 110,000), about 2 % of clinics in no cluster,
a history of membership and role changes, and demo users for every role.

The register is placed relative to a day, `today` (`generate_dataset --today
YYYY-MM-DD`, by default the real date): the history of memberships and roles runs until
a month before it and the clinics are counted on 1 January of every year up to it; the
extensions (indicators, books, meetings) place their data around it too. Everything
random comes from one `random.Random(seed)` consumed in a fixed order, no decision
depends on set/dict hash order, and everything is written under the demo's clock
(`demo_clock`: noon in Copenhagen on `today`), so the same seed and the same day give
the same register, the same export and the same demo data byte for byte, whatever the
real date.

`england` builds an England-sized register (6,500 practices in 1,250 clusters, the size
of its Primary Care Networks) in England's jurisdiction (`klynge.core.jurisdiction`):
its data pack (`demo/packs.py`) replaces the Danish geography with NHS England's 7
regions and the 42 integrated care boards, practices have codes like `A12345` and
networks like `U12345`, a network's practices lie in its board, people and practices
have English names, and there are no postal areas, coordinates or map. `england-small`
is the same with 12 networks, for tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import random
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from klynge.accounts.models import User
from klynge.core import jurisdiction
from klynge.core.identifiers import cvr_check_digit
from klynge.core.models import AuditEntry, audit_log
from klynge.core.pdf import simple_pdf
from klynge.demo import packs
from klynge.demo.data.england import names as english_names
from klynge.registry.data.names import GIVEN_NAMES_F, GIVEN_NAMES_M, STREETS, SURNAMES
from klynge.registry.models import (
    Accreditation,
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

REGISTRY_DATA = Path(__file__).resolve().parent.parent / "registry" / "data"
NEIGHBOURS = REGISTRY_DATA / "dk_kommune_naboer.csv"
POPULATION = REGISTRY_DATA / "dk_folketal.csv"  # Danmarks Statistik (registry/data/SOURCES.md)
FIRST_COUNT_YEAR = 2017  # listed patients are counted on 1 January of each year from here


def count_years(today: dt.date) -> range:
    """The years whose 1 January has a clinic count in a register placed at `today`."""
    return range(FIRST_COUNT_YEAR, today.year + 1)


COUNT_YEARS = count_years(dt.date.today())  # for the real date (what `make demo` builds)
DEMO_PASSWORD = "klynge-demo"
DEMO_DOMAIN = "demo.klynge.test"  # RFC 2606: never a real mailbox


# Other domains add their demo data (e.g. quality's indicator values) through this
# hook, so the registry does not depend on them.
_EXTENSIONS: dict[str, tuple[Callable[..., object], Callable[[], None]]] = {}


def register_extension(
    name: str, generate: Callable[..., object], clear: Callable[[], None]
) -> None:
    """`generate(seed=..., today=...)` adds demo data after the register, placed around
    `today`; `clear()` removes it before `--replace` deletes the register it refers to."""
    _EXTENSIONS[name] = (generate, clear)


def run_extensions(
    *,
    seed: int,
    today: dt.date | None = None,
    skip: frozenset[str] | set[str] = frozenset(),
    scale_name: str | None = None,
) -> list[str]:
    """Run every registered extension not in `skip`, in registration order, under the
    demo's clock for `today` (default: the real date) and in the jurisdiction of
    `scale_name` (default: the configured one). An extension that takes no `today`
    reads the day from the clock (`timezone.localdate()` answers `today`)."""
    today = today or timezone.localdate()
    ran = []
    code = SCALES[scale_name].jurisdiction if scale_name else jurisdiction.active().code
    with jurisdiction.activate(code), demo_clock(today):
        for name, (generate_extension, _clear) in _EXTENSIONS.items():
            if name in skip:
                continue
            if "today" in inspect.signature(generate_extension).parameters:
                generate_extension(seed=seed, today=today)
            else:
                generate_extension(seed=seed)
            ran.append(name)
    return ran


def demo_moment(today: dt.date) -> dt.datetime:
    """Noon in Copenhagen on `today`: the demo's "now"."""
    return dt.datetime.combine(today, dt.time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@contextmanager
def demo_clock(today: dt.date) -> Iterator[dt.datetime]:
    """Make `django.utils.timezone.now` answer the demo's day while the generator runs.

    The demo data is written through the same services and models as real data, and
    those stamp rows with the current time (`auto_now_add`, `default=timezone.now`, an
    approval's time) and check it (minutes can only be approved after the meeting).
    Running them on the demo's clock keeps the output a function of seed and day, and
    lets a demo be built for another day than the real one. The clock stands still at
    noon on `today` (rows written together keep their order by id). Only the generating
    process is affected, and only inside this block."""
    start = demo_moment(today)
    moment = start.astimezone(dt.UTC)

    def now() -> dt.datetime:
        return moment

    real_now = timezone.now

    # Fields declared `default=timezone.now` hold the function itself, not the name.
    # Compared by name as well as identity: a test or a tool may have wrapped
    # `timezone.now` since the models were imported.
    def is_now(default) -> bool:
        return default is real_now or (
            getattr(default, "__module__", None) == "django.utils.timezone"
            and getattr(default, "__name__", None) == "now"
        )

    fields = [
        f
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if is_now(getattr(f, "default", None))
    ]
    timezone.now = now  # type: ignore[assignment]
    for f in fields:
        f.default = now
    try:
        yield start
    finally:
        timezone.now = real_now  # type: ignore[assignment]
        for f in fields:
            f.default = real_now


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
    jurisdiction: str = "dk"  # whose data pack, identifiers and names (core/jurisdiction.py)


DENMARK = Scale(
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
)

SCALES = {
    "denmark": DENMARK,
    # A small register (12 clusters) with the same sizes, for fast tests of the demo.
    "sample": replace(DENMARK, name="sample", clusters=12),
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
        jurisdiction="england",
    ),
}
# The England register at the sample's size, for tests of the England data pack.
SCALES["england-small"] = Scale(
    "england-small",
    12,
    29,
    10,
    73,
    48_000,
    17_000,
    110_000,
    SCALES["england"].doctors_per_clinic,
    0.02,
    jurisdiction="england",
)


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
    today: dt.date
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


def load_neighbours() -> dict[int, set[int]]:
    """Municipality code -> its neighbours, from the shipped `dk_kommune_naboer.csv`
    (land borders, plus ferries and bridges to islands; see `registry/data/adjacency.py`)."""
    neighbours: dict[int, set[int]] = {}
    with open(NEIGHBOURS, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            a, b = int(row["kommunenr_a"]), int(row["kommunenr_b"])
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
    return neighbours


def load_population() -> dict[int, int]:
    """Municipality code -> its population, from the shipped `dk_folketal.csv`
    (Danmarks Statistik's table BY2 for one 1 January; see `registry/data/SOURCES.md`).
    The generator's only weights for where clusters, clinics and doctors go."""
    with open(POPULATION, encoding="utf-8", newline="") as fh:
        return {int(row["kommunekode"]): int(row["folketal"]) for row in csv.DictReader(fh)}


def _homes(
    n: int, weight: Mapping[int, float], neighbours: dict[int, set[int]], quota: dict[int, int]
) -> tuple[list[int], dict[int, list[int]]]:
    """Where `n` clusters have their home: municipalities get clusters in proportion
    to their population (every island without a neighbour at least one, so Bornholm's
    doctors have a cluster on Bornholm). Each municipality without a cluster is gathered
    by its most populous neighbour that has one (or, failing that, gathers into the
    neighbour's catchment it borders). Returns one home per cluster (codes, sorted) and
    each home's catchment (itself first, then the municipalities it gathers)."""
    codes = sorted(weight)
    per = dict(zip(codes, _split(n, [weight[c] for c in codes]), strict=True))
    for code in codes:
        if not neighbours.get(code) and per[code] == 0 and quota[code] > 0:
            donor = max(codes, key=lambda c: (per[c], weight[c], -c))
            per[donor] -= 1
            per[code] += 1
    catchment: dict[int, list[int]] = {c: [c] for c in codes if per[c] > 0}
    home_of = {c: c for c in catchment}
    pending = [c for c in codes if c not in home_of]
    while pending:  # municipalities two steps away join through a gathered neighbour
        left = []
        for code in sorted(pending, key=lambda c: (-weight[c], c)):
            options = [m for m in neighbours.get(code, ()) if m in home_of]
            if not options:
                left.append(code)
                continue
            best = max(options, key=lambda m: (m in catchment, weight[home_of[m]], -m))
            home_of[code] = home_of[best]
            catchment[home_of[best]].append(code)
        if len(left) == len(pending):
            raise RuntimeError(f"municipalities with no way to a cluster: {left}")
        pending = left
    homes = [c for c in codes for _ in range(per[c])]
    return homes, catchment


def _place(home: int, gathered: list[int], next_door: set[int], quota: dict[int, int]) -> int:
    """The municipality for a cluster's next practice: where most doctors of the home's
    catchment are still to be placed; once none are, the neighbour of the home with the
    most left; once none are, the home itself."""
    for candidates in (gathered, sorted(next_door)):
        best = max(candidates, key=lambda c: (quota[c], -c), default=None)
        if best is not None and quota[best] > 0:
            return best
    return home


class _Names:
    def __init__(self, rng: random.Random, *, english: bool = False) -> None:
        self.rng = rng
        self.english = english
        lists = english_names if english else None
        self.given_f = lists.GIVEN_NAMES_F if lists else GIVEN_NAMES_F
        self.given_m = lists.GIVEN_NAMES_M if lists else GIVEN_NAMES_M
        self.surnames = lists.SURNAMES if lists else SURNAMES

    def person(self) -> str:
        given = self.rng.choice(self.given_f if self.rng.random() < 0.52 else self.given_m)
        if self.english:  # a double-barrelled surname now and then
            if self.rng.random() < 0.05:
                return f"{given} {self.rng.choice(self.surnames)}-{self.rng.choice(self.surnames)}"
            return f"{given} {self.rng.choice(self.surnames)}"
        if self.rng.random() < 0.25:
            return f"{given} {self.rng.choice(SURNAMES)} {self.rng.choice(SURNAMES)}"
        return f"{given} {self.rng.choice(SURNAMES)}"


def _write_demo_documents(cluster: Cluster) -> None:
    """Placeholder founding minutes, so the demo's download links work (the statutes
    are governance's demo data)."""
    write_placeholder_pdf(
        cluster.founding_minutes.name, "Referat af stiftende generalforsamling", cluster
    )


def write_placeholder_pdf(name: str, title: str, cluster: Cluster) -> None:
    """A one-page placeholder PDF in storage under `name` (replaced if there)."""
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


def _danish_clinics(
    rng: random.Random, names: _Names, plan, postal_by_mun: dict[int, list[PostalCode]]
) -> list[Clinic]:
    """Denmark's clinics: a provider number each, at a postal area of their municipality
    (its label point for the map)."""
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
    return clinics


# The first letters of the synthetic practice codes (the form of NHS ODS codes, A12345;
# no meaning is claimed for a letter).
PRACTICE_LETTERS = "ABCDEFGHJKLMNPY"


def _english_practices(rng: random.Random, names: _Names, plan) -> list[Clinic]:
    """England's practices: a practice code each, English names and streets, in their
    network's board; no postcode, coordinates or postal area (England's pack has none)."""
    numbers = rng.sample(range(len(PRACTICE_LETTERS) * 100_000), len(plan))
    clinics = []
    for (_ci, board, size, _patients), number in zip(plan, numbers, strict=True):
        street = rng.choice(english_names.STREETS)
        style = rng.random()
        if size <= 2 and style < 0.4:
            name = f"Dr {names.person().split()[-1]}'s Surgery"
        elif style < 0.6:
            name = f"{street} Surgery"
        elif style < 0.85:
            name = f"{street} Medical Centre"
        else:
            name = f"{board.name} Health Centre {number % 100}"
        clinics.append(
            Clinic(
                provider_number=f"{PRACTICE_LETTERS[number // 100_000]}{number % 100_000:05d}",
                name=name,
                address=f"{rng.randint(1, 120)} {street}",
                postal_code="",
                city="",
                municipality=board,
                latitude=None,
                longitude=None,
            )
        )
    return clinics


def generate(
    *,
    scale_name: str = "denmark",
    seed: int = 1,
    with_users: bool = True,
    today: dt.date | None = None,
) -> DatasetSummary:
    """Fill an empty register placed at `today` (default: the real date). Raises if
    clusters or clinics already exist."""
    today = today or timezone.localdate()
    with (
        jurisdiction.activate(SCALES[scale_name].jurisdiction),
        demo_clock(today),
        transaction.atomic(),
    ):
        return _generate(scale_name=scale_name, seed=seed, with_users=with_users, today=today)


ACCREDITATION_DUTY = dt.date(2019, 11, 1)  # clinics in no cluster must be accredited from


def _accreditations(
    clinics: list[Clinic], memberships: list[Membership], *, seed: int, today: dt.date
) -> None:
    """The accreditation status of the clinics in no cluster today (REG-7): most are
    accredited (from the duty's start, or after they left their cluster), some are not,
    and of some the unit does not know yet. Clinics in a cluster stay "unknown" (they
    need no accreditation). Drawn from a generator of its own, derived from the seed, so
    the rest of the dataset is the same as without it."""
    rng = random.Random(f"accreditation-{seed}")
    left: dict[int, dt.date] = {}
    clustered: set[int] = set()
    for m in memberships:
        if m.start <= today and (m.end is None or m.end > today):
            clustered.add(m.clinic.pk)
        elif m.end is not None and m.end <= today:
            left[m.clinic.pk] = max(m.end, left.get(m.clinic.pk, m.end))
    changed = []
    recent = today - dt.timedelta(days=31)
    for clinic in clinics:  # in the clinics' fixed order: the draws follow it
        if clinic.pk in clustered:
            continue
        roll = rng.random()
        earliest = max(ACCREDITATION_DUTY, left.get(clinic.pk, ACCREDITATION_DUTY))
        if earliest >= recent:
            earliest = recent - dt.timedelta(days=1)
        if roll < 0.75:
            clinic.accreditation = Accreditation.ACCREDITED
            clinic.accreditation_date = _day(earliest, recent, rng)
        elif roll < 0.87:
            clinic.accreditation = Accreditation.NOT_ACCREDITED
            clinic.accreditation_date = _day(max(earliest, today - dt.timedelta(400)), recent, rng)
        else:
            continue  # unknown: not followed up yet
        changed.append(clinic)
    Clinic.objects.bulk_update(changed, ["accreditation", "accreditation_date"], batch_size=2000)


def _generate(*, scale_name: str, seed: int, with_users: bool, today: dt.date) -> DatasetSummary:
    if Cluster.objects.exists() or Clinic.objects.exists():
        raise RuntimeError("The register is not empty; use --replace to start again.")
    scale = SCALES[scale_name]
    # The scale's areas and only them (idempotent; a flushed test DB lacks them).
    packs.install(scale.jurisdiction)
    english = scale.jurisdiction == "england"
    rng = random.Random(seed)
    names = _Names(rng, english=english)
    summary = DatasetSummary(scale=scale_name, seed=seed, today=today)

    from klynge.registry.selectors import regions_on

    regions = list(regions_on(today))
    municipalities = list(Municipality.objects.order_by("code"))
    postal_by_mun: dict[int, list[PostalCode]] = {}
    for area in PostalCode.objects.order_by("code_from"):
        postal_by_mun.setdefault(area.municipality_id, []).append(area)
    # England: no population figures are shipped for the boards, so each weighs the
    # same; a network's practices stay in its board (no neighbours).
    if english:
        weight = {m.code: 1 for m in municipalities}
    else:
        population = load_population()
        missing = sorted(m.code for m in municipalities if m.code not in population)
        if missing:
            raise RuntimeError(f"municipalities with no population in {POPULATION.name}: {missing}")
        weight = {m.code: population[m.code] for m in municipalities}
    by_code = {m.code: m for m in municipalities}
    neighbours = {} if english else load_neighbours()

    # 1. Cluster sizes drawn like the real ones, and a quota of clustered doctors per
    # municipality in proportion to its population.
    doctors_per_cluster = _sizes_with_mean(
        rng, scale.clusters, scale.mean_doctors, scale.min_doctors, scale.max_doctors
    )
    patients_per_cluster = _patients_for(rng, doctors_per_cluster, scale)
    quota = dict(
        zip(
            by_code,
            _split(sum(doctors_per_cluster), [weight[c] for c in by_code]),
            strict=True,
        )
    )
    if english:
        per = dict(zip(by_code, _split(scale.clusters, [1.0] * len(by_code)), strict=True))
        home_slots = [c for c in by_code for _ in range(per[c])]
        catchment = {c: [c] for c in by_code if per[c] > 0}
    else:
        home_slots, catchment = _homes(scale.clusters, weight, neighbours, quota)
    # The biggest clusters go where the most doctors per cluster practise nearby.
    slots = sorted(
        home_slots,
        key=lambda code: (
            -sum(quota[m] for m in catchment[code]) / home_slots.count(code),
            code,
        ),
    )
    order = sorted(range(scale.clusters), key=lambda i: (-doctors_per_cluster[i], i))
    home_of_size = dict(zip(order, slots, strict=True))
    home_codes = [home_of_size[i] for i in range(scale.clusters)]
    shuffled = list(range(scale.clusters))
    rng.shuffle(shuffled)
    doctors_per_cluster = [doctors_per_cluster[i] for i in shuffled]
    patients_per_cluster = [patients_per_cluster[i] for i in shuffled]
    homes = [by_code[home_codes[i]] for i in shuffled]

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
        if english:  # "Greater Manchester PCN 12"
            several = per_home[home.code] > 1
            cluster_names.append(f"{home.name} PCN {k + 1}" if several else f"{home.name} PCN")
        elif per_home[home.code] == 1:
            cluster_names.append(base)
        else:
            cluster_names.append(
                f"{base} – {suffixes[k]}" if k < len(suffixes) else f"{base} – {k + 1}"
            )

    # 3. Clusters. England's networks began on 1 July 2019 and have network codes
    # (U12345) for an organisation number; the register's bank fields are Danish
    # (registration and account number) and stay empty there.
    clusters = []
    network_codes = rng.sample(range(100_000), scale.clusters) if english else []
    for i, home in enumerate(homes):
        if english:
            founded = _day(dt.date(2019, 7, 1), dt.date(2019, 9, 30), rng)
            organisation, bank_registration, bank_account = f"U{network_codes[i]:05d}", "", ""
        else:
            founded = _day(dt.date(2017, 9, 1), dt.date(2019, 10, 31), rng)
        registered = founded + dt.timedelta(days=rng.randrange(1, 30))
        if not english:
            organisation = _cvr(rng)
            bank_registration = str(rng.randint(1000, 9899))
            bank_account = str(rng.randint(10**9, 10**10 - 1))
        clusters.append(
            Cluster(
                name=cluster_names[i],
                slug="",
                municipality=home,
                cvr=organisation,
                bank_registration=bank_registration,
                bank_account=bank_account,
                fiscal_year_start_month=1,
                founded=founded,
                registered=registered,
                registration_completed=registered + dt.timedelta(days=rng.randrange(0, 60)),
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
        home_code = cluster.municipality.code
        for k, (size, patients) in enumerate(zip(practice_sizes, list_sizes, strict=True)):
            # The first practice (the coordinator's) is in the home municipality; the
            # others where doctors are still to be placed: the home municipality, the
            # neighbours it gathers, then any neighbour of the home.
            code = (
                home_code
                if k == 0
                else _place(
                    home_code, catchment[home_code], neighbours.get(home_code, set()), quota
                )
            )
            quota[code] -= size
            plan.append((ci, by_code[code], size, patients))
    clustered = len(plan)
    unclustered = round(clustered * scale.unclustered_share / (1 - scale.unclustered_share))
    for _ in range(unclustered):  # where doctors are still missing, by population
        mun = rng.choices(
            municipalities, weights=[max(quota[m.code], 0) + 0.01 for m in municipalities]
        )[0]
        size = rng.choices(sizes, weights=size_weights)[0]
        quota[mun.code] -= size
        plan.append((None, mun, size, round(size * rng.gauss(1_600, 150))))

    # Every municipality has at least one practice: move one (not a coordinator's) of a
    # cluster whose home is next door, so it stays next to its cluster's home.
    present = {p[1].code for p in plan}
    # (The small sample skips it; England's boards all hold networks at full scale and
    # have no neighbours to borrow from.)
    for mun in municipalities if scale.clusters >= 100 and not english else []:
        if mun.code in present:
            continue
        counts: dict[int, int] = {}
        for p in plan:
            counts[p[1].code] = counts.get(p[1].code, 0) + 1
        first_of: dict[int | None, int] = {}
        for j, p in enumerate(plan):
            first_of.setdefault(p[0], j)
        j = next(
            j
            for j, p in enumerate(plan)
            if p[0] is not None
            and first_of[p[0]] != j
            and homes[p[0]].code in neighbours.get(mun.code, ())
            and counts[p[1].code] > 3
        )
        plan[j] = (plan[j][0], mun, plan[j][2], plan[j][3])
        present.add(mun.code)

    if english:
        clinics = _english_practices(rng, names, plan)
    else:
        clinics = _danish_clinics(rng, names, plan, postal_by_mun)
    Clinic.objects.bulk_create(clinics, batch_size=2000)
    clinics = list(Clinic.objects.order_by("id"))

    count_rows: list[ClinicCount] = []
    for clinic, (_ci, _mun, size, patients) in zip(clinics, plan, strict=True):
        growth = rng.uniform(-0.01, 0.015)
        for year in count_years(today):
            factor = 1 - growth * (today.year - year)
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
    # A clinic that moved or left was in a cluster near it: one whose home is its own
    # municipality or a neighbour.
    by_home: dict[int, list[int]] = {}
    for ci, cluster in enumerate(clusters):
        by_home.setdefault(cluster.municipality.code, []).append(ci)

    def nearby(code: int) -> list[int]:
        return [ci for m in sorted({code, *neighbours.get(code, ())}) for ci in by_home.get(m, [])]

    last_change = today - dt.timedelta(days=31)  # the history ends a month ago

    def join(ci: int, clinic: Clinic, start: dt.date, end: dt.date | None) -> None:
        memberships.append(Membership(clinic=clinic, cluster=clusters[ci], start=start, end=end))
        for doctor in doctors_by_clinic[clinic.pk]:
            participations.append(
                Participation(doctor=doctor, cluster=clusters[ci], start=start, end=end)
            )

    for clinic, (planned, _mun, _size, _p) in zip(clinics, plan, strict=True):
        roll = rng.random()
        if planned is None:
            if roll < 0.4 and nearby(clinic.municipality.code):  # was a member once, then left
                former = rng.choice(nearby(clinic.municipality.code))
                start = clusters[former].founded
                join(former, clinic, start, _day(start + dt.timedelta(days=180), last_change, rng))
            continue
        ci = planned
        cluster = clusters[ci]
        if ci not in founding_doctors:  # every cluster has founding members
            roll = 1.0
        if roll < 0.08:  # joined later
            join(ci, clinic, _day(cluster.founded + dt.timedelta(days=60), last_change, rng), None)
        elif roll < 0.12 and len(nearby(clinic.municipality.code)) > 1:  # moved here
            former = rng.choice([x for x in nearby(clinic.municipality.code) if x != ci])
            first = clusters[former].founded
            moved = _day(max(first, cluster.founded) + dt.timedelta(days=90), last_change, rng)
            join(former, clinic, first, moved)
            join(ci, clinic, moved, None)
        else:
            join(ci, clinic, cluster.founded, None)
            founding_doctors.setdefault(ci, []).extend(doctors_by_clinic[clinic.pk])
    Membership.objects.bulk_create(memberships, batch_size=5000)
    Participation.objects.bulk_create(participations, batch_size=5000)

    mun_of_clinic = {c.pk: c.municipality_id for c in clinics}
    # 6. Roles: a coordinator from founding (a fifth handed over later), a board in half.
    roles: list[RoleAssignment] = []
    for ci, cluster in enumerate(clusters):
        pool, start = founding_doctors[ci], cluster.founded
        people = rng.sample(pool, min(len(pool), 6))
        # The coordinator practises in the cluster's municipality (its first practice
        # is there and founded it, so someone does).
        at_home = [d for d in pool if mun_of_clinic[d.clinic_id] == cluster.municipality_id]
        if mun_of_clinic[people[0].clinic_id] != cluster.municipality_id:
            chosen = at_home[rng.randrange(len(at_home))]
            if chosen in people:
                people.remove(chosen)
            people.insert(0, chosen)
            people = people[:6]
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
    if not english:
        _accreditations(clinics, memberships, seed=seed, today=today)

    summary.regions = len(regions)
    summary.municipalities = len(municipalities)
    summary.clinics = len(clinics)
    summary.doctors = len(doctors)
    summary.clusters = len(clusters)
    summary.unclustered_clinics = unclustered
    if with_users:
        summary.logins = _demo_users(clusters, roles, doctors_by_clinic, memberships, seed, today)
    audit_log(
        actor=None,
        action="registry.dataset.generated",
        data={"scale": scale_name, "seed": seed, "today": today.isoformat()},
    )
    return summary


def _demo_users(
    clusters, roles, doctors_by_clinic, memberships, seed: int, today: dt.date
) -> list[DemoLogin]:
    """One login per role. Passwords are hashed once and shared, with a salt from the
    seed so the same seed gives the same rows (demo only: the password is public)."""
    password = make_password(DEMO_PASSWORD, salt=f"klyngedemo{seed}")
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
    from klynge.registry import staff
    from klynge.registry.selectors import regions_on

    # A regional unit for each region since the clusters began, serving through dated
    # posts; when regions merge (Region Østdanmark from 1 January 2027) their staff move
    # to the successor on that day, as the reform's migration moves real staff.
    since = dt.date(FIRST_COUNT_YEAR, 1, 1)
    for region in regions_on(since):
        slug = region.short_name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
        email = f"region.{slug.replace(' ', '-')}@{DEMO_DOMAIN}"
        unit = "Kvalitetsenheden" if jurisdiction.active().code == "dk" else "Primary care team"
        staff_user = user(email, f"{unit}, {region.name}", region=region)
        staff.staff_post_start(actor=None, user=staff_user, region=region, start=since)
        serves = (
            region.successor if region.successor and region.end and region.end <= today else region
        )
        logins.append(DemoLogin("Regional kvalitetsenhed", email, DEMO_PASSWORD, serves.name))
    successors = Region.objects.filter(predecessors__isnull=False).distinct().order_by("code")
    for successor in successors:
        staff.staff_posts_move(actor=None, successor=successor)

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
    from klynge.registry.models import RegionalPost

    RegionalPost.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}").delete()
    User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").delete()
    Doctor.objects.filter(user__isnull=False).update(user=None)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')
    AuditEntry.objects.filter(scope__startswith="cluster:").delete()
