"""Demo content for packages and data orders, placed around the demo's day (`today`):
national packages from the secretariat on six themes, regional packages overlapping
two of them (with other lead times and meeting structures), a regional draft revising a
package, the practice systems with extraction guides, and data orders from clusters in
several regions — open, overdue, in progress and one declined with its reason. Written
through the services; the same seed and day give the same rows."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from klynge.packages.demo_stories import clear_ideas_and_stories, generate_ideas_and_stories
from klynge.packages.models import EhrSystem, Package

SYSTEMS = [
    ("XMO", "CGM"),
    ("WinPLC", "CGM"),
    ("Clinea", "EG Healthcare"),
    ("MyClinic", "MyClinic ApS"),
    ("Novax", "Novax A/S"),
]


@dataclass
class _Staff:
    """The demo writes as the secretariat (every publisher's staff may be helped by it)."""

    is_secretariat: bool = True
    is_authenticated: bool = False
    pk: None = None


def _agenda(*items: tuple[str, int, str]) -> list[dict[str, Any]]:
    return [{"title": t, "duration": d, "description": x} for t, d, x in items]


NATIONAL = [
    {
        "theme": "øjendråber",
        "title": "Antibiotiske øjendråber ved øjenbetændelse",
        "why": "Akut konjunktivitis går oftest over af sig selv inden for en uge, men mange "
        "børn får alligevel antibiotiske øjendråber – ofte fordi institutionen beder om det.",
        "summary": "Afvent og rens øjet med saltvand de første dage. Overvej dråber ved "
        "kraftigt purulent sekret eller ingen bedring efter 5-7 dage. Giv forældrene en "
        "skriftlig besked til institutionen: der er ikke krav om behandling for at komme i "
        "institution.",
        "codes": ["ab_eye_drops"],
        "lead": 60,
        "agenda": _agenda(
            ("Velkommen og dagsorden", 5, ""),
            ("Hvad siger vejledningen om røde øjne?", 20, "Kort oplæg ved en af lægerne"),
            ("Vores tal: dråber pr. 1.000 børn", 30, "Tragtdiagram og udvikling over tid"),
            ("Hvad gør vi i telefonen og i konsultationen?", 25, "Fælles formulering"),
            ("Aftaler og opfølgning", 10, ""),
        ),
        "prerequisites": "Hver klinik har givet samtykke til at dele sine tal i klyngen.",
    },
    {
        "theme": "nsaid",
        "title": "NSAID til ældre",
        "why": "NSAID giver blødninger, nyresvigt og forværring af hjertesvigt hos ældre. "
        "En stor del af recepterne er fornyelser, som ingen har taget stilling til i et år.",
        "summary": "Undgå NSAID hos patienter over 75 og ved nyre- eller hjertesygdom. "
        "Paracetamol først; ved behov for NSAID korteste varighed og laveste dosis, altid "
        "med protonpumpehæmmer.",
        "codes": ["nsaid_elderly"],
        "lead": 60,
        "agenda": _agenda(
            ("Velkommen", 5, ""),
            ("Risici ved NSAID hos ældre", 15, ""),
            ("Vores data: andel ældre med NSAID", 30, ""),
            ("Gennemgang af egne patienter (anonymt)", 30, "Medbring 5 journaler hver"),
            ("Hvad vil vi ændre?", 15, ""),
        ),
        "prerequisites": "",
    },
    {
        "theme": "crp",
        "title": "CRP ved luftvejsinfektioner",
        "why": "CRP-målinger ved ukomplicerede luftvejsinfektioner fører ofte til mere "
        "antibiotika, ikke mindre.",
        "summary": "Mål CRP, når det ændrer beslutningen: ved mistanke om pneumoni uden "
        "entydige fund. Ikke ved forkølelse eller halsbetændelse med typiske symptomer.",
        "codes": ["crp_tests", "ab_broad_spectrum"],
        "lead": 45,
        "agenda": _agenda(
            ("Velkommen", 5, ""),
            ("Hvornår giver CRP mening?", 20, ""),
            ("Vores CRP-forbrug pr. 1.000 patienter", 30, ""),
            ("Cases fra hverdagen", 30, ""),
            ("Aftaler", 10, ""),
        ),
        "prerequisites": "",
    },
    {
        "theme": "bredspektret antibiotika",
        "title": "Bredspektret antibiotika i almen praksis",
        "why": "Bredspektrede midler driver resistens. Smalspektret penicillin er førstevalg "
        "ved de fleste infektioner i almen praksis.",
        "summary": "Penicillin V ved luftvejsinfektioner; pivmecillinam eller sulfamethizol "
        "ved ukompliceret cystitis. Bredspektret kun efter dyrkning eller ved særlige forhold.",
        "codes": ["ab_broad_spectrum"],
        "lead": 60,
        "agenda": _agenda(
            ("Velkommen", 5, ""),
            ("Resistens i Danmark: status", 15, ""),
            ("Vores andel bredspektret", 30, ""),
            ("Hvad står i vejen for førstevalget?", 30, ""),
            ("Aftaler", 10, ""),
        ),
        "prerequisites": "",
    },
    {
        "theme": "polyfarmaci",
        "title": "Polyfarmaci hos ældre",
        "why": "Ældre med mange lægemidler har flere bivirkninger, fald og indlæggelser. En "
        "struktureret medicingennemgang kan fjerne mindst ét præparat hos de fleste.",
        "summary": "Gennemgå medicinen hos patienter over 65 med 10 eller flere faste "
        "præparater mindst én gang om året. Brug en fast model (fx STOPP/START).",
        "codes": ["polypharmacy_65"],
        "lead": 60,
        "agenda": _agenda(
            ("Velkommen", 5, ""),
            ("Medicingennemgang: en model", 20, ""),
            ("Vores tal: patienter med 10+ præparater", 25, ""),
            ("Gennemgang af en anonym case", 35, ""),
            ("Aftaler og opfølgning", 10, ""),
        ),
        "prerequisites": "Adgang til FMK for de patienter, der gennemgås.",
    },
    {
        "theme": "afhængighedsskabende medicin",
        "title": "Afhængighedsskabende lægemidler",
        "why": "Benzodiazepiner, z-præparater og opioider skaber afhængighed; mange "
        "behandlinger fortsætter langt ud over den anbefalede varighed.",
        "summary": "Korteste mulige behandling; aftal udtrapning fra start. Fornyelse kræver "
        "en konsultation. Følg op på langvarige brugere med en plan.",
        "codes": ["benzodiazepines", "opioids"],
        "lead": 60,
        "agenda": _agenda(
            ("Velkommen", 5, ""),
            ("Reglerne for ordination", 15, ""),
            ("Vores langvarige brugere", 30, ""),
            ("Udtrapning i praksis", 30, ""),
            ("Aftaler", 10, ""),
        ),
        "prerequisites": "",
    },
]

# Regional packages on the same themes: other lead times, other meeting structures.
REGIONAL = [
    (
        1082,
        {
            "theme": "nsaid",
            "title": "NSAID – ældre og nyrer",
            "why": "I regionen får flere ældre NSAID end landsgennemsnittet.",
            "summary": "Som den nationale vejledning, med fokus på eGFR under 60.",
            "codes": ["nsaid_elderly"],
            "lead": 56,
            "agenda": _agenda(
                ("Velkommen", 5, ""),
                ("Vores data fra regionens datakuffert", 40, ""),
                ("Nyrefunktion og NSAID", 20, "Oplæg ved regionens kvalitetskonsulent"),
                ("Aftaler", 15, ""),
            ),
            "prerequisites": "",
        },
    ),
    (
        1083,
        {
            "theme": "crp",
            "title": "CRP – brug den rigtigt",
            "why": "Regionens klynger bruger CRP mere end resten af landet.",
            "summary": "Mål CRP, når det ændrer beslutningen.",
            "codes": ["crp_tests"],
            "lead": 60,
            "agenda": _agenda(
                ("Velkommen", 5, ""),
                ("Vores CRP-data", 30, ""),
                ("Telefonvisitation og CRP", 30, ""),
                ("Aftaler", 10, ""),
            ),
            "prerequisites": "Klinikkerne bruger samme analysekode for CRP.",
        },
    ),
]

GUIDE = (
    "Vælg rapporten for ordinationer i perioden, filtrér på ATC-koden og alder, og gem "
    "som CSV. Kolonner: ydernummer, indikator, periode, tæller, nævner."
)


def _publish(actor: Any, publisher: Any, spec: dict[str, Any], on: dt.date) -> Any:
    from klynge.packages import services
    from klynge.quality.models import Indicator

    systems = list(EhrSystem.objects.order_by("name"))
    version = services.package_create(
        actor=actor,
        theme=spec["theme"],
        publisher=publisher,
        title=spec["title"],
        why=spec["why"],
        summary=spec["summary"],
        agenda=spec["agenda"],
        lead_time_days=spec["lead"],
        prerequisites=spec["prerequisites"],
        indicators=list(Indicator.objects.filter(code__in=spec["codes"])),
        guides={s: f"{s.name}: {GUIDE}" for s in systems[:3]},
        reviewer="Overlæge Hanne Kjær" if publisher is None else "Kvalitetskonsulent Jens Mølgaard",
        revision_date=on.replace(year=on.year + 1),
    )
    services.version_review(actor=actor, version=version)
    return services.version_publish(actor=actor, version=version)


def generate_packages(*, seed: int, today: dt.date) -> None:
    from klynge.dataorders import services as orders
    from klynge.packages import services
    from klynge.registry.models import Cluster, Region
    from klynge.registry.selectors import region_of

    rng = random.Random(f"packages-{seed}")
    actor = _Staff()
    for name, vendor in SYSTEMS:
        EhrSystem.objects.get_or_create(name=name, defaults={"vendor": vendor})
    national = {spec["theme"]: _publish(actor, None, spec, today) for spec in NATIONAL}
    for code, spec in REGIONAL:
        region = Region.objects.filter(code=code).first()
        if region is not None:
            _publish(actor, region, spec, today)
    # Polypharmacy is followed by the dependence package; a revision is in draft.
    poly = national["polyfarmaci"]
    draft = services.version_new(actor=actor, package=poly.package)
    services.version_update(
        actor=actor,
        version=draft,
        lead_time_days=45,
        follow_up=national["afhængighedsskabende medicin"].package,
        change_note="Kortere forberedelsestid; opfølgningspakke tilføjet.",
    )

    # Data orders from clusters in several regions: one per region in each state.
    clusters = list(Cluster.objects.filter(dissolved__isnull=True).order_by("id"))
    rng.shuffle(clusters)
    by_region: dict[int, list[Any]] = {}
    for cluster in clusters:
        region = region_of(cluster.municipality_id, today)
        if region is not None:
            by_region.setdefault(region.pk, []).append(cluster)
    themes = list(national.values())
    year_ago = today.replace(year=today.year - 1, day=1)
    for code, members in sorted(by_region.items()):
        for i, (cluster, days_ago) in enumerate(zip(members[:4], (45, 30, 10, 3), strict=False)):
            version = themes[(code + i) % len(themes)]
            order = orders.order_create(
                actor=None,
                cluster=cluster,
                package=version,
                indicators=list(version.indicators.all()),
                description=version.title,
                period_start=year_ago,
                period_end=today - dt.timedelta(days=days_ago + 1),
                anonymised=i % 2 == 0,
                on=today - dt.timedelta(days=days_ago),
            )
            staff = _Staff()
            if i == 1:
                orders.order_start(actor=staff, order=order)
            elif i == 2:
                orders.order_decline(
                    actor=staff,
                    order=order,
                    reason="Perioden er ikke dækket endnu: regionens data for sidste måned "
                    "kommer først den 10. Bestil igen med periode til og med forrige måned.",
                )
            if i == 0:
                orders.message_add(
                    actor=staff,
                    order=order,
                    body="Vi har travlt; forvent et par dages forsinkelse.",
                )
    generate_ideas_and_stories(today=today)


def clear_packages() -> None:
    from klynge.dataorders.models import DataOrder, OrderMessage, OrderNotice, PurposeConsent
    from klynge.packages.models import ExtractionGuide, PackageFile, PackageVersion

    clear_ideas_and_stories()
    OrderNotice.objects.all().delete()
    PurposeConsent.objects.all().delete()
    OrderMessage.objects.all().delete()
    DataOrder.objects.all().delete()
    ExtractionGuide.objects.all().delete()
    PackageFile.objects.all().delete()
    PackageVersion.objects.all().delete()
    Package.objects.all().delete()
