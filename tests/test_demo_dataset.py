"""The synthetic national dataset (PRODUCT.md section 3) through its commands:
`generate_dataset --scale denmark --seed 1`, then `export_register` as CSV.

Generating takes a second or two, so the module builds it once inside a transaction
that is rolled back at the end (no test on this worker ever sees it committed). Each
test runs in a savepoint inside that transaction, as pytest-django's `db` fixture
nests. The `xdist_group` is meant to keep the module on one worker; with pytest 9.2
and pytest-xdist 3.8 loadgroup ignores it (pytest-xdist#1386), so each of the two
workers may build it once. Nothing here depends on which worker runs which test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics

import pytest
from django.core.management import call_command
from django.db.models import Count

from klynge.accounts.models import User
from klynge.core.dates import today
from klynge.core.permissions import Role, roles_for
from klynge.demo import dataset
from klynge.registry import selectors
from klynge.registry.models import (
    Clinic,
    Cluster,
    Doctor,
    Membership,
    Municipality,
    PostalCode,
    Region,
    RoleAssignment,
    RoleKind,
)
from tests.factories import rolled_back_dataset

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("registry-dataset")]

ON = dt.date.today().isoformat()  # the register as the dataset describes it (placed today)
DEMO = dataset.DEMO_DOMAIN


def export_csv(path) -> bytes:
    call_command(
        "export_register",
        "--format",
        "csv",
        "--output",
        str(path),
        "--date",
        ON,
        stderr=io.StringIO(),
    )
    return path.read_bytes()


def generate(*args: str) -> None:
    call_command(
        "generate_dataset", "--scale", "denmark", "--no-indicators", *args, stdout=io.StringIO()
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def denmark(django_db_setup, django_db_blocker, tmp_path_factory, media):
    """The seed-1 register's CSV export; the register is rolled back after the module."""
    with rolled_back_dataset(django_db_blocker, media, "--seed", "1"):
        yield export_csv(tmp_path_factory.mktemp("export") / "klynger.csv")


@pytest.fixture
def rows(denmark) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(denmark.decode("utf-8"))))


def column(rows, name) -> list[int]:
    return [int(r[name]) for r in rows]


# --- The export's shape --------------------------------------------------------------------------


def test_header_has_the_register_columns(denmark):
    header = denmark.decode("utf-8").splitlines()[0].split(",")
    for name in [
        "cluster",
        "region",
        "municipality",
        "provider_numbers",
        "doctors",
        "listed_patients",
        "founded",
    ]:
        assert name in header


def test_exactly_114_clusters(rows):
    assert len(rows) == 114
    assert len({r["cluster"] for r in rows}) == 114
    assert [r["cluster"] for r in rows] == sorted(r["cluster"] for r in rows)


def test_regions_and_municipalities_are_real(rows):
    regions = set(Region.objects.values_list("name", flat=True))
    municipalities = set(Municipality.objects.values_list("name", flat=True))
    assert {r["region"] for r in rows} <= regions
    assert len({r["region"] for r in rows}) == 5
    assert {r["municipality"] for r in rows} <= municipalities


def test_founded_is_an_iso_date_in_the_founding_years(rows):
    for row in rows:
        founded = dt.date.fromisoformat(row["founded"])
        assert row["founded"] == founded.isoformat()
        assert dt.date(2017, 9, 1) <= founded <= dt.date(2019, 10, 31)
        assert dt.date.fromisoformat(row["registered"]) > founded


# --- Sizes like Denmark's (mean 29 doctors / 48,000 patients) -------------------------------------


def test_doctors_per_cluster(rows):
    doctors = column(rows, "doctors")
    assert statistics.mean(doctors) == 29
    assert (min(doctors), max(doctors)) == (10, 73)
    assert sum(doctors) == 114 * 29


def test_listed_patients_per_cluster(rows):
    patients = column(rows, "listed_patients")
    assert statistics.mean(patients) == pytest.approx(48_000, rel=0.01)
    assert min(patients) == pytest.approx(17_000, rel=0.03)
    assert max(patients) == pytest.approx(110_000, rel=0.03)
    smallest = min(rows, key=lambda r: int(r["doctors"]))
    largest = max(rows, key=lambda r: int(r["doctors"]))
    assert int(smallest["listed_patients"]) == pytest.approx(17_000, rel=0.03)
    assert int(largest["listed_patients"]) == pytest.approx(110_000, rel=0.03)


def test_clinic_and_doctor_totals(rows):
    clinics, doctors = Clinic.objects.count(), Doctor.objects.count()
    assert 1_650 <= clinics <= 1_850
    assert 3_200 <= doctors <= 3_450
    assert sum(column(rows, "provider_numbers")) <= clinics
    assert all(n >= 1 for n in column(rows, "provider_numbers"))


def test_about_two_percent_of_clinics_in_no_cluster(denmark):
    cov = selectors.coverage(on=dt.date.fromisoformat(ON))
    unclustered = cov.national.clinics - cov.national.clinics_in_cluster
    assert unclustered == len(cov.unclustered)
    assert 0.015 <= unclustered / cov.national.clinics <= 0.025
    assert 0.97 <= cov.national.doctor_share <= 0.99


def test_every_municipality_has_a_clinic(denmark):
    assert Municipality.objects.count() == 98
    assert Municipality.objects.filter(clinics__isnull=True).count() == 0
    assert Clinic.objects.values("municipality").distinct().count() == 98


def test_clinics_are_valid_register_entries(denmark):
    numbers = list(Clinic.objects.values_list("provider_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 6 and n.isascii() and n.isdigit() for n in numbers)
    assert not Clinic.objects.filter(latitude__isnull=True).exists()
    areas = set(PostalCode.objects.values_list("code_from", "municipality_id"))
    for postal_code, mun in Clinic.objects.values_list("postal_code", "municipality_id"):
        assert len(postal_code) == 4
        assert (int(postal_code), mun) in areas


def test_demo_documents_are_pdfs_in_storage(denmark, media):
    from klynge.governance.models import Statutes

    clusters = list(Cluster.objects.order_by("id"))
    statutes = {s.cluster_id: s.file for s in Statutes.objects.all()}  # governance's, one each
    for cluster in clusters:
        for document in (statutes[cluster.pk], cluster.founding_minutes):
            path = media / document.name
            assert path.read_bytes().startswith(b"%PDF-1.4"), document.name
    assert len(list((media / "clusters").rglob("*.pdf"))) == 2 * len(clusters) == 228


# --- History and roles ---------------------------------------------------------------------------


def test_every_cluster_has_exactly_one_coordinator_today(denmark):
    on = today()
    clusters = list(Cluster.objects.active_on(on))
    assert len(clusters) == 114
    for cluster in clusters:
        coordinators = selectors.cluster_roles_on(cluster=cluster, on=on).filter(
            role=RoleKind.COORDINATOR
        )
        assert coordinators.count() == 1, cluster.name
        coordinator = coordinators.get().doctor
        participating = selectors.cluster_participations_on(cluster=cluster, on=on)
        assert participating.filter(doctor=coordinator).exists(), cluster.name


def test_the_register_has_a_history(denmark):
    # Some clinics moved or left, some coordinators handed over: all before the date.
    ended = Membership.objects.filter(end__isnull=False)
    assert ended.count() > 0
    assert ended.filter(end__lte=dt.date.fromisoformat(ON)).count() == ended.count()
    handovers = RoleAssignment.objects.filter(role=RoleKind.COORDINATOR, end__isnull=False)
    assert handovers.count() > 0
    for term in handovers[:20]:  # each ended term is followed by a successor that day
        assert RoleAssignment.objects.filter(
            cluster=term.cluster, role=RoleKind.COORDINATOR, start=term.end
        ).exists()


# --- Demo users ----------------------------------------------------------------------------------


def demo_logins():
    """The register's demo logins (other apps' demo data may add users of the domain)."""
    return User.objects.filter(
        email__regex=r"^(sekretariat|region\.[a-z]+|koordinator|kasserer|laege2?)@",
        email__endswith=f"@{DEMO}",
    )


def demo_user(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO}")


def test_demo_users_for_every_role(denmark):
    secretariat = demo_user("sekretariat")
    assert secretariat.is_secretariat and secretariat.check_password(dataset.DEMO_PASSWORD)
    region_users = User.objects.filter(email__endswith=f"@{DEMO}", region__isnull=False)
    assert sorted(u.region_id for u in region_users) == [1081, 1082, 1083, 1084, 1085]

    coordinator, treasurer, member, other = (
        demo_user(x) for x in ["koordinator", "kasserer", "laege", "laege2"]
    )
    on = today()
    (demo,) = selectors.user_clusters(user=coordinator, on=on)
    assert selectors.cluster_coordinator_on(cluster=demo, on=on) == coordinator.doctor
    assert set(selectors.user_clusters(user=treasurer, on=on)) == {demo}
    assert set(selectors.user_clusters(user=member, on=on)) == {demo}
    (other_cluster,) = selectors.user_clusters(user=other, on=on)
    assert other_cluster != demo
    assert other_cluster.municipality.region_id != demo.municipality.region_id

    assert Role.COORDINATOR in roles_for(coordinator, demo)
    assert Role.BOARD in roles_for(treasurer, demo)
    assert (
        selectors.cluster_roles_on(cluster=demo, on=on)
        .filter(role=RoleKind.TREASURER, doctor=treasurer.doctor)
        .exists()
    )
    member_roles = roles_for(member, demo)
    assert Role.MEMBER in member_roles
    assert not member_roles & {Role.COORDINATOR, Role.BOARD}
    assert Role.MEMBER not in roles_for(other, demo)
    assert Role.REGION in roles_for(
        User.objects.get(email__endswith=f"@{DEMO}", region=demo.municipality.region), demo
    )
    assert Role.SECRETARIAT in roles_for(secretariat, demo)


# --- Determinism ---------------------------------------------------------------------------------


def test_same_seed_with_replace_gives_a_byte_identical_export(denmark, tmp_path):
    generate("--seed", "1", "--replace")
    assert export_csv(tmp_path / "again.csv") == denmark
    assert demo_logins().count() == 10


def test_another_seed_gives_another_register(denmark, tmp_path):
    generate("--seed", "2", "--replace", "--no-users")
    other = export_csv(tmp_path / "seed2.csv")
    assert other != denmark
    assert len(other.decode("utf-8").splitlines()) == 115
    assert not demo_logins().exists()


# --- A coherent synthetic Denmark (issue 12 part 3) ----------------------------------------------


def _members_today():
    return list(
        Membership.objects.active_on(dt.date.fromisoformat(ON)).select_related(
            "clinic", "cluster__municipality"
        )
    )


def test_member_clinics_lie_in_or_next_to_their_clusters_municipality(denmark):
    neighbours = dataset.load_neighbours()
    members = _members_today()
    near = [
        m
        for m in members
        if m.clinic.municipality_id == m.cluster.municipality_id
        or m.clinic.municipality_id in neighbours.get(m.cluster.municipality_id, ())
    ]
    # Measured for seed 1: every member clinic (1.000); 87 % in the home municipality.
    assert len(near) / len(members) >= 0.98


def test_every_coordinator_practises_in_the_clusters_municipality(denmark):
    on = dt.date.fromisoformat(ON)
    coordinators = RoleAssignment.objects.active_on(on).filter(role=RoleKind.COORDINATOR)
    outside = [
        r.cluster.name
        for r in coordinators.select_related("doctor__clinic", "cluster")
        if r.doctor.clinic.municipality_id != r.cluster.municipality_id
    ]
    assert coordinators.count() == 114
    assert outside == []


def test_bornholms_cluster_is_on_bornholm(denmark):
    bornholm = Municipality.objects.get(name="Bornholm")
    (cluster,) = Cluster.objects.filter(municipality=bornholm)
    members = [m for m in _members_today() if m.cluster_id == cluster.pk]
    assert members and all(m.clinic.municipality_id == bornholm.pk for m in members)
    # and no Bornholm clinic is in a cluster anywhere else
    assert all(
        m.cluster_id == cluster.pk for m in _members_today() if m.clinic.municipality_id == 400
    )


def test_neighbours_are_symmetric_and_only_bornholm_is_alone():
    neighbours = dataset.load_neighbours()
    codes = set(Municipality.objects.values_list("code", flat=True))
    assert len(codes) == 98 and set(neighbours) == codes - {400}
    assert {c for c in codes if not neighbours.get(c)} == {400}
    for a, others in neighbours.items():
        assert a not in others
        assert all(a in neighbours[b] for b in others)
    assert 727 in neighbours[741] and 813 in neighbours[825]  # Samsø-Odder, Læsø-Frederikshavn


def test_doctors_follow_population(denmark):
    doctors = dict(Doctor.objects.values_list("clinic__municipality").annotate(n=Count("id")))
    per_thousand = {
        code: doctors.get(code, 0) / (population / 1000)
        for code, population in dataset.load_population().items()
        if population >= 20_000  # small numbers vary more
    }
    median = statistics.median(per_thousand.values())
    assert all(0.5 * median <= r <= 2 * median for r in per_thousand.values()), per_thousand
    assert doctors[101] > 10 * doctors[161]  # København, Glostrup
