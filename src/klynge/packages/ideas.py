"""The idea bank (KNOW-2): writes and reads. Anyone logged in contributes an idea; the
secretariat moderates it (publish, or not with a reason); a published idea is public and
searchable by theme and words; a cluster adopts one as its project: the idea's goal
becomes the cluster's goal (`quality.services.goal_set`) and the adoption is recorded."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.packages.models import Idea, IdeaAdoption, IdeaStatus


def _secretariat(actor: Any) -> None:
    if not getattr(actor, "is_secretariat", False):
        raise DomainError(_("Only the secretariat moderates ideas."))


@transaction.atomic
def idea_submit(
    *,
    actor: Any,
    title: str,
    theme: str,
    problem: str,
    contributor: str,
    data_description: str = "",
    indicators: Any = (),
    goal_indicator: Any = None,
    goal_target: float | None = None,
    agenda: list[dict[str, Any]] | None = None,
) -> Idea:
    title, theme = " ".join(title.split()), " ".join(theme.split()).lower()
    if not title or not theme or not problem.strip():
        raise DomainError(_("An idea needs a title, a theme and the problem it solves."))
    if (goal_indicator is None) != (goal_target is None):
        raise DomainError(_("A goal needs both an indicator and a target."), field="goal_target")
    idea = Idea.objects.create(
        title=title,
        theme=theme,
        problem=problem.strip(),
        data_description=data_description.strip(),
        goal_indicator=goal_indicator,
        goal_target=goal_target,
        agenda=agenda or [],
        contributor=" ".join(contributor.split()) or str(actor),
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    idea.indicators.set(list(indicators))
    audit_log(actor=actor, action="packages.idea.submitted", target=idea, scope="secretariat")
    return idea


def _moderate(actor: Any, idea: Idea, status: str, reason: str = "") -> Idea:
    _secretariat(actor)
    idea = Idea.objects.select_for_update().get(pk=idea.pk)
    if idea.status != IdeaStatus.SUBMITTED:
        raise DomainError(_("The idea has been moderated already."))
    idea.status, idea.reject_reason, idea.moderated_at = status, reason, timezone.now()
    idea.save(update_fields=["status", "reject_reason", "moderated_at"])
    audit_log(
        actor=actor,
        action=f"packages.idea.{status}",
        target=idea,
        scope="secretariat",
        data={"reason": reason} if reason else {},
    )
    return idea


@transaction.atomic
def idea_publish(*, actor: Any, idea: Idea) -> Idea:
    return _moderate(actor, idea, IdeaStatus.PUBLISHED)


@transaction.atomic
def idea_reject(*, actor: Any, idea: Idea, reason: str) -> Idea:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the idea is not published."), field="reason")
    return _moderate(actor, idea, IdeaStatus.REJECTED, reason)


def idea_adopt(*, actor: Any, idea: Idea, cluster: Any) -> IdeaAdoption:
    """The idea becomes the cluster's project: its goal (when it has one) is set as the
    cluster's goal, and the adoption is recorded once per cluster."""
    from klynge.quality import services as quality

    if idea.status != IdeaStatus.PUBLISHED:
        raise DomainError(_("Only a published idea can be adopted."))
    if cluster.dissolved:
        raise DomainError(_("The cluster is dissolved."))
    try:
        with transaction.atomic():
            goal = None
            if idea.goal_indicator is not None and idea.goal_target is not None:
                goal = quality.goal_set(
                    actor=actor,
                    cluster=cluster,
                    indicator=idea.goal_indicator,
                    target=idea.goal_target,
                    note=_("From the idea bank: %(title)s") % {"title": idea.title},
                )
            adoption = IdeaAdoption.objects.create(
                idea=idea,
                cluster=cluster,
                goal=goal,
                adopted_on=timezone.localdate(),
                adopted_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_log(
                actor=actor,
                action="packages.idea.adopted",
                target=idea,
                scope=f"cluster:{cluster.pk}",
                data={"goal": getattr(goal, "pk", None)},
            )
    except IntegrityError:
        raise DomainError(_("The cluster has adopted this idea already.")) from None
    return adoption


# --- Reads ----------------------------------------------------------------------------------


def published_ideas(*, query: str = "", theme: str = "") -> QuerySet[Idea]:
    qs = Idea.objects.filter(status=IdeaStatus.PUBLISHED).prefetch_related("indicators")
    if theme:
        qs = qs.filter(theme=theme.lower())
    for word in query.split():
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(theme__icontains=word)
            | Q(problem__icontains=word)
            | Q(data_description__icontains=word)
        )
    return qs


def idea_themes() -> list[str]:
    return sorted(
        set(Idea.objects.filter(status=IdeaStatus.PUBLISHED).values_list("theme", flat=True))
    )


def waiting_ideas() -> QuerySet[Idea]:
    return Idea.objects.filter(status=IdeaStatus.SUBMITTED).order_by("created")


def visible_idea(user: Any, pk: int) -> Idea | None:
    """A published idea for anyone; one waiting or not published only for the
    secretariat and the person who sent it."""
    idea = Idea.objects.filter(pk=pk).select_related("goal_indicator").first()
    if idea is None or idea.status == IdeaStatus.PUBLISHED:
        return idea
    if getattr(user, "is_secretariat", False):
        return idea
    if getattr(user, "is_authenticated", False) and idea.submitted_by_id == user.pk:
        return idea
    return None
