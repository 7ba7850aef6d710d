"""The meetings' part of the start page (`klynge.core.overview`).

For a member doctor, per cluster they take part in: the next meeting, the date polls
waiting for their answer, the last meeting's evaluation, their own follow-up actions
and the newest announcements. For the coordinator: the preparation of the coming
meetings (agenda, invitation, who has not answered the poll) and the cluster's
overdue actions.

Each section reads a few rows per cluster (bounded: the next meetings, the open polls,
the last meeting), never the cluster's history; the queries that are the meetings
domain's own questions come from `klynge.meetings.selectors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.formatting import format_date, format_datetime
from klynge.core.overview import Block, Button, Item, ItemForm, Link, register
from klynge.core.permissions import Role
from klynge.meetings import selectors
from klynge.meetings.models import (
    Action,
    Announcement,
    Attendance,
    EvaluationReceipt,
    Meeting,
    MeetingKind,
    PollAnswer,
    Rsvp,
)
from klynge.registry.models import Cluster
from klynge.registry.overview import viewer

# How far back the start page looks for the meeting to evaluate and for news.
EVALUATION_DAYS = 90
ANNOUNCEMENT_DAYS = 60
DUE_SOON_DAYS = 14
MAX_ITEMS = 10


def meeting_url(meeting: Meeting, name: str = "detail") -> str:
    return reverse(f"meetings:{name}", args=[meeting.own_cluster.slug, meeting.pk])


def _when(meeting: Meeting) -> str:
    if meeting.starts is None:
        return _("Date not set")
    return format_datetime(meeting.starts)


def _member_clusters(user: Any, on: dt.date) -> list[Cluster]:
    return viewer(user, on).clusters_where(user, Role.MEMBER)


def _coordinator_clusters(user: Any, on: dt.date) -> list[Cluster]:
    return viewer(user, on).clusters_where(user, Role.COORDINATOR)


def _board_cluster_ids(user: Any, on: dt.date) -> set[int]:
    """Clusters where the user sits on the board (or coordinates): they are invited to
    its board meetings too."""
    v = viewer(user, on)
    return {
        c.pk
        for c in (*v.clusters_where(user, Role.BOARD), *v.clusters_where(user, Role.COORDINATOR))
    }


def _meetings_for(user: Any, on: dt.date, cluster: Cluster) -> QuerySet[Meeting]:
    """The meetings a member of `cluster` is invited to: the cluster's own (its board
    meetings only for the board) and joint meetings it is a guest of."""
    own = Q(cluster=cluster)
    if cluster.pk not in _board_cluster_ids(user, on):
        own &= ~Q(kind=MeetingKind.BOARD)
    return (
        Meeting.objects.filter(own | Q(guest_clusters=cluster, kind=MeetingKind.JOINT))
        .filter(cancelled_at__isnull=True)
        .select_related("cluster")
        .distinct()
    )


# --- Member doctor ---------------------------------------------------------------------------


class NextMeetingSection:
    key = "meetings.next"
    order = 100
    title = gettext_lazy("Next meeting")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_member_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        now = timezone.now()
        blocks = []
        for cluster in _member_clusters(user, on):
            meeting = (
                _meetings_for(user, on, cluster)
                .filter(Q(ends__gte=now) | Q(ends__isnull=True, starts__gte=now))
                .order_by("starts", "id")
                .first()
            )
            items: tuple[Item, ...] = ()
            if meeting is not None:
                details = [_when(meeting)]
                if meeting.place:
                    details.append(meeting.place)
                if meeting.cluster_id != cluster.pk:
                    details.append(
                        _("hosted by %(cluster)s") % {"cluster": meeting.own_cluster.name}
                    )
                lines = () if meeting.invited_at else (_("The invitation has not been sent yet."),)
                items = (
                    Item(
                        text=meeting.title,
                        url=meeting_url(meeting),
                        detail=" · ".join(details),
                        lines=lines,
                        form=_rsvp_form(meeting, viewer(user, on).doctor, now),
                    ),
                )
            blocks.append(
                Block(
                    items=items,
                    empty=_("No meetings planned"),
                    context=cluster.name,
                    link=Link(_("All meetings"), reverse("meetings:list", args=[cluster.slug])),
                )
            )
        return blocks


def _rsvp_form(meeting: Meeting, doctor: Any, now: dt.datetime) -> ItemForm | None:
    """ "Jeg kommer / Jeg kommer ikke" until the meeting begins (posted to the meetings'
    own write, `meetings:meeting.rsvp`, which brings the user back here)."""
    if doctor is None or meeting.starts is None or meeting.starts <= now:
        return None
    answer = Rsvp.objects.filter(meeting=meeting, doctor=doctor).values_list("coming", flat=True)
    coming = answer.first()
    return ItemForm(
        action=meeting_url(meeting, "meeting.rsvp"),
        legend=_("Are you coming?"),
        buttons=(
            Button(_("I am coming"), "coming", "yes", pressed=coming is True),
            Button(_("I am not coming"), "coming", "no", pressed=coming is False),
        ),
    )


def _open_polls(user: Any, on: dt.date, cluster: Cluster) -> list[Any]:
    """Meetings of `cluster` (as the member sees them) whose date poll is open."""
    return list(
        _meetings_for(user, on, cluster)
        .filter(poll_closed_at__isnull=True, starts__isnull=True, slots__isnull=False)
        .annotate(n_slots=Count("slots", distinct=True))
        .order_by("created", "id")[:MAX_ITEMS]
    )


class PollsSection:
    key = "meetings.polls"
    order = 110
    title = gettext_lazy("Date polls")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_member_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        doctor = viewer(user, on).doctor
        blocks = []
        for cluster in _member_clusters(user, on):
            polls = _open_polls(user, on, cluster)
            answered = dict(
                PollAnswer.objects.filter(slot__meeting__in=[m.pk for m in polls], doctor=doctor)
                .values("slot__meeting_id")
                .annotate(n=Count("id"))
                .values_list("slot__meeting_id", "n")
            )
            items = tuple(
                Item(
                    text=_("Answer the date poll: %(title)s") % {"title": m.title},
                    url=meeting_url(m),
                    detail=ngettext("%(n)s proposed date", "%(n)s proposed dates", m.n_slots)
                    % {"n": m.n_slots},
                    tone="due",
                )
                for m in polls
                if answered.get(m.pk, 0) < m.n_slots
            )
            blocks.append(
                Block(items=items, empty=_("No date polls to answer"), context=cluster.name)
            )
        return blocks


class EvaluationSection:
    key = "meetings.evaluation"
    order = 120
    title = gettext_lazy("Evaluation")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_member_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        now = timezone.now()
        doctor = viewer(user, on).doctor
        blocks = []
        for cluster in _member_clusters(user, on):
            last = (
                _meetings_for(user, on, cluster)
                .filter(starts__lte=now, starts__gte=now - dt.timedelta(days=EVALUATION_DAYS))
                .order_by("-starts", "-id")
                .first()
            )
            items: tuple[Item, ...] = ()
            if (
                last is not None
                and not EvaluationReceipt.objects.filter(meeting=last, user_id=user.pk).exists()
                # Registered as absent: nothing to evaluate.
                and not Attendance.objects.filter(meeting=last, doctor=doctor)
                .exclude(status=Attendance.Status.PRESENT)
                .exists()
            ):
                items = (
                    Item(
                        text=_("Evaluate the meeting: %(title)s") % {"title": last.title},
                        url=meeting_url(last, "evaluation"),
                        detail=_("Held %(when)s · anonymous, takes a minute")
                        % {"when": format_datetime(last.starts)},
                        tone="due",
                    ),
                )
            blocks.append(
                Block(items=items, empty=_("No evaluations to fill in"), context=cluster.name)
            )
        return blocks


def _action_item(action: Action, on: dt.date, *, owner: bool) -> Item:
    tone = ""
    if action.due is not None and action.due < on:
        tone = "overdue"
    elif action.due is not None and action.due <= on + dt.timedelta(days=DUE_SOON_DAYS):
        tone = "due"
    parts = []
    if action.due is not None:
        parts.append(_("Due %(date)s") % {"date": format_date(action.due)})
    if owner:
        parts.append(action.owner.name if action.owner else _("No owner"))
    parts.append(_("from %(meeting)s") % {"meeting": action.meeting.title})
    return Item(
        text=action.text,
        url=meeting_url(action.meeting, "minutes"),
        detail=" · ".join(parts),
        tone=tone,
    )


class OwnActionsSection:
    key = "meetings.own_actions"
    order = 130
    title = gettext_lazy("Your actions")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_member_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        doctor = viewer(user, on).doctor
        clusters = _member_clusters(user, on)
        actions = list(
            Action.objects.filter(
                owner=doctor,
                status=Action.Status.OPEN,
                meeting__cluster__in=clusters,
                meeting__cancelled_at__isnull=True,
            )
            .select_related("meeting__cluster")
            .order_by(F("due").asc(nulls_last=True), "id")[: MAX_ITEMS * len(clusters)]
        )
        return [
            Block(
                items=tuple(
                    _action_item(a, on, owner=False)
                    for a in actions
                    if a.meeting.cluster_id == cluster.pk
                )[:MAX_ITEMS],
                empty=_("You have no open actions"),
                context=cluster.name,
            )
            for cluster in clusters
        ]


class AnnouncementsSection:
    key = "meetings.announcements"
    order = 140
    title = gettext_lazy("Announcements")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_member_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        since = timezone.now() - dt.timedelta(days=ANNOUNCEMENT_DAYS)
        blocks = []
        for cluster in _member_clusters(user, on):
            news = Announcement.objects.filter(cluster=cluster, created__gte=since).order_by(
                "-created", "-id"
            )[:3]
            url = reverse("meetings:announcements", args=[cluster.slug])
            blocks.append(
                Block(
                    items=tuple(
                        Item(
                            text=a.title, url=url, detail=format_date(timezone.localdate(a.created))
                        )
                        for a in news
                    ),
                    empty=_("No new announcements"),
                    context=cluster.name,
                    link=Link(_("All announcements"), url),
                )
            )
        return blocks


# --- Coordinator -----------------------------------------------------------------------------


def _names(doctors: list[Any], limit: int = 8) -> str:
    names = [d.name for d in doctors[:limit]]
    rest = len(doctors) - len(names)
    if rest:
        names.append(ngettext("%(n)s other", "%(n)s others", rest) % {"n": rest})
    return ", ".join(names)


def _preparation(meeting: Any) -> tuple[list[str], bool]:
    """What is ready and what is missing before `meeting`, and whether anything is."""
    lines, missing = [], False
    if meeting.n_items:
        lines.append(
            ngettext("Agenda: %(n)s item", "Agenda: %(n)s items", meeting.n_items)
            % {"n": meeting.n_items}
        )
    else:
        lines.append(_("No agenda yet"))
        missing = True
    if meeting.starts is not None:
        if meeting.invited_at:
            lines.append(
                _("Invitations sent %(date)s")
                % {"date": format_date(timezone.localdate(meeting.invited_at))}
            )
            rsvp = selectors.rsvp_summary(meeting)
            lines.append(
                " · ".join(
                    (
                        ngettext("%(n)s is coming", "%(n)s are coming", len(rsvp.coming))
                        % {"n": len(rsvp.coming)},
                        ngettext(
                            "%(n)s is not coming", "%(n)s are not coming", len(rsvp.not_coming)
                        )
                        % {"n": len(rsvp.not_coming)},
                        ngettext(
                            "%(n)s has not answered",
                            "%(n)s have not answered",
                            len(rsvp.unanswered),
                        )
                        % {"n": len(rsvp.unanswered)},
                    )
                )
            )
        else:
            lines.append(_("Invitations not sent"))
            missing = True
    elif meeting.n_slots and meeting.poll_closed_at is None:
        invited = selectors.invited_doctors(meeting)
        waiting = selectors.poll_nonresponders(meeting)
        lines.append(
            ngettext(
                "Date poll: %(k)s of %(n)s member has answered",
                "Date poll: %(k)s of %(n)s members have answered",
                len(invited),
            )
            % {"k": len(invited) - len(waiting), "n": len(invited)}
        )
        if waiting:
            lines.append(_("Not answered: %(names)s") % {"names": _names(waiting)})
            missing = True
    else:
        lines.append(_("No date set and no date poll"))
        missing = True
    return lines, missing


class MeetingPreparationSection:
    key = "meetings.preparation"
    order = 210
    title = gettext_lazy("Meeting preparation")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_coordinator_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        now = timezone.now()
        blocks = []
        for cluster in _coordinator_clusters(user, on):
            coming = list(
                Meeting.objects.filter(cluster=cluster, cancelled_at__isnull=True)
                .filter(Q(starts__gte=now) | Q(starts__isnull=True))
                .select_related("cluster")
                .annotate(
                    n_items=Count("items", distinct=True), n_slots=Count("slots", distinct=True)
                )
                .order_by(F("starts").asc(nulls_first=True), "id")[:3]
            )
            items = []
            for meeting in coming:
                lines, missing = _preparation(meeting)
                items.append(
                    Item(
                        text=meeting.title,
                        url=meeting_url(meeting),
                        detail=_when(meeting),
                        tone="due" if missing else "done",
                        lines=tuple(lines),
                    )
                )
            blocks.append(
                Block(
                    items=tuple(items),
                    empty=_("No meetings planned"),
                    context=cluster.name,
                    link=Link(_("Plan a meeting"), reverse("meetings:create", args=[cluster.slug])),
                )
            )
        return blocks


class ClusterActionsSection:
    key = "meetings.cluster_actions"
    order = 240
    title = gettext_lazy("Overdue actions in the cluster")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(_coordinator_clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        blocks = []
        for cluster in _coordinator_clusters(user, on):
            overdue = Action.objects.filter(
                meeting__cluster=cluster,
                meeting__cancelled_at__isnull=True,
                status=Action.Status.OPEN,
                due__lt=on,
            )
            total = overdue.count()
            shown = list(
                overdue.select_related("meeting__cluster", "owner").order_by("due", "id")[
                    :MAX_ITEMS
                ]
            )
            blocks.append(
                Block(
                    items=tuple(_action_item(a, on, owner=True) for a in shown),
                    empty=_("No overdue actions"),
                    context=cluster.name,
                    summary=ngettext(
                        "%(n)s action is overdue.", "%(n)s actions are overdue.", total
                    )
                    % {"n": total}
                    if total > len(shown)
                    else "",
                )
            )
        return blocks


for _section in (
    NextMeetingSection(),
    PollsSection(),
    EvaluationSection(),
    OwnActionsSection(),
    AnnouncementsSection(),
    MeetingPreparationSection(),
    ClusterActionsSection(),
):
    register(_section)
