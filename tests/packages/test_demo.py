"""The demo's packages and data orders: national and overlapping regional packages, a
draft revision, open, overdue and declined orders in several regions, ideas and two
published stories — the same for the
same seed and day."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_demo_today import built

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo-today")]


def _rows() -> list[tuple]:
    from klynge.dataorders.models import DataOrder
    from klynge.packages.models import PackageVersion

    versions = [
        (v.package.theme, v.package.publisher_id, v.number, v.status, v.title, v.lead_time_days)
        for v in PackageVersion.objects.select_related("package").order_by(
            "package__theme", "package__publisher_id", "number"
        )
    ]
    orders = [
        (o.cluster.name, o.recipient_id, o.status, str(o.ordered_on), str(o.due), o.decline_reason)
        for o in DataOrder.objects.select_related("cluster").order_by("cluster__name", "due")
    ]
    from klynge.packages.models import Idea, Story

    ideas = [(i.title, i.status, i.theme) for i in Idea.objects.order_by("title")]
    stories = [
        (s.cluster.name, s.title, s.status, s.verdict, str(s.public_from), s.idea_id is not None)
        for s in Story.objects.select_related("cluster").order_by("cluster__name")
    ]
    return versions + orders + ideas + stories


def test_demo_packages_and_orders(django_db_blocker, tmp_path):
    from klynge.dataorders.models import DataOrder, OrderStatus
    from klynge.packages import selectors
    from klynge.packages.models import VersionStatus

    day = dt.date(2026, 12, 1)
    with built(django_db_blocker, tmp_path, "2026-12-01"):
        first = _rows()
        themes = {v.package.theme for v in selectors.published_versions()}
        assert {"øjendråber", "nsaid", "crp", "polyfarmaci"} <= themes
        assert set(selectors.overlapping_themes()) == {"nsaid", "crp"}
        draft = (
            selectors.published_versions(theme="polyfarmaci")
            .get()
            .package.versions.get(status=VersionStatus.DRAFT)
        )
        changed = {c.field for c in selectors.changes_since_previous(draft)}
        assert {"lead_time_days", "follow_up"} <= changed
        orders = DataOrder.objects.all()
        assert orders.filter(status=OrderStatus.DECLINED).exclude(decline_reason="").exists()
        assert orders.filter(status__in=["ordered", "in_progress"], due__lt=day).exists()
        assert orders.filter(status="ordered", due__gte=day).exists()
        assert orders.values("recipient").distinct().count() >= 3
        # The idea bank and two published stories, public, each with its anonymised chart.
        from klynge.packages import ideas, stories

        assert ideas.published_ideas().count() >= 5 and ideas.waiting_ideas().count() == 1
        public = list(stories.public_stories(on=day))
        assert len(public) == 2
        for story in public:
            assert story.verdict and story.chart["layer"]
            assert story.idea is not None and story.idea.stories.filter(pk=story.pk).exists()
    with built(django_db_blocker, tmp_path, "2026-12-01"):
        assert _rows() == first
