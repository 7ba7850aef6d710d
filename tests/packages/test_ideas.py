"""The idea bank: contributed, moderated by the secretariat before publishing, searchable
by theme and words, adopted by a cluster as its project with the idea's goal."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from klynge.core.errors import DomainError
from klynge.packages import ideas
from klynge.packages.models import IdeaStatus
from klynge.quality.models import Goal, Indicator
from tests.world import PASSWORD, build_world


@pytest.fixture
def world(db):
    return build_world()


def _submit(world, **extra):
    fields = dict(
        actor=world.users["member_a"],
        title="Færre CRP-målinger ved forkølelse",
        theme="CRP",
        problem="Mange CRP-målinger ændrer ikke behandlingen.",
        contributor="DSAM",
    )
    return ideas.idea_submit(**(fields | extra))


def test_moderated_before_publishing_and_searchable(world, client):
    idea = _submit(world)
    assert idea.status == IdeaStatus.SUBMITTED and idea.theme == "crp"
    assert not ideas.published_ideas().exists()
    with pytest.raises(DomainError, match="secretariat"):
        ideas.idea_publish(actor=world.users["region_a"], idea=idea)
    # Waiting: hidden from the public, shown to the sender and the secretariat.
    url = reverse("packages:idea.detail", args=[idea.pk])
    assert client.get(url).status_code == 404
    assert client.login(email=world.users["member_a"].email, password=PASSWORD)
    assert client.get(url).status_code == 200
    client.logout()
    ideas.idea_publish(actor=world.users["secretariat"], idea=idea)
    other = _submit(world, title="Polyfarmaci", theme="polyfarmaci", problem="For mange piller.")
    ideas.idea_reject(actor=world.users["secretariat"], idea=other, reason="Findes allerede.")
    assert list(ideas.published_ideas(theme="crp")) == [idea]
    assert list(ideas.published_ideas(query="forkølelse")) == [idea]
    assert not ideas.published_ideas(query="piller").exists()
    page = client.get(reverse("packages:idea.list") + "?q=forkølelse").content.decode()
    assert "Færre CRP-målinger ved forkølelse" in page
    with translation.override("en"), pytest.raises(DomainError, match="why"):
        ideas.idea_reject(actor=world.users["secretariat"], idea=_submit(world), reason=" ")


def test_a_cluster_adopts_an_idea_as_its_project_with_its_goal(world, client):
    crp = Indicator.objects.get(code="crp_tests")
    idea = _submit(world, goal_indicator=crp, goal_target=0.2, indicators=[crp])
    with pytest.raises(DomainError, match="published"):
        ideas.idea_adopt(actor=None, idea=idea, cluster=world.cluster_a)
    idea = ideas.idea_publish(actor=world.users["secretariat"], idea=idea)
    assert client.login(email="koordinator@a.test", password=PASSWORD)
    response = client.post(reverse("packages:idea.adopt", args=[world.cluster_a.slug, idea.pk]))
    assert response.status_code == 302
    goal = Goal.objects.get(cluster=world.cluster_a, indicator=crp)
    assert goal.target == 0.2 and idea.title in goal.note
    assert idea.adoptions.get().cluster == world.cluster_a
    with translation.override("en"), pytest.raises(DomainError, match="already"):
        ideas.idea_adopt(actor=None, idea=idea, cluster=world.cluster_a)
    assert Goal.objects.filter(cluster=world.cluster_a, indicator=crp).count() == 1
