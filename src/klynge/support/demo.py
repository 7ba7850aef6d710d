"""Demo content for the support desk: news from the secretariat and the regions, and a
facilitation course with one full session and a waiting list. Deterministic for the
seed and the generator's `--today` (registered from `SupportConfig.ready`)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zoneinfo

from django.db import transaction
from django.utils import timezone

from klynge.accounts.models import User
from klynge.demo.dataset import DEMO_DOMAIN
from klynge.registry.selectors import regions_on
from klynge.support.models import (
    Audience,
    Booking,
    Course,
    CourseSession,
    DigestMail,
    DigestSubscription,
    NewsItem,
    WaitingEntry,
)

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


NEWS = [
    (
        40,
        Audience.COORDINATORS,
        "Planlagte kurser for klyngekoordinatorer",
        'Sekretariatet udbyder i det kommende halvår kurset "Facilitering af '
        'klyngemøder" for nye og erfarne klyngekoordinatorer. Kurset varer en dag og '
        "handler om at lede en faglig drøftelse, få alle i tale og omsætte data til "
        "aftaler i klyngen.\n\nTilmelding sker under Kurser. Er et hold fuldt, kan du "
        "skrive dig på ventelisten; bliver en plads ledig, får du besked og kan tage "
        "pladsen inden for 48 timer.",
    ),
    (
        25,
        Audience.PUBLIC,
        "Henvendelser fra eksterne samarbejdspartnere",
        "Styregruppen har drøftet de mange henvendelser, klyngerne får fra kommuner, "
        "forskere, patientforeninger og firmaer. Klyngerne er åbne for samarbejde, men "
        "koordinatorerne skal ikke kimes ned. Henvendelser går derfor fremover gennem "
        "sekretariatet, som sorterer og prioriterer dem, før de sendes videre til de "
        "klynger, de er relevante for.",
    ),
    (
        12,
        Audience.PUBLIC,
        "Nye datasæt til klyngemøderne",
        "Der er nu opgørelser over antibiotikaordinationer og opfølgning på kronisk "
        "sygdom opdateret til og med sidste måned. Koordinatorerne kan trække dem ind i "
        "mødepakken til næste klyngemøde.",
    ),
    (
        3,
        Audience.COORDINATORS,
        "Husk årsberetningen",
        "Klyngernes aktivitetsopgørelse for året skal sendes til sekretariatet senest "
        "1. marts. Platformen samler møder, fremmøde og temaer, så beretningen for det "
        "meste skriver sig selv.",
    ),
]

REGIONAL = (
    "Netværksmøde for klyngekoordinatorer i regionen",
    "Kvalitetsenheden inviterer regionens klyngekoordinatorer til netværksmøde med "
    "erfaringsudveksling om mødeformer og datafortolkning. Tid og sted følger i "
    "invitationen.",
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


def generate_support(*, seed: int = 1, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    rng = random.Random(seed + 1414)
    with transaction.atomic():
        secretariat = User.objects.filter(is_secretariat=True, email__endswith=DEMO_DOMAIN).first()
        for days_ago, audience, title, body in NEWS:
            NewsItem.objects.create(
                title=title,
                body=body,
                audience=audience,
                published=_at(today - dt.timedelta(days=days_ago), 9 + rng.randrange(4)),
                author=secretariat,
            )
        for i, region in enumerate(regions_on(today).order_by("code")):
            staff = User.objects.filter(region=region, email__endswith=DEMO_DOMAIN).first()
            NewsItem.objects.create(
                title=REGIONAL[0],
                body=REGIONAL[1],
                audience=Audience.REGION,
                region=region,
                published=_at(today - dt.timedelta(days=6 + i), 10),
                author=staff,
                publisher_region=region,
            )
        course = Course.objects.create(
            title="Facilitering af klyngemøder",
            audience="klyngekoordinatorer",
            description=(
                "En kursusdag om at lede klyngemøder: dagsorden, den gode drøftelse, "
                "data som afsæt for aftaler, og hvordan man får alle i tale. Kurset "
                "følges op af lokale netværk og supervision."
            ),
        )
        full = CourseSession.objects.create(
            course=course,
            starts=_at(today + dt.timedelta(days=30), 9),
            ends=_at(today + dt.timedelta(days=30), 16),
            place="Comwell, Kolding",
            seats=4,
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),  # same demo, same calendar UID
        )
        CourseSession.objects.create(
            course=course,
            starts=_at(today + dt.timedelta(days=65), 9),
            ends=_at(today + dt.timedelta(days=65), 16),
            place="Scandic, Roskilde",
            seats=20,
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        Course.objects.create(
            title="Datafortolkning for datapersoner",
            audience="klyngernes datapersoner",
            description=(
                "Sådan læser man tragt- og serieplot, og hvornår en forskel er værd at "
                "drøfte i klyngen. Nye hold annonceres her."
            ),
        )
        # The full session: four seats taken, the demo coordinator on the waiting list.
        names = ["Anne Holm", "Jens Bak", "Mette Lund", "Søren Krogh", "Lise Dahl"]
        participants = [
            User.objects.get_or_create(
                email=f"deltager{i + 1}@{DEMO_DOMAIN}", defaults={"name": name}
            )[0]
            for i, name in enumerate(names)
        ]
        for user in participants[:4]:
            Booking.objects.create(session=full, user=user)
        waiting = [participants[4]]
        coordinator = User.objects.filter(email=f"koordinator@{DEMO_DOMAIN}").first()
        if coordinator is not None:
            waiting.append(coordinator)
        for user in waiting:
            WaitingEntry.objects.create(session=full, user=user)


def clear_support() -> None:
    with transaction.atomic():
        DigestMail.objects.all().delete()
        DigestSubscription.objects.all().delete()
        WaitingEntry.objects.all().delete()
        Booking.objects.all().delete()
        CourseSession.objects.all().delete()
        Course.objects.all().delete()
        NewsItem.objects.all().delete()
        User.objects.filter(
            email__startswith="deltager", email__endswith=f"@{DEMO_DOMAIN}"
        ).delete()
