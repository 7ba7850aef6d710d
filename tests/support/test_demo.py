"""The support desk's demo content: realistic, deterministic for seed and `--today`."""

from __future__ import annotations

import datetime as dt

from klynge.demo import dataset
from klynge.support import selectors
from klynge.support.demo import clear_support, generate_support
from klynge.support.models import CourseSession, NewsItem


def _snapshot():
    return (
        list(
            NewsItem.objects.order_by("published", "title").values_list(
                "title", "published", "audience"
            )
        ),
        list(
            CourseSession.objects.order_by("starts").values_list("course__title", "starts", "seats")
        ),
    )


def test_demo_is_deterministic_and_has_a_full_session_with_a_waiting_list(db):
    assert "support" in dataset._EXTENSIONS
    today = dt.date(2026, 12, 1)
    generate_support(seed=3, today=today)
    first = _snapshot()
    titles = [t for t, _p, _a in first[0]]
    assert "Planlagte kurser for klyngekoordinatorer" in titles
    full = CourseSession.objects.order_by("starts").first()
    [state] = selectors.session_states(sessions=[full], user=None)
    assert state.full and state.waiting >= 1
    clear_support()
    assert NewsItem.objects.count() == 0
    generate_support(seed=3, today=today)
    assert _snapshot() == first
