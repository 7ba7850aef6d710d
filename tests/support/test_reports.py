"""Activity reports (OK22): a cluster sends its year's report with one click; the
secretariat (a unit, for its region) sees who has and who has not — hand counts on the
small world: Køgeklyngen (Region Sjælland) and Hillerødklyngen (Region Hovedstaden)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from klynge.support.models import ReportSubmission
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
YEAR = 2024


@pytest.fixture
def world(db):
    return build_world()


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def test_one_click_sends_the_report_and_the_page_says_so(world, client):
    login(client, "koordinator@a.test")
    page = reverse("meetings:activity_report", args=[world.cluster_a.slug]) + f"?aar={YEAR}"
    submit = reverse("support:report.submit", args=[world.cluster_a.slug, YEAR])
    assert f'action="{submit}"' in client.get(page).content.decode()
    response = client.post(submit)
    assert response.status_code == 302 and response["Location"] == page
    sent = ReportSubmission.objects.get()
    assert (sent.cluster, sent.year) == (world.cluster_a, YEAR)
    assert sent.summary["meetings"] == 0 and sent.summary["decisions"] == 0
    assert 'data-testid="report-sent"' in client.get(page).content.decode()
    client.post(submit)  # again: replaced, still one
    assert ReportSubmission.objects.count() == 1


def test_a_member_cannot_send_and_sees_no_button(world, client):
    login(client, "laege@a.test")
    submit = reverse("support:report.submit", args=[world.cluster_a.slug, YEAR])
    assert client.post(submit).status_code == 404
    assert not ReportSubmission.objects.exists()


def test_a_future_year_cannot_be_sent(world, client):
    from django.utils import timezone

    login(client, "koordinator@a.test")
    future = timezone.localdate().year + 1
    client.post(reverse("support:report.submit", args=[world.cluster_a.slug, future]))
    assert not ReportSubmission.objects.exists()


def test_the_secretariat_sees_received_and_missing(world, client):
    login(client, "koordinator@a.test")
    client.post(reverse("support:report.submit", args=[world.cluster_a.slug, YEAR]))
    client.logout()

    login(client, "sekretariat@kiap.test")
    page = client.get(reverse("support:reports") + f"?aar={YEAR}")
    assert (page.context["received"], page.context["missing"]) == (1, 1)
    assert [(r.cluster.name, r.received) for r in page.context["rows"]] == [
        ("Hillerødklyngen", False),  # the missing first
        ("Køgeklyngen", True),
    ]
    csv = client.get(reverse("support:reports.csv") + f"?aar={YEAR}").content.decode("utf-8-sig")
    lines = csv.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("Hillerødklyngen;2024;0;")
    assert lines[2].startswith("Køgeklyngen;2024;1;")
    client.logout()

    login(client, "region@hovedstaden.test")  # a unit sees its own region's clusters
    page = client.get(reverse("support:reports") + f"?aar={YEAR}")
    assert [(r.cluster.name, r.received) for r in page.context["rows"]] == [
        ("Hillerødklyngen", False)
    ]
    assert (page.context["received"], page.context["missing"]) == (0, 1)
