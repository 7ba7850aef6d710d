"""The support desk on the start page (`klynge.core.overview`): the newest news the
user may read, and their courses (a seat offered from the waiting list first)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klynge.core.formatting import format_date, format_datetime
from klynge.core.overview import Block, Item, Link, register
from klynge.support import selectors

NEWEST = 3


class NewsSection:
    key = "support.news"
    order = 5  # first: what the programme tells everyone
    title = gettext_lazy("News")
    public = True  # visitors see the public news on the front page

    def applies(self, user: Any, on: dt.date) -> bool:
        return True

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        items = tuple(
            Item(
                text=news.title,
                url=reverse("support:news.detail", args=[news.pk]),
                detail=format_date(news.published),
            )
            for news in selectors.news_for(user=user, on=on)[:NEWEST]
        )
        return [
            Block(
                items=items,
                empty=_("No news yet."),
                link=Link(_("All news"), reverse("support:news.list")),
            )
        ]


class CoursesSection:
    key = "support.courses"
    order = 6
    title = gettext_lazy("My courses")

    def applies(self, user: Any, on: dt.date) -> bool:
        return True

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        offers = selectors.my_offers(user=user)
        bookings = selectors.my_bookings(user=user)
        if not offers and not bookings:
            return []  # nothing to show: no section
        items = [
            Item(
                text=_("A seat is free for you: %(course)s") % {"course": o.session.course.title},
                url=reverse("support:course.list") + f"#hold-{o.session_id}",
                detail=_("Take it before %(until)s") % {"until": format_datetime(o.offer_expires)},
                tone="due",
            )
            for o in offers
        ] + [
            Item(
                text=b.session.course.title,
                url=reverse("support:course.list") + f"#hold-{b.session_id}",
                detail=f"{format_datetime(b.session.starts)}, {b.session.place}",
            )
            for b in bookings
        ]
        return [
            Block(
                items=tuple(items),
                empty="",
                link=Link(_("All courses"), reverse("support:course.list")),
            )
        ]


register(NewsSection())
register(CoursesSection())
