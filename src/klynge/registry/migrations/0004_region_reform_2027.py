"""The regions as dated data and the 2027 reform (law no. 699 of 20 June 2025, § 126).

* The five regions are in force from 1 January 2007; every municipality belongs to its
  region from then (`AreaMember`).
* Region Hovedstaden (1084) and Region Sjælland (1085) end on 1 January 2027 (in force
  to 31 December 2026) with Region Østdanmark as successor: code 1086 (provisional: no
  official DAGI region code was published when this was written), headquarters in
  Sorø, from 1 January 2027, with the 46 municipalities of the two.
* Regional staff: one dated post per user with `accounts.User.region` (from the day the
  user joined; the field itself is no longer read). Staff of the two merging regions
  serve Region Østdanmark from 1 January 2027: the same dated change as
  `registry.staff.staff_posts_move`, with the same audit entries.
"""

import datetime as dt

from django.db import migrations

from klynge.core.migration_ops import exclusion_no_overlap

REFORM = dt.date(2027, 1, 1)
REGIONS_FROM = dt.date(2007, 1, 1)
MERGED = (1084, 1085)
OSTDANMARK = 1086


def forward(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    Municipality = apps.get_model("registry", "Municipality")
    AreaMember = apps.get_model("registry", "AreaMember")
    RegionalPost = apps.get_model("registry", "RegionalPost")
    User = apps.get_model("accounts", "User")
    AuditEntry = apps.get_model("core", "AuditEntry")

    from klynge.registry.geography import load_region_reform

    load_region_reform(Region, Municipality, AreaMember)
    _posts(User, RegionalPost, AuditEntry, Region.objects.get(code=OSTDANMARK))


def _posts(User, RegionalPost, AuditEntry, east):
    """One post per user with `User.region` and no post yet (idempotent)."""
    users = User.objects.filter(region__isnull=False, regional_posts__isnull=True)
    for user in users.order_by("pk"):
        start = min(user.date_joined.date(), REFORM - dt.timedelta(days=1))
        merged = user.region_id in MERGED
        post = RegionalPost.objects.create(
            user=user, region_id=user.region_id, start=start, end=REFORM if merged else None
        )
        AuditEntry.objects.create(
            action="registry.staff_post.started",
            scope=f"region:{user.region_id}",
            object_type="registry.regionalpost",
            object_id=str(post.pk),
            object_repr=f"{user.email} @ {user.region_id}"[:200],
            data={"user": user.pk, "region": user.region_id, "start": str(start),
                  "end": str(post.end), "from": "accounts.User.region"},
        )
        if merged:
            new = RegionalPost.objects.create(user=user, region=east, start=REFORM, end=None)
            AuditEntry.objects.create(
                action="registry.staff_post.moved",
                scope=f"region:{OSTDANMARK}",
                object_type="registry.regionalpost",
                object_id=str(new.pk),
                object_repr=f"{user.email} @ {OSTDANMARK}"[:200],
                data={"user": user.pk, "from": user.region_id, "region": OSTDANMARK,
                      "start": str(REFORM)},
            )


def backward(apps, schema_editor):
    apps.get_model("registry", "RegionalPost").objects.all().delete()
    apps.get_model("registry", "AreaMember").objects.all().delete()
    Region = apps.get_model("registry", "Region")
    Region.objects.filter(code__in=MERGED).update(end=None, successor=None)
    Region.objects.filter(code=OSTDANMARK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_dated_areas"),
        ("accounts", "0004_hash_authtoken_keys"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        exclusion_no_overlap(
            "registry_regionalpost", "regional_post_one_region_at_a_time", ["user_id"]
        ),
    ]
