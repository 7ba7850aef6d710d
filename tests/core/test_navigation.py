"""Navigation shows a role only the links it may use: every link in the site header
and the cluster's navigation opens for the role that sees it (no 403, no 404), and
the books, registration and change log are linked only for those allowed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.matrix_common import ROLES
from tests.world import World, build_world

NAV = re.compile(r"<nav\b.*?</nav>", re.S)
HREF = re.compile(r'<a [^>]*href="(/[^"]*)"')


@pytest.fixture
def world(db) -> World:
    return build_world()


def nav_links(html: str) -> list[str]:
    return [href for nav in NAV.findall(html) for href in HREF.findall(nav)]


@pytest.mark.parametrize("role", ROLES)
def test_every_link_shown_opens(world, client, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    page = client.get(reverse("registry:cluster.detail", args=[world.cluster_a.slug]))
    assert page.status_code == 200
    refused = {}
    for href in nav_links(page.content.decode()):
        status = client.get(href).status_code
        if status in (403, 404, 405) or (user is not None and status == 302):
            refused[href] = status
    assert refused == {}, f"{role} is shown links it cannot use"


def test_member_sees_no_books_registration_or_history(world, client):
    client.force_login(world.users["member_a"])
    html = client.get(reverse("registry:cluster.detail", args=[world.cluster_a.slug])).content
    slug = world.cluster_a.slug
    for name in ("finance:books", "registry:cluster.registration", "registry:cluster.history"):
        assert f'href="{reverse(name, args=[slug])}"'.encode() not in html, name


def test_coordinator_sees_books_registration_and_history(world, client):
    client.force_login(world.users["coordinator_a"])
    html = client.get(reverse("registry:cluster.detail", args=[world.cluster_a.slug])).content
    slug = world.cluster_a.slug
    for name in ("finance:books", "registry:cluster.registration", "registry:cluster.history"):
        assert f'href="{reverse(name, args=[slug])}"'.encode() in html, name
