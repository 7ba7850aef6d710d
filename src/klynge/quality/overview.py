"""Quality data on the start page (`klynge.core.overview`).

A doctor sees their own clinic's newest month and any signal in its run charts — their
own data, exact, read with `clinic_latest_month`/`clinic_trends` over the window the "Din
klinik" page (`clinic_dashboard`) uses (never another clinic's figures, docs/privacy.md).
The national comparison of that page is left out: it costs a national aggregate per
indicator and the start page only asks "is there a signal?". The
coordinator sees how fresh the cluster's data are: each indicator's newest *complete*
month (`cluster_latest_months`), which counts clinics, never shows a figure, and so
needs no protection.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.overview import Block, Item, Link, register
from klynge.core.permissions import Role, has_perm
from klynge.quality import charts, selectors
from klynge.quality.models import Indicator
from klynge.quality.periods import add_months
from klynge.registry.models import Cluster
from klynge.registry.overview import viewer

MAX_SIGNALS = 5
CLINIC_MONTHS = 36  # the window of `clinic_dashboard`, the "Din klinik" page


class OwnClinicSection:
    key = "quality.own_clinic"
    order = 150
    title = gettext_lazy("Your clinic's data")

    def applies(self, user: Any, on: dt.date) -> bool:
        v = viewer(user, on)
        return (
            v.doctor is not None
            and bool(v.clusters_where(user, Role.MEMBER))
            and has_perm(user, "quality.view_own_data")
        )

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        doctor = viewer(user, on).doctor
        assert doctor is not None
        url = reverse("quality:clinic.mine")
        last = selectors.clinic_latest_month(clinic_id=doctor.clinic_id)
        link = Link(_("Your clinic's data"), url)
        if last is None:
            return [
                Block(
                    items=(),
                    empty=_("No data for your clinic yet"),
                    context=doctor.clinic.name,
                    link=link,
                )
            ]
        # The same run chart as "Din klinik" draws (its own months, exact), without the
        # national comparison that page adds: a signal needs only the clinic's series.
        first = add_months(last, -(CLINIC_MONTHS - 1))
        indicators = list(Indicator.objects.filter(active=True))
        trends = selectors.clinic_trends(
            clinic_id=doctor.clinic_id, indicators=indicators, first=first, last=last
        )
        signals = [(i, trends[i.pk]) for i in indicators if trends[i.pk].analysis.signal]
        items = tuple(
            Item(
                text=str(indicator.title),
                detail=charts.verdict(trend, indicator),
                url=url + f"#own-{indicator.code}",
                tone="due",
            )
            for indicator, trend in signals[:MAX_SIGNALS]
        )
        return [
            Block(
                items=items,
                empty=_("No signals in your clinic's data"),
                context=doctor.clinic.name,
                summary=_("Newest data: %(month)s") % {"month": charts.month_label(last)},
                link=link,
            )
        ]


class DataFreshnessSection:
    key = "quality.freshness"
    order = 230
    title = gettext_lazy("Data freshness")

    def _clusters(self, user: Any, on: dt.date) -> list[Cluster]:
        return viewer(user, on).clusters_where(user, Role.COORDINATOR)

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(self._clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        indicators = {i.pk: i for i in Indicator.objects.filter(active=True)}
        expected = add_months(dt.date(on.year, on.month, 1), -1)  # last month
        blocks = []
        for cluster in self._clusters(user, on):
            latest = selectors.cluster_latest_months(cluster=cluster, on=on)
            by_month: dict[dt.date, list[str]] = defaultdict(list)
            for indicator_id, month in latest.items():
                if indicator_id in indicators:
                    by_month[month].append(str(indicators[indicator_id].title))
            items = [
                Item(
                    text=_("Complete through %(month)s") % {"month": charts.month_label(month)},
                    detail=ngettext("%(n)s indicator", "%(n)s indicators", len(names))
                    % {"n": len(names)},
                    tone="done" if month >= expected else "due",
                    lines=() if month >= expected else tuple(sorted(names)),
                )
                for month, names in sorted(by_month.items(), reverse=True)
            ]
            without = sorted(str(i.title) for pk, i in indicators.items() if pk not in latest)
            if latest and without:
                items.append(
                    Item(
                        text=ngettext(
                            "%(n)s indicator without data",
                            "%(n)s indicators without data",
                            len(without),
                        )
                        % {"n": len(without)},
                        lines=tuple(without),
                    )
                )
            blocks.append(
                Block(
                    items=tuple(items),
                    empty=_("No data for the cluster yet"),
                    context=cluster.name,
                    link=Link(
                        _("The cluster's quality data"),
                        reverse("quality:cluster.dashboard", args=[cluster.slug]),
                    ),
                )
            )
        return blocks


register(OwnClinicSection())
register(DataFreshnessSection())
