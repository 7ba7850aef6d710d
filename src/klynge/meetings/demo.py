"""Demo meetings for the synthetic register, placed around the demo's day (`today`):
two years of every cluster's past meetings with agendas, attendance (some doctors below
the statutes' 50 % rule), decisions, follow-up actions, evaluations and statutes, and
the meetings of the next five months (those within 30 days already invited). The
latest meeting's actions are open and due; one of the meeting before is still open and
overdue. In the demo coordinator's cluster the minutes of past meetings are approved
and kept as PDF, the members have e-mail addresses, a date poll is open and a general
assembly is planned, so every step can be tried. Written in bulk, with identifiers
drawn from the seed, so the same seed and day give the same rows."""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zoneinfo
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from klynge.demo.dataset import DEMO_DOMAIN
from klynge.governance.models import Election
from klynge.meetings import services
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.models import (
    Action,
    AgendaItem,
    Announcement,
    Attendance,
    Decision,
    Dispatch,
    EvaluationReceipt,
    EvaluationResponse,
    Guest,
    Meeting,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
    PollSlot,
    Rsvp,
    Speaker,
)
from klynge.quality.models import Indicator
from klynge.registry.models import Cluster, Doctor, Participation, RoleKind

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
THEMES = [
    "Antibiotika til luftvejsinfektioner",
    "Opioider og afhængighed",
    "Diabetes type 2: årskontrol",
    "KOL: spirometri og opfølgning",
    "Sovemedicin til ældre",
    "Hjertesvigt i almen praksis",
    "Depression: opfølgning efter diagnose",
    "Forebyggende helbredssamtaler",
]
EXCUSES = ["Sygdom", "Ferie", "Vagt i lægevagten", "Kursus", "Barn syg"]
# (month, day, kind) per year; the annual general assembly is in April.
CALENDAR = [
    (2, 24, "cluster"),
    (4, 22, "general_assembly"),
    (6, 10, "cluster"),
    (9, 16, "cluster"),
    (11, 11, "cluster"),
]


def _at(day: dt.date, hour: int = 17) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


UPCOMING_DAYS = 150  # meetings planned this far ahead
INVITED_DAYS = 30  # invitations go out this long before a meeting


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def generate_meetings(*, seed: int = 1, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        _generate(seed, today)


def _generate(seed: int, today: dt.date) -> None:
    rng = random.Random(seed + 4242)
    indicators = list(Indicator.objects.order_by("code"))
    clusters = list(Cluster.objects.select_related("municipality").order_by("id"))
    participations: dict[int, list[Participation]] = {}
    for p in Participation.objects.select_related("doctor").order_by("id"):
        participations.setdefault(p.cluster_id, []).append(p)
    now = timezone.now()
    meetings: list[Meeting] = []
    first, last = today - dt.timedelta(days=730), today + dt.timedelta(days=UPCOMING_DAYS)
    for cluster in clusters:
        theme_offset = rng.randrange(len(THEMES))
        n = 0
        for year in range(first.year, last.year + 1):
            for month, day, kind in CALENDAR:
                on = dt.date(year, month, day)
                if not first <= on <= last or on < cluster.founded:
                    continue
                starts = _at(on)
                invited = starts - dt.timedelta(days=INVITED_DAYS)
                if kind == "general_assembly":
                    title = f"Ordinær generalforsamling {year}"
                else:
                    title = THEMES[(theme_offset + n) % len(THEMES)]
                    n += 1
                meetings.append(
                    Meeting(
                        cluster=cluster,
                        title=title,
                        kind=kind,
                        starts=starts,
                        ends=starts + dt.timedelta(hours=2, minutes=30),
                        place=f"{cluster.municipality.name}, mødelokalet",
                        catering="Sandwich og kaffe",
                        invited_at=invited if invited <= now else None,
                        poll_closed_at=starts - dt.timedelta(days=40),
                        uid=_uuid(rng),
                    )
                )
    Meeting.objects.bulk_create(meetings)
    # Upcoming meetings have their agenda and themes; only held ones have the rest.
    held_meetings = [m for m in meetings if m.starts is not None and m.starts <= now]
    items: list[AgendaItem] = []
    follow_ups: dict[int, AgendaItem] = {}
    for meeting in meetings:
        template = "annual_assembly" if meeting.kind == "general_assembly" else "ordinary"
        for position, t in enumerate(TEMPLATES[template][1], start=1):
            item = AgendaItem(
                meeting=meeting,
                position=position,
                title=str(t.title),
                duration=t.duration,
                follow_up=t.follow_up,
                notes=(
                    "Drøftet. Se beslutninger og aktioner."
                    if position == 3 and meeting.starts is not None and meeting.starts <= now
                    else ""
                ),
            )
            items.append(item)
            if position == 3:
                follow_ups[meeting.pk] = item
    AgendaItem.objects.bulk_create(items)
    through = Meeting.indicators.through
    through.objects.bulk_create(
        through(meeting_id=m.pk, indicator_id=i.pk)
        for m in meetings
        if m.kind == "cluster"
        for i in rng.sample(indicators, 2)
    )
    attendance: list[Attendance] = []
    decisions: list[Decision] = []
    actions: list[Action] = []
    responses: list[EvaluationResponse] = []
    propensity: dict[int, float] = {}
    held: dict[int, list[dt.datetime]] = {}
    for m in held_meetings:
        assert m.starts is not None and m.cluster_id is not None  # the demo's are clusters'
        if m.kind == "cluster":
            held.setdefault(m.cluster_id, []).append(m.starts)
    latest = {c: max(starts) for c, starts in held.items()}
    before_latest = {c: sorted(starts)[-2] for c, starts in held.items() if len(starts) > 1}
    for meeting in held_meetings:
        assert meeting.starts is not None and meeting.cluster_id is not None
        on = meeting.starts.date()
        present_doctors = []
        for p in participations.get(meeting.cluster_id, []):
            if not (p.start <= on and (p.end is None or on < p.end)):
                continue
            share = propensity.setdefault(p.doctor_id, rng.choice([0.35, 0.6, 0.8, 0.9, 0.95]))
            roll = rng.random()
            if roll < share:
                status, reason = "present", ""
                present_doctors.append(p.doctor)
            elif roll < share + (1 - share) / 2:
                status, reason = "excused", rng.choice(EXCUSES)
            else:
                status, reason = "absent", ""
            attendance.append(
                Attendance(meeting=meeting, doctor_id=p.doctor_id, status=status, reason=reason)
            )
        item = follow_ups[meeting.pk]
        if meeting.kind == "cluster":
            decisions.append(
                Decision(
                    meeting=meeting,
                    item=item,
                    text=f"Vi arbejder med «{meeting.title}» frem til næste møde og følger data.",
                )
            )
            is_latest = meeting.starts == latest[meeting.cluster_id]
            is_before = meeting.starts == before_latest.get(meeting.cluster_id)
            for k, text in enumerate(
                ("Gennemgå egne patienter på listen", "Kort oplæg til næste møde")
            ):
                owner = rng.choice(present_doctors) if present_doctors else None
                # The latest meeting's actions are open; the first of the meeting before
                # is still open too, and by now overdue.
                still_open = is_latest or (is_before and k == 0)
                actions.append(
                    Action(
                        meeting=meeting,
                        item=item,
                        text=text,
                        owner=owner,
                        due=on + dt.timedelta(days=60),
                        status="open" if still_open else "done",
                        closed_on=None if still_open else on + dt.timedelta(days=50),
                    )
                )
        for _ in range(min(len(present_doctors), rng.randrange(3, 9))):
            responses.append(
                EvaluationResponse(
                    id=_uuid(rng),
                    meeting=meeting,
                    relevance=rng.choice([3, 4, 4, 5, 5]),
                    learning=rng.choice([3, 3, 4, 4, 5]),
                    organisation=rng.choice([2, 3, 4, 4, 5]),
                    comment=rng.choice(["", "", "Godt oplæg.", "Mere tid til data næste gang."]),
                )
            )
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    Decision.objects.bulk_create(decisions)
    Action.objects.bulk_create(actions)
    EvaluationResponse.objects.bulk_create(responses, batch_size=5000)
    _demo_cluster(rng, today)
    _rsvps(rng, participations)


def _rsvps(rng: random.Random, participations: dict[int, list[Participation]]) -> None:
    """ "Jeg kommer / jeg kommer ikke": about two in three members have answered each
    invitation to an upcoming meeting, most of them coming. The demo's member doctor
    has not, so the answer can be tried."""
    now = timezone.now()
    open_invitations = Meeting.objects.filter(
        starts__gt=now, invited_at__isnull=False, cancelled_at__isnull=True
    ).order_by("starts", "id")
    rows = []
    for meeting in open_invitations:
        assert meeting.starts is not None and meeting.invited_at is not None
        assert meeting.cluster_id is not None
        days = max(1, (now - meeting.invited_at).days)
        for p in participations.get(meeting.cluster_id, []):
            if p.end is not None or p.doctor.email == f"laege@{DEMO_DOMAIN}":
                continue
            if rng.random() < 0.65:
                rows.append(
                    Rsvp(
                        meeting=meeting,
                        doctor_id=p.doctor_id,
                        coming=rng.random() < 0.85,
                        answered_at=meeting.invited_at
                        + dt.timedelta(days=rng.randrange(days), hours=rng.randrange(2, 10)),
                    )
                )
    Rsvp.objects.bulk_create(rows, batch_size=5000)


def _demo_cluster(rng: random.Random, today: dt.date) -> None:
    """Approved minutes, e-mail addresses, an open poll and a planned general assembly
    in the demo coordinator's cluster."""
    coordinator = Doctor.objects.filter(user__email=f"koordinator@{DEMO_DOMAIN}").first()
    if coordinator is None:
        return
    role = coordinator.roles.filter(role=RoleKind.COORDINATOR, end__isnull=True).first()
    if role is None:
        return
    cluster = role.cluster
    members = [
        p.doctor
        for p in Participation.objects.filter(cluster=cluster, end__isnull=True).select_related(
            "doctor"
        )
    ]
    for doctor in members:
        if not doctor.email:
            doctor.email = f"{slugify(doctor.name)}.{doctor.pk}@{DEMO_DOMAIN}"
            doctor.save(update_fields=["email"])
    past = list(
        Meeting.objects.filter(cluster=cluster, starts__lt=timezone.now()).order_by("starts")
    )
    Speaker.objects.create(
        meeting=past[-1],
        name="Overlæge Hanne Krogh",
        organisation="Regionens lægemiddelkonsulenter",
        topic=past[-1].title,
        fee=2500,
    )
    for meeting in past[:-1]:  # the latest meeting's minutes are still a draft
        services.minutes_approve(actor=coordinator.user, meeting=meeting)
    _archive_names_from_seed(cluster, rng)
    poll = services.meeting_create(
        actor=coordinator.user,
        cluster=cluster,
        title="Hjertesvigt i almen praksis",
        template="ordinary",
        place=f"{cluster.municipality.name}, mødelokalet",
        catering="Sandwich og kaffe",
        indicators=Indicator.objects.order_by("code")[:2],
    )
    services.poll_open(
        actor=coordinator.user,
        meeting=poll,
        slots=[(_at(day), _at(day, 19)) for day in _weekdays_ahead(today, weeks=3)],
        notify=False,
    )
    services.poll_send(actor=coordinator.user, meeting=poll)  # one e-mail per member
    for doctor in members:
        if doctor.pk == coordinator.pk or rng.random() < 0.4:
            continue
        for slot in poll.slots.all():
            PollAnswer.objects.create(
                slot=slot, doctor=doctor, answer=rng.choice(["yes", "yes", "if_need_be", "no"])
            )
    created = [poll]
    invited = Meeting.objects.filter(
        cluster=cluster, starts__gt=timezone.now(), invited_at__isnull=False
    )
    if not invited.exists():  # the next meeting, in two weeks, with its invitation sent
        day = _weekdays_ahead(today, weeks=2)[0]
        meeting = services.meeting_create(
            actor=coordinator.user,
            cluster=cluster,
            title="Opfølgning: antibiotika og CRP",
            template="ordinary",
            starts=_at(day),
            ends=_at(day, 19),
            place=f"{cluster.municipality.name}, mødelokalet",
            catering="Sandwich og kaffe",
            indicators=Indicator.objects.order_by("code")[:2],
        )
        Meeting.objects.filter(pk=meeting.pk).update(invited_at=timezone.now())
        created.append(meeting)
    planned = Meeting.objects.filter(
        cluster=cluster, kind=MeetingKind.GENERAL_ASSEMBLY, starts__gt=timezone.now()
    )
    if not planned.exists():
        assembly_day = _weekdays_ahead(today, weeks=6)[0]
        created.append(
            services.meeting_create(
                actor=coordinator.user,
                cluster=cluster,
                title=f"Ordinær generalforsamling {assembly_day.year}",
                kind=MeetingKind.GENERAL_ASSEMBLY,
                template="annual_assembly",
                starts=_at(assembly_day, 18),
                ends=_at(assembly_day, 20),
                place=f"{cluster.municipality.name}, mødelokalet",
            )
        )
    for meeting in created:  # calendar identities from the seed, like the bulk-made ones
        Meeting.objects.filter(pk=meeting.pk).update(uid=_uuid(rng))
    Announcement.objects.create(
        cluster=cluster,
        title="Ny lægemiddelkonsulent i regionen",
        body="Regionen har ansat en ny lægemiddelkonsulent, som gerne kommer på besøg i klyngen.",
        created_by=coordinator.user,
    )


def _archive_names_from_seed(cluster: Cluster, rng: random.Random) -> None:
    """The archive stores each file under a random name (`documents.version_path`);
    the demo's are drawn from the seed instead, so the same seed and day give the same
    rows. They are as long and as unpredictable without the seed; files are only ever
    served through the archive's permission-checked view."""
    from klynge.documents.models import DocumentVersion

    for version in DocumentVersion.objects.filter(document__cluster=cluster).order_by("pk"):
        old = version.file.name
        new = f"documents/{cluster.pk}/{_uuid(rng).hex}{PurePosixPath(old).suffix}"
        with default_storage.open(old, "rb") as fh:
            content = fh.read()
        if default_storage.exists(new):
            default_storage.delete(new)
        default_storage.save(new, ContentFile(content))
        default_storage.delete(old)
        DocumentVersion.objects.filter(pk=version.pk).update(file=new)


def _weekdays_ahead(today: dt.date, *, weeks: int) -> list[dt.date]:
    """A Tuesday, the Wednesday a week after and the Thursday a week after that."""
    tuesday = today + dt.timedelta(days=7 * weeks + (1 - today.weekday()) % 7)
    return [tuesday, tuesday + dt.timedelta(days=8), tuesday + dt.timedelta(days=16)]


def clear_meetings() -> None:
    from klynge.documents.models import Document, DocumentVersion, Folder

    with connection.cursor() as cursor:
        for model in (
            Election,
            Rsvp,
            Dispatch,
            Announcement,
            EvaluationReceipt,
            EvaluationResponse,
            MinutesVersion,
            Action,
            Decision,
            Guest,
            Attendance,
            PollAnswer,
            PollSlot,
            Speaker,
            Meeting.indicators.through,
            Meeting.guest_clusters.through,
            AgendaItem,
            Meeting,
            DocumentVersion,
            Document,
            Folder,
        ):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
