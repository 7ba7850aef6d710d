"""The regional unit's payment run (FIN-2): only due grants are offered, the payment
list carries CVR, registration and account number and a reference in Danish Excel's
CSV, and the run is recorded as paid on the bank's date in one step, each payout once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.finance import runs, selectors, services
from klynge.finance.models import PaymentRun, PaymentRunLine, Payout
from klynge.registry.models import Cluster, Region
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
YEAR = 2024
SJAELLAND = 1085


@pytest.fixture
def world(db):
    world = build_world()
    # A's grant is due (registration complete in 2019); B's registration is not complete.
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    world.cluster_a.refresh_from_db()
    return world


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def _grant_a() -> Decimal:
    return selectors.grant_rows(year=YEAR, only=Cluster.objects.get(name="Køgeklyngen"))[0].due


def test_only_grants_due_today_are_offered(world):
    sjaelland = Region.objects.get(code=SJAELLAND)
    offered = runs.payable(year=YEAR, region=sjaelland.pk, on=today())
    assert [p.cluster.name for p in offered] == ["Køgeklyngen"]
    assert offered[0].amount == _grant_a() > 0
    # Next year's grant falls due on 1 January: nothing is offered before then.
    assert runs.payable(year=YEAR, region=sjaelland.pk, on=dt.date(YEAR - 1, 12, 31)) == []
    # A registration completed today is due from the next turn of the month.
    Cluster.objects.filter(pk=world.cluster_a.pk).update(registration_completed=today())
    first_day = today().replace(day=1)
    assert runs.payable(year=today().year, region=sjaelland.pk, on=first_day) == []


def test_the_grants_page_offers_no_grant_that_is_not_yet_due(world, client):
    """The page used to put a "paid today" button on every row with money left, due or
    not: next year's grants were offered too."""
    login(client, "region@sjaelland.test")
    page = client.get(reverse("finance:grants") + f"?aar={today().year + 1}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="clusters"' not in html
    assert 'name="paid_on"' not in html
    now = client.get(reverse("finance:grants") + f"?aar={YEAR}").content.decode()
    assert f'name="clusters" value="{world.cluster_a.pk}"' in now
    assert f'name="clusters" value="{world.cluster_b.pk}"' not in now


def test_the_paid_column_is_not_labelled_as_to_be_paid(world, client):
    """The paid column's header read "Udbetales" (is to be paid)."""
    login(client, "region@sjaelland.test")
    html = client.get(reverse("finance:grants") + f"?aar={YEAR}").content.decode()
    assert "Udbetales" not in html


def test_a_run_exports_the_payment_list_and_is_recorded_on_the_banks_date_once(world, client):
    login(client, "region@sjaelland.test")
    due = _grant_a()
    response = client.post(
        reverse("finance:run.create") + f"?aar={YEAR}",
        {"year": YEAR, "clusters": [world.cluster_a.pk]},
    )
    assert response.status_code == 302
    run = PaymentRun.objects.get()
    assert run.region.code == SJAELLAND and run.paid_on is None
    line = run.lines.get()
    assert (line.cluster, line.amount) == (world.cluster_a, due)
    assert response["Location"] == reverse("finance:run", args=[run.pk])

    csv = client.get(reverse("finance:run.csv", args=[run.pk]))
    assert csv.status_code == 200
    body = csv.content
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with the byte-order mark
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    cells = lines[1].split(";")
    assert cells[:4] == ["Køgeklyngen", "13585628", "1234", "1234567890"]
    assert cells[4] == format(due, "f").replace(".", ",")  # decimal comma
    assert cells[5] == line.reference and cells[6] == str(YEAR)

    # The cluster is in an open run: not offered again, not in a second run.
    assert runs.payable(year=YEAR, region=run.region_id, on=today()) == []
    again = client.post(
        reverse("finance:run.create") + f"?aar={YEAR}",
        {"year": YEAR, "clusters": [world.cluster_a.pk]},
    )
    assert again.status_code == 400
    assert PaymentRun.objects.count() == 1

    # Recorded on the day the bank paid, not today; a second recording pays nothing.
    record = reverse("finance:run.record", args=[run.pk])
    assert client.post(record, {"paid_on": "05-02-2024"}).status_code == 302
    assert client.post(record, {"paid_on": "06-02-2024"}).status_code == 302
    payout = Payout.objects.get()
    assert (payout.paid_on, payout.amount, payout.cluster) == (
        dt.date(2024, 2, 5),
        due,
        world.cluster_a,
    )
    run.refresh_from_db()
    assert run.paid_on == dt.date(2024, 2, 5)
    assert PaymentRunLine.objects.get().payout == payout
    assert payout.booking.date == dt.date(2024, 2, 5)  # booked as income that day
    assert runs.payable(year=YEAR, region=run.region_id, on=today()) == []  # paid in full


def test_recording_is_all_or_nothing(world):
    """A line that can no longer be paid (paid by hand meanwhile) stops the whole run."""
    secretariat = world.users["secretariat"]
    Cluster.objects.filter(pk=world.cluster_b.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    run = runs.payment_run_create(
        actor=secretariat,
        year=YEAR,
        region=None,
        clusters=[world.cluster_a.pk, world.cluster_b.pk],
    )
    assert run.lines.count() == 2
    b_line = run.lines.get(cluster=world.cluster_b)
    services.payout_record(
        actor=None,
        cluster=world.cluster_b,
        year=YEAR,
        amount=b_line.amount,
        paid_on=dt.date(2024, 1, 10),
    )
    with pytest.raises(DomainError, match="Hillerødklyngen"):
        runs.payment_run_record(actor=secretariat, run=run, paid_on=dt.date(2024, 2, 5))
    assert Payout.objects.count() == 1  # only the hand payment; nothing of the run
    run.refresh_from_db()
    assert run.paid_on is None


def test_a_future_payment_date_is_refused(world):
    run = runs.payment_run_create(
        actor=world.users["secretariat"], year=YEAR, region=None, clusters=[world.cluster_a.pk]
    )
    with pytest.raises(DomainError):
        runs.payment_run_record(
            actor=world.users["secretariat"], run=run, paid_on=today() + dt.timedelta(days=1)
        )
    assert not Payout.objects.exists()


def test_a_unit_pays_only_its_own_region_and_sees_only_its_runs(world, client):
    other = world.users["region_other"]
    with pytest.raises(DomainError):
        runs.payment_run_create(
            actor=other,
            year=YEAR,
            region=Region.objects.get(code=1084),
            clusters=[world.cluster_a.pk],
        )
    with pytest.raises(DomainError):  # claiming another region's scope
        runs.payment_run_create(
            actor=other,
            year=YEAR,
            region=Region.objects.get(code=SJAELLAND),
            clusters=[world.cluster_a.pk],
        )
    run = runs.payment_run_create(
        actor=world.users["region_a"],
        year=YEAR,
        region=Region.objects.get(code=SJAELLAND),
        clusters=[world.cluster_a.pk],
    )
    login(client, "region@hovedstaden.test")
    assert client.get(reverse("finance:run", args=[run.pk])).status_code == 404
    assert client.get(reverse("finance:run.csv", args=[run.pk])).status_code == 404
    assert (
        client.post(
            reverse("finance:run.record", args=[run.pk]), {"paid_on": "05-02-2024"}
        ).status_code
        == 404
    )
    assert not Payout.objects.exists()


def test_a_cluster_without_a_bank_account_cannot_be_put_in_a_run(world):
    Cluster.objects.filter(pk=world.cluster_a.pk).update(bank_account="")
    with pytest.raises(DomainError, match="ingen bankkonto"):
        runs.payment_run_create(
            actor=world.users["secretariat"], year=YEAR, region=None, clusters=[world.cluster_a.pk]
        )
    assert not PaymentRun.objects.exists()


def test_a_discarded_run_frees_its_clusters(world):
    run = runs.payment_run_create(
        actor=world.users["secretariat"], year=YEAR, region=None, clusters=[world.cluster_a.pk]
    )
    runs.payment_run_discard(actor=world.users["secretariat"], run=run)
    assert not PaymentRun.objects.exists()
    assert [p.cluster for p in runs.payable(year=YEAR, region=None, on=today())] == [
        world.cluster_a
    ]


def test_the_grants_page_shows_paid_returned_and_still_due_per_cluster(world, client):
    due = _grant_a()
    services.payout_record(
        actor=None,
        cluster=world.cluster_a,
        year=YEAR,
        amount=Decimal("1000.00"),
        paid_on=dt.date(2024, 1, 10),
    )
    login(client, "sekretariat@kiap.test")
    page = client.get(reverse("finance:grants") + f"?aar={YEAR}")
    rows = {row.cluster.name: row for row, _due_on in page.context["rows"]}
    assert rows["Køgeklyngen"].paid == Decimal("1000.00")
    assert rows["Køgeklyngen"].due == due - Decimal("1000.00")
    html = page.content.decode()
    assert 'data-testid="still-due"' in html and 'data-testid="returned"' in html
    # The run offers what is still due, not the whole grant.
    offered = {p.cluster.name: p.amount for p in runs.payable(year=YEAR, region=None, on=today())}
    assert offered["Køgeklyngen"] == due - Decimal("1000.00")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submits_at_once_record_the_run_once_and_neither_fails():
    """A double click on "record as paid": two requests at the same moment. The first
    claims the run with a write, the second waits for it and finds the run recorded —
    on SQLite too, which has no row locks (the browser test ended in a 500 there).

    Serialized rollback, like every transactional test outside the browser tests: a
    plain one's flush re-creates the content types under new keys, and the next
    serialized test could not put its rows back (IntegrityError at its setup)."""
    import threading

    from django.db import connection, connections

    from klynge.finance.models import GrantScheme
    from klynge.finance.schemes import ensure_default_scheme

    world = build_world()
    ensure_default_scheme(GrantScheme)  # an earlier transactional test may have flushed it
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    secretariat = world.users["secretariat"]
    run = runs.payment_run_create(
        actor=secretariat, year=YEAR, region=None, clusters=[world.cluster_a.pk]
    )
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.skip("an in-memory SQLite database is not shared between threads' connections")
    start = threading.Barrier(2)
    results, errors = [], []

    def submit() -> None:
        try:
            start.wait()
            results.append(
                runs.payment_run_record(actor=secretariat, run=run, paid_on=dt.date(2024, 2, 5))
            )
        except Exception as error:  # any failure is the finding
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(r.already for r in results) == [False, True]
    assert Payout.objects.filter(cluster=world.cluster_a).count() == 1
