"""The meeting pack (MEET-7): the PDF and the presentation show the agenda, the open
actions and the chosen indicators' charts, anonymised whatever the cluster's setting."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zoneinfo

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from klynge.meetings import pack, services
from klynge.quality import selectors as quality
from klynge.quality.models import ClusterDataSettings, Indicator, Presentation
from tests.world import PASSWORD, World, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
ACTION = "Undersøg opioidrecepter til nye patienter"


@pytest.fixture
def world(db) -> World:
    w = build_world()
    # Open presentation on the cluster's own pages: the pack must still use pseudonyms.
    ClusterDataSettings.objects.create(cluster=w.cluster_a, presentation=Presentation.OPEN)
    return w


@pytest.fixture
def meeting(world):
    coordinator = world.users["coordinator_a"]
    earlier = services.meeting_create(
        actor=coordinator,
        cluster=world.cluster_a,
        title="Efterårsmødet",
        template="ordinary",
        starts=dt.datetime(2024, 11, 5, 17, 0, tzinfo=CPH),
    )
    services.action_add(actor=coordinator, meeting=earlier, text=ACTION)
    return services.meeting_create(
        actor=coordinator,
        cluster=world.cluster_a,
        title="Opioider i almen praksis",
        template="ordinary",
        indicators=[Indicator.objects.get(code="opioids")],
        starts=dt.datetime(2025, 2, 4, 17, 0, tzinfo=CPH),
    )


def _clinic_names(world: World) -> list[str]:
    return [c.name for c in world.clinics_a]


def _anonymised() -> str:
    """The Danish badge ("Anonymiseret" once the catalogue has it)."""
    with translation.override("da"):
        return translation.gettext("Anonymised")


def _login(client, world: World, role: str) -> None:
    assert client.login(email=world.users[role].email, password=PASSWORD)


def test_chart_svgs_one_anonymised_svg_per_indicator(world, meeting):
    svgs = pack.chart_svgs(meeting)
    assert [i.code for i, _svg in svgs] == ["opioids"]
    for _indicator, svg in svgs:
        assert svg.startswith("<svg")
        for name in _clinic_names(world):
            assert name not in svg


def test_funnel_points_are_pseudonyms_with_no_own_clinic(world, meeting):
    (slide,) = pack.indicator_slides(meeting)
    labels = {p.label for p in slide.bench.points}
    assert labels and not labels & set(_clinic_names(world))
    assert not any(p.own for p in slide.bench.points)
    assert slide.bench.presentation == Presentation.ANONYMISED
    assert slide.verdict
    # The cluster's own pages name the clinics: the pack overrides that.
    named = quality.benchmark(
        viewer=None, cluster=world.cluster_a, indicator=slide.indicator, last=slide.last
    )
    assert {p.label for p in named.points} == set(_clinic_names(world))


def test_meeting_pack_pdf(world, meeting, client):
    _login(client, world, "member_a")
    response = client.get(reverse("meetings:pack", args=[world.cluster_a.slug, meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'filename="moedepakke-{world.cluster_a.slug}-2025-02-04.pdf"'
        in response["Content-Disposition"]
    )
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    flat = " ".join(text.split())
    for item in meeting.items.all():
        assert item.title in flat
    assert ACTION in flat
    assert "Opioider i almen praksis" in flat
    assert Indicator.objects.get(code="opioids").title_da in flat
    assert _anonymised() in flat
    for name in _clinic_names(world):
        assert name not in flat


def test_presentation(world, meeting, client):
    _login(client, world, "member_a")
    response = client.get(
        reverse("meetings:presentation", args=[world.cluster_a.slug, meeting.pk]),
        HTTP_ACCEPT_LANGUAGE="da",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="slide') >= 5  # title, agenda, one indicator, actions, end
    assert "<svg" in html
    assert _anonymised() in html
    assert ACTION in html
    assert "meetings/presentation.js" in html
    assert finders.find("meetings/presentation.js") and finders.find("meetings/presentation.css")
    for item in meeting.items.all():
        assert item.title in html
    for name in _clinic_names(world):
        assert name not in html


def test_other_clusters_member_gets_404(world, meeting, client):
    _login(client, world, "member_b")
    for name in ("meetings:pack", "meetings:presentation"):
        url = reverse(name, args=[world.cluster_a.slug, meeting.pk])
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_log_in(world, meeting, client):
    url = reverse("meetings:presentation", args=[world.cluster_a.slug, meeting.pk])
    assert client.get(url).status_code == 302


def test_indicator_without_data_has_no_chart(world, client):
    indicator = Indicator.objects.exclude(code="opioids").first()
    meeting = services.meeting_create(
        actor=None, cluster=world.cluster_a, title="Uden data", indicators=[indicator]
    )
    assert pack.chart_svgs(meeting) == [(indicator, "")]
    assert pack.pack_pdf(meeting).startswith(b"%PDF")


def test_a_repeat_download_is_not_printed_again_but_any_change_is(world, meeting, monkeypatch):
    """The pack is kept by its content: the second download of an unchanged pack skips
    printing (and drawing); a revoked consent or an action done prints anew, so a cached
    pack never shows what is no longer true."""
    from django.core.cache import cache

    from klynge.quality import services as quality_services

    cache.clear()
    printed = []
    real = pack.render_pdf
    monkeypatch.setattr(
        pack, "render_pdf", lambda html, **kw: printed.append(1) or real(html, **kw)
    )
    first = pack.pack_pdf(meeting)
    assert pack.pack_pdf(meeting) == first and len(printed) == 1

    quality_services.consent_revoke(
        actor=None, clinic=world.clinics_a[1], cluster=world.cluster_a, end=dt.date(2025, 1, 20)
    )
    revoked = pack.pack_pdf(meeting)
    assert len(printed) == 2 and revoked != first

    action = meeting.cluster.meetings.get(title="Efterårsmødet").actions.get()
    services.action_set_status(actor=world.users["coordinator_a"], action=action, status="done")
    assert pack.pack_pdf(meeting) != revoked and len(printed) == 3
