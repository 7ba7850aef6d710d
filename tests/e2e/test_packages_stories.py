"""A good cluster story in a real browser (issue 13, item 6): Køgeklyngen, which adopted
an idea on opioids, drafts a story with its own anonymised run chart; the secretariat
reviews it; the coordinator approves it, which tells the cluster's doctors first; once
its day has come the public reads it, linked from the idea it came from.

Selectors use form addresses and field names, not button texts: the story pages are
new and their Danish catalogue entries arrive with the next `compilemessages`."""

from __future__ import annotations

import datetime as dt

import pytest

from klynge.core.dates import today
from klynge.packages import ideas
from klynge.packages.models import Story, StoryNotice, StoryStatus
from klynge.quality.models import Indicator
from tests.e2e.conftest import log_in
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Sådan fik vi styr på opioiderne"


def _submit(page, action_suffix: str) -> None:
    page.locator(f'form[action$="{action_suffix}"] button[type=submit]').first.click()
    page.wait_for_load_state("networkidle")


def test_cluster_drafts_secretariat_reviews_coordinator_approves_public_reads(
    live_server, page, shoot
):
    world = build_world()
    slug = world.cluster_a.slug
    opioids = Indicator.objects.get(code="opioids")
    idea = ideas.idea_submit(
        actor=world.users["member_a"],
        title="Færre opioider i langvarig behandling",
        theme="opioider",
        problem="Mange patienter får opioider i mere end tre måneder.",
        contributor="DSAM",
        goal_indicator=opioids,
        goal_target=0.04,
    )
    idea = ideas.idea_publish(actor=world.users["secretariat"], idea=idea)
    ideas.idea_adopt(actor=world.users["coordinator_a"], idea=idea, cluster=world.cluster_a)

    # 1. The coordinator drafts the story; the chart is in it at once.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{slug}/historier/ny/")
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=indicator]", value=str(opioids.pk))
    page.select_option("select[name=idea]", value=str(idea.pk))
    page.fill("textarea[name=body]", "Vi lavede en fælles plan for nedtrapning.")
    _submit(page, f"/klynger/{slug}/historier/ny/opret/")
    story = Story.objects.get(title=TITLE)
    assert page.url.rstrip("/").endswith(f"/historier/{story.pk}")
    chart = page.locator('[data-vega-spec="story-chart"]')
    chart.locator("svg, canvas").first.wait_for(state="attached")
    assert page.get_by_test_id("verdict").inner_text().strip() == story.verdict.strip()
    shoot(page, "historie-kladde")
    _submit(page, f"/historier/{story.pk}/send/")
    story.refresh_from_db()
    assert story.status == StoryStatus.SUBMITTED
    page.context.clear_cookies()

    # 2. The secretariat finds it waiting and reviews it.
    log_in(page, live_server, "sekretariat@kiap.test", PASSWORD)
    page.goto(f"{live_server.url}/historier/")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state("networkidle")
    _submit(page, f"/historier/{story.pk}/gennemlaest/")
    story.refresh_from_db()
    assert story.status == StoryStatus.REVIEWED
    page.context.clear_cookies()

    # 3. The coordinator approves: the cluster's doctors are told first.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/historier/{story.pk}/")
    _submit(page, f"/historier/{story.pk}/godkend/")
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED and story.public_from > today()
    told = set(StoryNotice.objects.filter(story=story).values_list("recipient", flat=True))
    assert {"koordinator@a.test", "laege@a.test"} <= told
    page.context.clear_cookies()

    # 4. Not public before its day; once it has come, the public reads it from the idea.
    response = page.goto(f"{live_server.url}/historier/{story.pk}/")
    assert response is not None and response.status == 404
    Story.objects.filter(pk=story.pk).update(public_from=today() - dt.timedelta(days=1))
    page.goto(f"{live_server.url}/ideer/{idea.pk}/")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name=TITLE).is_visible()
    page.locator(
        '[data-vega-spec="story-chart"] svg, [data-vega-spec="story-chart"] canvas'
    ).first.wait_for(state="attached")
    shoot(page, "historie-offentlig")
