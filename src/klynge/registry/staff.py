"""Regional staff as dated posts (REG-7): who serves in which region's quality unit, and
from when. The region role is read from these posts on the date of the request
(`selectors.user_region_on`), never from `accounts.User.region` (left in place only
until the accounts app drops it).

Writes only, each in its own transaction with an audit entry in the region's scope:
`staff_post_start`, `staff_post_end` and `staff_posts_move` (a merger moves the staff of
the merged regions to the successor on the day the successor takes over; the data
migration of the 2027 reform and `manage.py move_regional_staff` both call it)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.registry.models import AreaLayer, Region, RegionalPost


def _lock_user(user) -> None:
    """Serialise writes on one user's posts (two admins at once cannot overlap them)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _check_region_valid(region: Region, start: dt.date) -> None:
    if region.layer != AreaLayer.REGION:
        raise DomainError(_("Staff serve a region, not another kind of area."))
    if not region.is_valid_on(start):
        raise DomainError(
            _("%(region)s is not in force on %(date)s.")
            % {"region": region.name, "date": format_date(start)}
        )


def staff_post_start(*, actor, user, region: Region, start: dt.date) -> RegionalPost:
    """`user` serves in `region`'s quality unit from `start` (open-ended). A user serves
    one region at a time: a post that overlaps another is refused."""
    with transaction.atomic():
        _lock_user(user)
        _check_region_valid(region, start)
        clash = RegionalPost.objects.filter(user=user).overlapping(start, None).first()
        if clash is not None:
            raise DomainError(
                _("%(user)s already serves %(region)s from %(date)s.")
                % {"user": user, "region": clash.region.name, "date": format_date(clash.start)}
            )
        end = region.end  # a post ends with its region
        post = RegionalPost.objects.create(user=user, region=region, start=start, end=end)
        audit_log(
            actor=actor,
            action="registry.staff_post.started",
            target=post,
            scope=region,
            data={"user": user.pk, "region": region.code, "start": str(start), "end": str(end)},
        )
        successor = region.successor
        if end is not None and successor is not None and successor.start == end:
            # The merged region's staff serve its successor from the day it takes over.
            _continue_in_successor(actor=actor, post=post, successor=successor)
        return post


def _continue_in_successor(*, actor, post: RegionalPost, successor: Region) -> RegionalPost:
    on = post.end
    assert on is not None
    new = RegionalPost.objects.create(user=post.user, region=successor, start=on, end=successor.end)
    audit_log(
        actor=actor,
        action="registry.staff_post.moved",
        target=new,
        scope=successor,
        data={
            "user": post.user_id,
            "from": post.region_id,
            "region": successor.code,
            "start": str(on),
        },
    )
    return new


def staff_post_end(*, actor, user, region: Region, end: dt.date) -> RegionalPost:
    """The post `user` holds in `region` ends: `end` is the first day no longer served."""
    with transaction.atomic():
        _lock_user(user)
        post = (
            RegionalPost.objects.select_for_update()
            .filter(user=user, region=region, start__lt=end)
            .exclude(end__lte=end)
            .order_by("-start")
            .first()
        )
        if post is None:
            raise DomainError(
                _("%(user)s holds no post in %(region)s on %(date)s.")
                % {"user": user, "region": region.name, "date": format_date(end)}
            )
        old_end = post.end
        post.end = end
        post.save(update_fields=["end"])
        audit_log(
            actor=actor,
            action="registry.staff_post.ended",
            target=post,
            scope=region,
            data={"user": user.pk, "region": region.code, "end": [str(old_end), str(end)]},
        )
        return post


def staff_posts_move(*, actor, successor: Region) -> list[RegionalPost]:
    """Move the staff of every region whose successor is `successor` to it on the day it
    takes over (`successor.start`): each post in force the day before ends then and a new
    one in `successor` starts. Idempotent: staff already serving the successor from that
    day are left as they are. Used by the reform's data migration and by
    `manage.py move_regional_staff`."""
    on = successor.start
    if on is None:
        raise DomainError(_("%(region)s has no start date.") % {"region": successor.name})
    moved: list[RegionalPost] = []
    eve = on - dt.timedelta(days=1)
    with transaction.atomic():
        posts = (
            RegionalPost.objects.select_for_update()
            .active_on(eve)
            .filter(region__successor=successor)
            .select_related("user", "region")
            .order_by("id")
        )
        for post in posts:
            if RegionalPost.objects.filter(user=post.user, region=successor).active_on(on).exists():
                continue
            if post.end is None or post.end > on:
                old_end = post.end
                post.end = on
                post.save(update_fields=["end"])
                audit_log(
                    actor=actor,
                    action="registry.staff_post.ended",
                    target=post,
                    scope=post.region,
                    data={
                        "user": post.user_id,
                        "region": post.region_id,
                        "end": [str(old_end), str(on)],
                    },
                )
            moved.append(_continue_in_successor(actor=actor, post=post, successor=successor))
    return moved
