"""News (KNOW-3): who publishes to whom, who reads what, the Atom feed, the start page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.overview import overview_for
from klynge.registry.models import Region
from klynge.support import selectors, services
from klynge.support.models import NewsItem
from tests.world import build_world


@pytest.fixture
def w(db):
    return build_world()


def _titles(user) -> set[str]:
    return set(selectors.news_for(user=user).values_list("title", flat=True))


@pytest.fixture
def news(w):
    sec = w.users["secretariat"]
    sjaelland = Region.objects.get(code=1085)
    services.news_publish(actor=sec, title="Til alle", body="x", audience="public")
    services.news_publish(actor=sec, title="Til koordinatorer", body="x", audience="coordinators")
    services.news_publish(
        actor=sec, title="Til Sjælland", body="x", audience="region", region=sjaelland
    )
    return w


def test_who_reads_what(news):
    w = news
    everything = {"Til alle", "Til koordinatorer", "Til Sjælland"}
    assert _titles(None) == {"Til alle"}
    assert _titles(w.users["secretariat"]) == everything
    assert _titles(w.users["coordinator_a"]) == everything  # cluster A lies in Sjælland
    assert _titles(w.users["member_a"]) == {"Til alle", "Til Sjælland"}
    assert _titles(w.users["member_b"]) == {"Til alle"}  # Hillerød: Hovedstaden
    assert _titles(w.users["doctor_free"]) == {"Til alle"}  # in no cluster
    assert _titles(w.users["region_a"]) == everything
    assert _titles(w.users["region_other"]) == {"Til alle", "Til koordinatorer"}


def test_a_regional_unit_publishes_to_its_own_region_only(w):
    unit = w.users["region_other"]
    hovedstaden = Region.objects.get(code=1084)
    item = services.news_publish(
        actor=unit,
        title="Netværksmøde",
        body="x",
        audience="region",
        region=Region.objects.get(code=1085),  # tries another region
        staff_region=hovedstaden,
    )
    assert item.region == hovedstaden and item.publisher_region == hovedstaden
    with pytest.raises(DomainError, match="sekretariatet"):
        services.news_publish(
            actor=unit, title="x", body="x", audience="coordinators", staff_region=hovedstaden
        )
    with pytest.raises(DomainError):
        services.news_publish(actor=w.users["member_a"], title="x", body="x", audience="public")


def test_publish_through_the_page_and_read_it(w):
    client = Client()
    client.force_login(w.users["secretariat"])
    response = client.post(
        reverse("support:news.publish"),
        {
            "title": "Planlagte kurser for klyngekoordinatorer",
            "body": "Se kurser.",
            "audience": "public",
        },
    )
    assert response.status_code == 302
    item = NewsItem.objects.get()
    anonymous = Client()
    assert item.title in anonymous.get(reverse("support:news.list")).content.decode()
    assert anonymous.get(reverse("support:news.detail", args=[item.pk])).status_code == 200
    # An invalid form comes back with its errors.
    bad = client.post(reverse("support:news.publish"), {"title": "", "audience": "region"})
    assert bad.status_code == 400


def test_news_for_others_is_404_for_those_it_is_not_for(news):
    item = NewsItem.objects.get(title="Til Sjælland")
    client = Client()
    client.force_login(news.users["member_b"])
    assert client.get(reverse("support:news.detail", args=[item.pk])).status_code == 404


def test_the_feed_is_atom_with_public_news_only(news):
    response = Client().get(reverse("support:news.feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Til alle"]


def test_the_start_page_shows_the_newest_news(news):
    w = news
    for n in range(4):
        services.news_publish(
            actor=w.users["secretariat"], title=f"Nyhed {n}", body="x", audience="public"
        )
    sections = {s.key: s for s in overview_for(user=w.users["member_b"], on=today()).sections}
    block = sections["support.news"].blocks[0]
    assert [i.text for i in block.items] == ["Nyhed 3", "Nyhed 2", "Nyhed 1"]
    sections = {s.key: s for s in overview_for(user=w.users["member_a"], on=today()).sections}
    assert "Til Sjælland" not in [i.text for i in sections["support.news"].blocks[0].items]


def test_visitors_see_the_public_news_and_the_inquiry_form_on_the_front_page(news):
    page = Client().get(reverse("core:home")).content.decode()
    assert "Til alle" in page
    assert "Til koordinatorer" not in page and "Til Sjælland" not in page
    assert reverse("support:inquiry.new") in page
    from django.contrib.auth.models import AnonymousUser

    keys = [s.key for s in overview_for(user=AnonymousUser(), on=today()).sections]
    assert keys == ["support.news"]  # only sections that say they are public
