"""Good cluster stories (KNOW-2 ★): writes and reads.

A cluster drafts a story from its project: an indicator it works on (a goal, an
intervention, an adopted idea or package) and, when it came from one, the idea or
package. The story carries its own run chart with the before/after verdict, drawn from
the cluster's **anonymised** series (`quality.selectors.cluster_trend(identified=False)`:
the cluster as a whole, months with too few clinics or small counts hidden) and frozen
on the story: what the public reads is what the coordinator approved.

The path: draft (the cluster) → submitted → reviewed (the secretariat; or sent back to
draft with a note) → published (the coordinator approves). Approval tells every doctor
of the cluster by e-mail through the task queue, and the story turns public
`NOTICE_WORKING_DAYS` working days later: the cluster's clinics hear it first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.packages.models import (
    Idea,
    IdeaAdoption,
    Package,
    Story,
    StoryNotice,
    StoryStatus,
)

# The cluster's doctors read the story this many working days before the public does.
NOTICE_WORKING_DAYS = 2


def _scope(story: Story) -> str:
    return f"cluster:{story.cluster_id}"


# --- Reads ----------------------------------------------------------------------------------


def project_indicator_ids(cluster: Any) -> set[int]:
    """The indicators the cluster works on: its goals and interventions, and the
    indicators of the ideas and packages it adopted."""
    from klynge.dataorders.models import DataOrder
    from klynge.quality.models import Goal, Intervention

    ids = set(Goal.objects.filter(cluster=cluster).values_list("indicator_id", flat=True))
    ids |= set(Intervention.objects.filter(cluster=cluster).values_list("indicator_id", flat=True))
    for adoption in IdeaAdoption.objects.filter(cluster=cluster).select_related("idea"):
        ids |= set(adoption.idea.indicators.values_list("pk", flat=True))
        if adoption.idea.goal_indicator_id:
            ids.add(adoption.idea.goal_indicator_id)
    for order in DataOrder.objects.filter(cluster=cluster, package__isnull=False).select_related(
        "package"
    ):
        assert order.package is not None
        ids |= set(order.package.indicators.values_list("pk", flat=True))
    return ids


def adopted_ideas(cluster: Any) -> QuerySet[Idea]:
    return Idea.objects.filter(adoptions__cluster=cluster).distinct()


def adopted_packages(cluster: Any) -> QuerySet[Package]:
    """Packages the cluster took up for a meeting (their data was ordered with them)."""
    return Package.objects.filter(versions__orders__cluster=cluster).distinct()


def public_stories(*, on: dt.date) -> QuerySet[Story]:
    return Story.objects.filter(status=StoryStatus.PUBLISHED, public_from__lte=on).select_related(
        "cluster", "indicator", "idea", "package"
    )


def waiting_for_review() -> QuerySet[Story]:
    return Story.objects.filter(status=StoryStatus.SUBMITTED).select_related("cluster")


def cluster_stories(cluster: Any) -> QuerySet[Story]:
    return Story.objects.filter(cluster=cluster).select_related("indicator").order_by("-id")


def is_public(story: Story, on: dt.date) -> bool:
    return (
        story.status == StoryStatus.PUBLISHED
        and story.public_from is not None
        and story.public_from <= on
    )


def can_read(user: Any, story: Story, on: dt.date) -> bool:
    """Public once published and its day has come; before that the cluster's own people
    (members, coordinator, board, data) and the secretariat once it has been sent."""
    from klynge.core.permissions import Role, roles_for

    if is_public(story, on):
        return True
    roles = roles_for(user, story)
    if roles & {Role.MEMBER, Role.COORDINATOR, Role.BOARD, Role.DATA}:
        return True
    return Role.SECRETARIAT in roles and story.status != StoryStatus.DRAFT


def stories_from(*, idea: Idea | None = None, package: Package | None = None, on: dt.date):
    qs = public_stories(on=on)
    if idea is not None:
        return qs.filter(idea=idea)
    return qs.filter(package=package)


def cluster_story_roles(user: Any, story: Story) -> set:
    from klynge.registry.selectors import user_cluster_roles

    return user_cluster_roles(user, story.cluster)


# --- The snapshot ---------------------------------------------------------------------------


def snapshot(*, cluster: Any, indicator: Any) -> dict[str, Any]:
    """The cluster's anonymised run chart, verdict and before/after statements for the
    last `TREND_MONTHS` months up to its latest month for `indicator`. Never identified
    data: the series is computed as a viewer without access to identified data sees it
    (the cluster as a whole, sparse months hidden)."""
    from klynge.quality import charts
    from klynge.quality import selectors as quality
    from klynge.quality.periods import add_months

    last = quality.cluster_latest_month(cluster=cluster, indicator=indicator)
    if last is None:
        raise DomainError(
            _("The cluster has no data for this indicator yet: there is no chart to show."),
            field="indicator",
        )
    first = add_months(last, -(quality.TREND_MONTHS - 1))
    trend = quality.cluster_trend(
        cluster=cluster, indicator=indicator, first=first, last=last, identified=False
    )
    spec = charts.run_chart_spec(trend, indicator)
    return {
        "chart": spec,
        "verdict": charts.verdict(trend, indicator),
        "effects": [text for _intervention, text in charts.intervention_effects(trend, indicator)],
        "first_month": first,
        "last_month": last,
    }


# --- Writes ---------------------------------------------------------------------------------


def _check_source(cluster: Any, idea: Idea | None, package: Package | None) -> None:
    if idea is not None and not IdeaAdoption.objects.filter(idea=idea, cluster=cluster).exists():
        raise DomainError(_("The cluster has not adopted this idea."), field="idea")
    if package is not None and not adopted_packages(cluster).filter(pk=package.pk).exists():
        raise DomainError(_("The cluster has not used this package."), field="package")


def _apply(story: Story, *, title: str, body: str, indicator: Any) -> None:
    story.title = " ".join(title.split())
    story.body = body.strip()
    if not story.title or not story.body:
        raise DomainError(_("A story needs a title and a text."))
    if indicator.pk not in project_indicator_ids(story.cluster):
        raise DomainError(
            _("Choose an indicator the cluster works on in its project."), field="indicator"
        )
    story.indicator = indicator
    for name, value in snapshot(cluster=story.cluster, indicator=indicator).items():
        setattr(story, name, value)


@transaction.atomic
def story_draft(
    *,
    actor: Any,
    cluster: Any,
    indicator: Any,
    title: str,
    body: str,
    idea: Idea | None = None,
    package: Package | None = None,
) -> Story:
    """A new draft with the cluster's anonymised run chart drawn into it."""
    if cluster.dissolved:
        raise DomainError(_("The cluster is dissolved."))
    _check_source(cluster, idea, package)
    story = Story(
        cluster=cluster,
        idea=idea,
        package=package,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _apply(story, title=title, body=body, indicator=indicator)
    story.save()
    audit_log(
        actor=actor,
        action="packages.story.drafted",
        target=story,
        scope=_scope(story),
        data={"indicator": indicator.code},
    )
    return story


def _lock(story: Story) -> Story:
    return Story.objects.select_for_update().select_related("cluster").get(pk=story.pk)


@transaction.atomic
def story_update(*, actor: Any, story: Story, indicator: Any, title: str, body: str) -> Story:
    """Change a draft; the chart is drawn again from the data as it is now."""
    story = _lock(story)
    if story.status != StoryStatus.DRAFT:
        raise DomainError(_("Only a draft is changed."))
    _apply(story, title=title, body=body, indicator=indicator)
    story.save()
    audit_log(actor=actor, action="packages.story.changed", target=story, scope=_scope(story))
    return story


@transaction.atomic
def story_submit(*, actor: Any, story: Story) -> Story:
    story = _lock(story)
    if story.status != StoryStatus.DRAFT:
        raise DomainError(_("The story has been sent already."))
    story.status, story.submitted_at, story.review_note = (
        StoryStatus.SUBMITTED,
        timezone.now(),
        "",
    )
    story.save(update_fields=["status", "submitted_at", "review_note"])
    audit_log(actor=actor, action="packages.story.submitted", target=story, scope=_scope(story))
    return story


def _secretariat(actor: Any) -> None:
    if not getattr(actor, "is_secretariat", False):
        raise DomainError(_("Only the secretariat reviews stories."))


@transaction.atomic
def story_review(*, actor: Any, story: Story) -> Story:
    """The secretariat has read the story: the coordinator may approve it."""
    _secretariat(actor)
    story = _lock(story)
    if story.status != StoryStatus.SUBMITTED:
        raise DomainError(_("Only a story waiting for review can be reviewed."))
    story.status, story.reviewed_at = StoryStatus.REVIEWED, timezone.now()
    story.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    story.save(update_fields=["status", "reviewed_at", "reviewed_by"])
    audit_log(actor=actor, action="packages.story.reviewed", target=story, scope=_scope(story))
    return story


@transaction.atomic
def story_return(*, actor: Any, story: Story, note: str) -> Story:
    """The secretariat sends the story back to the cluster as a draft, saying why."""
    _secretariat(actor)
    note = note.strip()
    if not note:
        raise DomainError(_("Say what the cluster should change."), field="note")
    story = _lock(story)
    if story.status != StoryStatus.SUBMITTED:
        raise DomainError(_("Only a story waiting for review can be sent back."))
    story.status, story.review_note = StoryStatus.DRAFT, note
    story.save(update_fields=["status", "review_note"])
    audit_log(
        actor=actor,
        action="packages.story.returned",
        target=story,
        scope=_scope(story),
        data={"note": note},
    )
    return story


def notice_recipients(cluster: Any, on: dt.date) -> list[tuple[str, str]]:
    """(address, name) of every doctor of the cluster's member clinics on `on` who has
    an address, once each."""
    from klynge.meetings.selectors import doctor_email
    from klynge.registry.selectors import cluster_participations_on

    seen: dict[str, str] = {}
    for participation in cluster_participations_on(cluster=cluster, on=on).select_related(
        "doctor__user"
    ):
        address = doctor_email(participation.doctor).strip()
        if address and address.lower() not in seen:
            seen[address.lower()] = participation.doctor.name
    return list(seen.items())


@transaction.atomic
def story_approve(*, actor: Any, story: Story, on: dt.date | None = None) -> Story:
    """The coordinator approves publication of a reviewed story: the cluster's doctors
    are told by e-mail now (through the task queue), and the public reads it from
    `NOTICE_WORKING_DAYS` working days later."""
    from klynge.core.dates import today
    from klynge.dataorders.workdays import add_working_days

    on = on or today()
    story = _lock(story)
    if story.status != StoryStatus.REVIEWED:
        raise DomainError(_("The secretariat reviews the story before it is approved."))
    story.status = StoryStatus.PUBLISHED
    story.approved_at = timezone.now()
    story.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    story.public_from = add_working_days(on, NOTICE_WORKING_DAYS)
    story.save(update_fields=["status", "approved_at", "approved_by", "public_from"])
    notices = StoryNotice.objects.bulk_create(
        StoryNotice(story=story, recipient=address, name=name)
        for address, name in notice_recipients(story.cluster, on)
    )
    ids = [n.pk for n in StoryNotice.objects.filter(story=story)]

    def _enqueue() -> None:
        from klynge.packages.tasks import send_story_notice

        for notice_id in ids:
            send_story_notice.enqueue(notice_id)

    transaction.on_commit(_enqueue)
    audit_log(
        actor=actor,
        action="packages.story.published",
        target=story,
        scope=_scope(story),
        data={"public_from": str(story.public_from), "told": len(notices)},
    )
    return story


def send_notice(notice_id: int) -> str:
    """Send one notice (the worker); a failure stays on the row, a sent one is not
    sent again."""
    from klynge.core import mail as core_mail

    return core_mail.send_notice_once(
        StoryNotice.objects.select_related("story__cluster"),
        notice_id,
        "packages/mail/story",
        lambda notice: {"story": notice.story, "name": notice.name},
    )


def search_public(*, on: dt.date, query: str = "") -> QuerySet[Story]:
    qs = public_stories(on=on)
    for word in query.split():
        qs = qs.filter(
            Q(title__icontains=word) | Q(body__icontains=word) | Q(cluster__name__icontains=word)
        )
    return qs
