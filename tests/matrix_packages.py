"""Permission-matrix rows for cluster packages and data orders (merged into
test_permissions_matrix). A published package and a draft by Region Sjælland (region_a's
unit), a planned meeting of cluster A and an open order of cluster A to Sjælland."""

from __future__ import annotations

from tests.matrix_common import ROLES, post_only, rule, writes

PUBLISHERS = {"region_a", "region_other", "secretariat"}


def _objects(w) -> dict:
    if "_packages" in w.__dict__:
        return w.__dict__["_packages"]
    import datetime as dt

    from django.utils import timezone

    from klynge.dataorders import services as orders
    from klynge.meetings import services as meetings
    from klynge.packages import services
    from klynge.registry.models import Region

    region_user = w.users["region_a"]
    sjaelland = Region.objects.get(code=1085)
    published = services.package_create(
        actor=region_user,
        theme="nsaid",
        publisher=sjaelland,
        title="NSAID til ældre",
        agenda=[{"title": "Vores data", "duration": 30}],
        lead_time_days=10,
        reviewer="R",
        revision_date=dt.date(2027, 12, 1),
    )
    services.version_review(actor=region_user, version=published)
    published = services.version_publish(actor=region_user, version=published)
    draft = services.package_create(
        actor=region_user, theme="crp", publisher=sjaelland, title="CRP-kladde"
    )
    meetings.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Møde om NSAID",
        starts=timezone.now() + dt.timedelta(days=60),
    )
    order = orders.order_create(
        actor=None,
        cluster=w.cluster_a,
        description="Antal CRP-målinger",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 10, 31),
    )
    w.__dict__["_packages"] = {"published": published, "draft": draft, "order": order}
    return w.__dict__["_packages"]


def published(w) -> dict:
    return {"pk": _objects(w)["published"].pk}


def draft(w) -> dict:
    return {"pk": _objects(w)["draft"].pk}


def theme(w) -> dict:
    return {"theme": _objects(w)["published"].package.theme}


def adopt(w) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _objects(w)["published"].pk}


def cluster(w) -> dict:
    _objects(w)
    return {"slug": w.cluster_a.slug}


def order(w) -> dict:
    return {"pk": _objects(w)["order"].pk}


def _publisher_page(status: int = 200) -> dict[str, int]:
    """A draft's pages: its publisher's staff and the secretariat; other regions' staff
    get 404 (the draft is not theirs to see); roles without the permission 403."""
    return {
        role: status
        if role in {"region_a", "secretariat"}
        else 302
        if role == "anonymous"
        else 404
        if role == "region_other"
        else 403
        for role in ROLES
    }


def _publisher_post_only() -> dict[str, int]:
    """A draft's writes asked with GET: every publisher role gets 405 (the method is
    refused before the draft is looked up), the rest 403."""
    return {
        role: 405 if role in PUBLISHERS else 302 if role == "anonymous" else 403 for role in ROLES
    }


def _publisher_write() -> dict[str, str | int]:
    return {
        role: "ok"
        if role in {"region_a", "secretariat"}
        else 302
        if role == "anonymous"
        else 404
        if role == "region_other"
        else 403
        for role in ROLES
    }


CLUSTER_SIDE = {"coordinator_a"}
HANDLERS = {"region_a", "secretariat"}
ORDER_READERS = CLUSTER_SIDE | HANDLERS
CLUSTER_A_DOCTORS = {"member_a", "coordinator_a", "board_a"}  # consent for their clinic

ROWS = {
    "packages:list": (lambda w: {}, dict.fromkeys(ROLES, 200)),
    "packages:theme": (theme, dict.fromkeys(ROLES, 200)),
    "packages:detail": (published, dict.fromkeys(ROLES, 200)),
    "packages:create": (lambda w: {}, rule(PUBLISHERS, others=403)),
    "packages:package.create": (
        lambda w: {},
        {r: 405 if r in PUBLISHERS else 302 if r == "anonymous" else 403 for r in ROLES},
    ),
    "packages:edit": (draft, _publisher_page()),
    "packages:version.update": (draft, _publisher_post_only()),
    "packages:version.review": (draft, _publisher_post_only()),
    "packages:version.publish": (draft, _publisher_post_only()),
    "packages:version.new": (published, _publisher_post_only()),
    "packages:adopt": (adopt, rule(CLUSTER_SIDE)),
    "packages:package.adopt": (adopt, post_only(CLUSTER_SIDE)),
    "dataorders:queue": (lambda w: {}, rule(PUBLISHERS, others=403)),
    "dataorders:list": (cluster, rule(ORDER_READERS)),
    "dataorders:order.create": (cluster, post_only(CLUSTER_SIDE)),
    "dataorders:detail": (order, rule(ORDER_READERS)),
    "dataorders:order.accept": (order, post_only(HANDLERS)),
    "dataorders:order.start": (order, post_only(HANDLERS)),
    "dataorders:order.decline": (order, post_only(HANDLERS)),
    "dataorders:order.deliver": (order, post_only(HANDLERS)),
    "dataorders:message.add": (order, post_only(ORDER_READERS)),
    "dataorders:order.seen": (order, post_only(CLUSTER_SIDE)),
    "dataorders:consent": (cluster, rule(CLUSTER_A_DOCTORS)),
    "dataorders:consent.give": (cluster, post_only(CLUSTER_A_DOCTORS)),
}

WRITES = {
    "packages:package.create": (lambda w: {}, writes(PUBLISHERS, denied=403)),
    "packages:version.update": (draft, _publisher_write()),
    "packages:version.review": (draft, _publisher_write()),
    "packages:version.publish": (draft, _publisher_write()),
    "packages:version.new": (published, _publisher_write()),
    "packages:package.adopt": (adopt, writes(CLUSTER_SIDE)),
    "dataorders:order.create": (cluster, writes(CLUSTER_SIDE)),
    "dataorders:order.accept": (order, writes(HANDLERS)),
    "dataorders:order.start": (order, writes(HANDLERS)),
    "dataorders:order.decline": (order, writes(HANDLERS)),
    "dataorders:order.deliver": (order, writes(HANDLERS)),
    "dataorders:message.add": (order, writes(ORDER_READERS)),
    "dataorders:order.seen": (order, writes(CLUSTER_SIDE)),
    "dataorders:consent.give": (cluster, writes(CLUSTER_A_DOCTORS)),
}


# --- The idea bank ---------------------------------------------------------------------------


def _ideas(w) -> dict:
    if "_ideas" in w.__dict__:
        return w.__dict__["_ideas"]
    from klynge.packages import ideas

    def submit(title: str):
        return ideas.idea_submit(
            actor=w.users["member_a"],
            title=title,
            theme="crp",
            problem="For mange CRP-målinger ved forkølelse.",
            contributor="DSAM",
        )

    published = ideas.idea_publish(actor=w.users["secretariat"], idea=submit("CRP-idé"))
    waiting = submit("Ventende idé")
    w.__dict__["_ideas"] = {"published": published, "waiting": waiting}
    return w.__dict__["_ideas"]


def idea(w) -> dict:
    return {"pk": _ideas(w)["published"].pk}


def waiting_idea(w) -> dict:
    return {"pk": _ideas(w)["waiting"].pk}


def idea_adopt(w) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _ideas(w)["published"].pk}


LOGGED_IN = set(ROLES) - {"anonymous"}

ROWS |= {
    "packages:idea.list": (lambda w: {}, dict.fromkeys(ROLES, 200)),
    "packages:idea.detail": (idea, dict.fromkeys(ROLES, 200)),
    "packages:idea.submit_page": (lambda w: {}, rule(LOGGED_IN, others=403)),
    "packages:idea.submit": (
        lambda w: {},
        {r: 302 if r == "anonymous" else 405 for r in ROLES},
    ),
    "packages:idea.moderation": (lambda w: {}, rule({"secretariat"}, others=403)),
    # A waiting idea's writes: the secretariat only; GET is refused for the method.
    "packages:idea.publish": (
        waiting_idea,
        {r: 405 if r == "secretariat" else 302 if r == "anonymous" else 403 for r in ROLES},
    ),
    "packages:idea.reject": (
        waiting_idea,
        {r: 405 if r == "secretariat" else 302 if r == "anonymous" else 403 for r in ROLES},
    ),
    "packages:idea.adopt": (idea_adopt, post_only(CLUSTER_SIDE)),
}

WRITES |= {
    "packages:idea.submit": (lambda w: {}, writes(LOGGED_IN, denied=403)),
    "packages:idea.publish": (waiting_idea, writes({"secretariat"}, denied=403)),
    "packages:idea.reject": (waiting_idea, writes({"secretariat"}, denied=403)),
    "packages:idea.adopt": (idea_adopt, writes(CLUSTER_SIDE)),
}


# --- Good cluster stories --------------------------------------------------------------------


def _stories(w) -> dict:
    """Cluster A's stories on opioids (its goal): a draft, one waiting for review, one
    reviewed, and one published and public."""
    if "_stories" in w.__dict__:
        return w.__dict__["_stories"]
    import datetime as dt

    from klynge.core.dates import today
    from klynge.packages import stories
    from klynge.quality import services as quality
    from klynge.quality.models import Indicator

    coordinator, secretariat = w.users["coordinator_a"], w.users["secretariat"]
    opioids = Indicator.objects.get(code="opioids")
    quality.goal_set(actor=coordinator, cluster=w.cluster_a, indicator=opioids, target=0.04)

    def draft(title: str):
        return stories.story_draft(
            actor=coordinator,
            cluster=w.cluster_a,
            indicator=opioids,
            title=title,
            body="Vi lavede en fælles plan.",
        )

    submitted = stories.story_submit(actor=coordinator, story=draft("Sendt"))
    reviewed = stories.story_review(
        actor=secretariat, story=stories.story_submit(actor=coordinator, story=draft("Læst"))
    )
    public = stories.story_review(
        actor=secretariat, story=stories.story_submit(actor=coordinator, story=draft("Offentlig"))
    )
    public = stories.story_approve(
        actor=coordinator, story=public, on=today() - dt.timedelta(days=14)
    )
    w.__dict__["_stories"] = {
        "draft": draft("Kladde"),
        "submitted": submitted,
        "reviewed": reviewed,
        "public": public,
    }
    return w.__dict__["_stories"]


def _story(kind: str):
    return lambda w: {"pk": _stories(w)[kind].pk}


def story_cluster(w) -> dict:
    _stories(w)
    return {"slug": w.cluster_a.slug}


STORY_DRAFTERS = {"coordinator_a"}

ROWS |= {
    "packages:story.list": (lambda w: {}, dict.fromkeys(ROLES, 200)),
    "packages:story.detail": (_story("public"), dict.fromkeys(ROLES, 200)),
    "packages:story.create_page": (story_cluster, rule(STORY_DRAFTERS)),
    "packages:story.create": (story_cluster, post_only(STORY_DRAFTERS)),
    "packages:story.edit": (_story("draft"), rule(STORY_DRAFTERS)),
    "packages:story.update": (_story("draft"), post_only(STORY_DRAFTERS)),
    "packages:story.submit": (_story("draft"), post_only(STORY_DRAFTERS)),
    "packages:story.review": (_story("submitted"), post_only({"secretariat"})),
    "packages:story.return": (_story("submitted"), post_only({"secretariat"})),
    "packages:story.approve": (_story("reviewed"), post_only(STORY_DRAFTERS)),
}

WRITES |= {
    "packages:story.create": (story_cluster, writes(STORY_DRAFTERS)),
    "packages:story.update": (_story("draft"), writes(STORY_DRAFTERS)),
    "packages:story.submit": (_story("draft"), writes(STORY_DRAFTERS)),
    "packages:story.review": (_story("submitted"), writes({"secretariat"})),
    "packages:story.return": (_story("submitted"), writes({"secretariat"})),
    "packages:story.approve": (_story("reviewed"), writes(STORY_DRAFTERS)),
}


# --- Package files ---------------------------------------------------------------------------


def _files(w) -> dict:
    """A file on the draft (attached through the service) and one on the published
    version (placed directly: a published version is not changed)."""
    if "_files" in w.__dict__:
        return w.__dict__["_files"]
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.packages import services
    from klynge.packages.models import PackageFile

    objects = _objects(w)
    on_draft = services.file_add(
        actor=w.users["region_a"],
        version=objects["draft"],
        upload=SimpleUploadedFile("vejledning.pdf", b"%PDF-1.4 kladde"),
    )
    on_published = PackageFile(version=objects["published"], name="nsaid.pdf", size_bytes=12)
    on_published.file.save("matrix/nsaid.pdf", ContentFile(b"%PDF-1.4 ud"), save=True)
    w.__dict__["_files"] = {"draft": on_draft, "published": on_published}
    return w.__dict__["_files"]


def draft_file(w) -> dict:
    f = _files(w)["draft"]
    return {"pk": f.version_id, "file_pk": f.pk}


def published_file(w) -> dict:
    f = _files(w)["published"]
    return {"pk": f.version_id, "file_pk": f.pk}


ROWS |= {
    "packages:file.add": (draft, _publisher_post_only()),
    "packages:file.remove": (draft_file, _publisher_post_only()),
    "packages:file.download": (published_file, dict.fromkeys(ROLES, 200)),
}

WRITES |= {
    "packages:file.add": (draft, _publisher_write()),
    "packages:file.remove": (draft_file, _publisher_write()),
}
