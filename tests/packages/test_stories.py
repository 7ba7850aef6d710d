"""Good cluster stories (issue 13, item 6): drafted from the cluster's project with its
own anonymised run chart and before/after verdict, reviewed by the secretariat,
approved by the coordinator, the cluster's doctors told first by e-mail through the task
queue, public once its day has come and linked from the idea it came from."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.dataorders.workdays import add_working_days
from klynge.packages import ideas, stories
from klynge.packages.models import StoryNotice, StoryStatus
from klynge.quality import services as quality
from klynge.quality.models import Indicator
from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world


@pytest.fixture
def world(db):
    return build_world()


def _login(client, world, role):
    client.login(email=world.users[role].email, password=PASSWORD)


def _opioids():
    return Indicator.objects.get(code="opioids")


def _project(world):
    """Cluster A adopts an idea on opioids (its goal becomes the cluster's goal) and
    records an intervention in July 2024."""
    idea = ideas.idea_submit(
        actor=world.users["member_a"],
        title="Færre opioider",
        theme="opioider",
        problem="Mange langvarige opioidbehandlinger.",
        contributor="DSAM",
        goal_indicator=_opioids(),
        goal_target=0.04,
    )
    idea = ideas.idea_publish(actor=world.users["secretariat"], idea=idea)
    ideas.idea_adopt(actor=world.users["coordinator_a"], idea=idea, cluster=world.cluster_a)
    quality.intervention_add(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        indicator=_opioids(),
        date=dt.date(2024, 7, 1),
        text="Fælles seponeringsplan",
    )
    return idea


def _draft(world, idea=None, **extra):
    fields = dict(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        indicator=_opioids(),
        title="Sådan fik vi styr på opioiderne",
        body="Vi lavede en fælles plan for nedtrapning.",
        idea=idea,
    )
    return stories.story_draft(**(fields | extra))


def test_a_story_carries_the_clusters_anonymised_chart_and_verdict(world):
    idea = _project(world)
    story = _draft(world, idea=idea)
    assert story.status == StoryStatus.DRAFT
    assert story.first_month <= dt.date(2024, 1, 1) and story.last_month == dt.date(2024, 12, 1)
    values = [v for layer in story.chart["layer"] for v in layer.get("data", {}).get("values", [])]
    assert any(v.get("value") is not None for v in values)
    assert story.verdict  # the Anhøj verdict in words
    assert story.effects and "2024" in story.effects[0]  # before/after the intervention
    # Never identified data: no clinic, doctor or provider number anywhere in the chart.
    text = json.dumps(story.chart, ensure_ascii=False)
    for clinic in world.clinics_a:
        assert clinic.name not in text and clinic.provider_number not in text
    for doctor in Doctor.objects.filter(clinic__in=world.clinics_a):
        assert doctor.name not in text


def test_a_story_comes_from_the_clusters_own_project_and_data(world):
    with pytest.raises(DomainError, match="works on"):
        _draft(world)  # no project on opioids yet
    idea = _project(world)
    with pytest.raises(DomainError, match="not adopted"):
        _draft(world, cluster=world.cluster_b, idea=idea)
    crp = Indicator.objects.exclude(code="opioids").filter(active=True).first()
    quality.goal_set(
        actor=world.users["coordinator_a"], cluster=world.cluster_a, indicator=crp, target=0.1
    )
    with pytest.raises(DomainError, match="no data"):
        _draft(world, indicator=crp)


def test_review_approval_tells_the_doctors_first_then_the_public(
    world, client, django_capture_on_commit_callbacks
):
    idea = _project(world)
    story = _draft(world, idea=idea)
    url = reverse("packages:story.detail", args=[story.pk])
    assert client.get(url).status_code == 404  # a draft: not public
    _login(client, world, "member_a")
    assert client.get(url).status_code == 200  # the cluster's own doctors read it
    client.logout()
    _login(client, world, "secretariat")
    assert client.get(url).status_code == 404  # not sent yet

    # The requests above left the Danish interface active.
    with pytest.raises(DomainError, match="gennemlæser historien"):
        stories.story_approve(actor=world.users["coordinator_a"], story=story)
    stories.story_submit(actor=world.users["coordinator_a"], story=story)
    with pytest.raises(DomainError, match="sekretariatet"):
        stories.story_review(actor=world.users["region_a"], story=story)
    # The secretariat sends it back with a note, the cluster sends it again.
    response = client.post(reverse("packages:story.return", args=[story.pk]), {"note": ""})
    assert response.status_code == 400
    client.post(reverse("packages:story.return", args=[story.pk]), {"note": "Nævn perioden."})
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.review_note == "Nævn perioden."
    stories.story_submit(actor=world.users["coordinator_a"], story=story)
    client.post(reverse("packages:story.review", args=[story.pk]))
    story.refresh_from_db()
    assert story.status == StoryStatus.REVIEWED
    client.logout()

    # The coordinator approves: every doctor with an address is told, through the queue.
    day = today() - dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        story = stories.story_approve(actor=world.users["coordinator_a"], story=story, on=day)
    assert story.status == StoryStatus.PUBLISHED
    assert story.public_from == add_working_days(day, stories.NOTICE_WORKING_DAYS)
    expected = {a for a, _name in stories.notice_recipients(world.cluster_a, day)}
    assert {"koordinator@a.test", "laege@a.test"} <= expected
    notices = list(StoryNotice.objects.filter(story=story))
    assert {n.recipient for n in notices} == expected
    queued = [t for t in DBTaskResult.objects.all() if t.task_path.endswith("send_story_notice")]
    assert sorted(t.args_kwargs["args"][0] for t in queued) == sorted(n.pk for n in notices)
    assert stories.send_notice(notices[0].pk) == "sent"
    assert stories.send_notice(notices[0].pk) == "skipped"  # once
    (message,) = mail.outbox
    assert story.title in message.body and f"/historier/{story.pk}/" in message.body

    # Public now, and linked from the idea it came from.
    assert client.get(url).status_code == 200
    assert client.get(reverse("packages:story.list")).content.decode().count(story.title) == 1
    idea_page = client.get(reverse("packages:idea.detail", args=[idea.pk])).content.decode()
    assert url in idea_page


def test_not_public_before_its_day(world, client):
    story = _draft(world, idea=_project(world))
    stories.story_submit(actor=world.users["coordinator_a"], story=story)
    stories.story_review(actor=world.users["secretariat"], story=story)
    stories.story_approve(actor=world.users["coordinator_a"], story=story)
    story.refresh_from_db()
    assert story.public_from > today()
    url = reverse("packages:story.detail", args=[story.pk])
    assert client.get(url).status_code == 404
    assert story.title not in client.get(reverse("packages:story.list")).content.decode()
    _login(client, world, "member_a")
    assert client.get(url).status_code == 200


def test_the_cluster_drafts_in_the_browser_and_a_board_member_cannot(world, client):
    _project(world)
    page = reverse("packages:story.create_page", args=[world.cluster_a.slug])
    write = reverse("packages:story.create", args=[world.cluster_a.slug])
    _login(client, world, "board_a")
    assert client.get(page).status_code == 404
    client.logout()
    _login(client, world, "coordinator_a")
    assert client.get(page).status_code == 200
    response = client.post(
        write, {"title": "Vores historie", "body": "Det gik godt.", "indicator": _opioids().pk}
    )
    assert response.status_code == 302
    story = world.cluster_a.stories.get()
    detail = client.get(response["Location"]).content.decode()
    assert 'data-vega-spec="story-chart"' in detail and story.verdict in detail
    edit = reverse("packages:story.update", args=[story.pk])
    assert (
        client.post(edit, {"title": "", "body": "x", "indicator": _opioids().pk}).status_code == 400
    )
    client.post(edit, {"title": "Ny titel", "body": "x", "indicator": _opioids().pk})
    story.refresh_from_db()
    assert story.title == "Ny titel"
    client.post(reverse("packages:story.submit", args=[story.pk]))
    story.refresh_from_db()
    assert story.status == StoryStatus.SUBMITTED
    assert client.get(reverse("packages:story.edit", args=[story.pk])).status_code == 404
