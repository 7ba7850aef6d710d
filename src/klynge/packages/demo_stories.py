"""Demo content for the idea bank and good cluster stories (issue 13, item 7): ideas
from the college of GPs, the secretariat, a region and a cluster (one still waiting for
moderation), and two published stories from clusters whose demo data improved after a
dated intervention — each cluster adopted the idea its story came from. Written through
the services, after the quality demo (the stories' charts are drawn from its values);
the same seed and day give the same rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

IDEAS: list[dict[str, Any]] = [
    {
        "title": "Færre antibiotiske øjendråber til småbørn",
        "theme": "øjendråber",
        "problem": "Mange forældre får øjendråber med hjem til et barn med røde øjne, selv om "
        "de fleste tilfælde går over af sig selv på en uge.",
        "data": "Andelen af børn under 6 år med konjunktivitis, der får antibiotiske "
        "øjendråber, måned for måned.",
        "codes": ["ab_eye_drops"],
        "goal": ("ab_eye_drops", 0.35),
        "contributor": "DSAM",
    },
    {
        "title": "NSAID til ældre: en fælles seponeringsrunde",
        "theme": "nsaid",
        "problem": "Ældre med NSAID i fast behandling har øget risiko for blødning og "
        "nyrepåvirkning; mange behandlinger er fortsat af vane.",
        "data": "Andelen af patienter over 75 år med mindst én NSAID-recept i kvartalet.",
        "codes": ["nsaid_elderly"],
        "goal": ("nsaid_elderly", 0.05),
        "contributor": "Det nationale sekretariat",
    },
    {
        "title": "CRP ved luftvejsinfektioner: hvornår giver det mening?",
        "theme": "crp",
        "problem": "CRP-målinger ved forkølelse ændrer sjældent behandlingen, men fører ofte "
        "til flere antibiotikarecepter.",
        "data": "Antal CRP-målinger per 1.000 tilmeldte patienter, måned for måned.",
        "codes": ["crp_tests", "ab_broad_spectrum"],
        "goal": None,
        "contributor": "Kvalitetsenheden, Region Midtjylland",
    },
    {
        "title": "Gennemgang af medicinlister hos patienter med ti eller flere præparater",
        "theme": "polyfarmaci",
        "problem": "Polyfarmaci hos ældre øger risikoen for fald og indlæggelser; en "
        "systematisk gennemgang finder ofte præparater, der kan stoppes.",
        "data": "Andelen af patienter over 65 år med ti eller flere aktive præparater.",
        "codes": ["polypharmacy_65"],
        "goal": ("polypharmacy_65", 0.08),
        "contributor": "DSAM",
    },
    {
        "title": "Fælles nedtrapning af sovemedicin",
        "theme": "afhængighedsskabende medicin",
        "problem": "Langvarig brug af benzodiazepiner og lignende stoffer er svær at stoppe "
        "for den enkelte læge alene; en fælles plan i klyngen gør det lettere.",
        "data": "Andelen af patienter med benzodiazepiner eller opioider i mere end tre måneder.",
        "codes": ["benzodiazepines", "opioids"],
        "goal": ("benzodiazepines", 0.02),
        "contributor": "Roskildeklyngen",
    },
]

IDEAS += [
    {
        "title": "Årskontrol til alle med type 2-diabetes",
        "theme": "diabetes",
        "problem": "En del patienter med type 2-diabetes når ikke til årskontrol, og "
        "netop de har oftest et højt langtidsblodsukker.",
        "data": "Andelen med årskontrol inden for 12 måneder og andelen med HbA1c over "
        "58 mmol/mol.",
        "codes": ["diabetes_annual_control", "t2d_hba1c_over_58"],
        "goal": ("diabetes_annual_control", 0.9),
        "contributor": "DSAM",
    },
    {
        "title": "Bedre opfølgning efter udskrivelse",
        "theme": "genindlæggelser",
        "problem": "Ældre genindlægges ofte inden for 30 dage; en opringning i ugen efter "
        "udskrivelsen kunne fange en del.",
        "data": "Andelen af udskrivelser af patienter over 65 år, der følges af en "
        "genindlæggelse inden for 30 dage.",
        "codes": ["readmissions_30d"],
        "goal": None,
        "contributor": "Kvalitetsenheden, Region Nordjylland",
    },
    {
        "title": "Færre henvendelser til vagtlægen fra egne patienter",
        "theme": "lægevagt",
        "problem": "Patienter, der ikke kan komme igennem i dagtiden, ringer til "
        "lægevagten om aftenen med problemer, egen læge kunne have løst.",
        "data": "Kontakter til lægevagten per 1.000 tilmeldte patienter og patienternes "
        "tilfredshed med tilgængeligheden.",
        "codes": ["out_of_hours", "patient_satisfaction"],
        "goal": None,
        "contributor": "Det nationale sekretariat",
    },
]

WAITING: dict[str, Any] = {
    "title": "Et fælles overblik over kommunale tilbud",
    "theme": "kommunale tilbud",
    "problem": "Klinikkerne henviser meget forskelligt til kommunens forebyggelsestilbud, "
    "mest fordi ingen har overblik over, hvad der findes.",
    "codes": ["municipal_referrals"],
    "goal": None,
    "contributor": "Sydhavnsklyngen",
}

STORY_TEXT = (
    "Vi tog idéen op på et klyngemøde, så på vores egne tal i tragtdiagrammet og aftalte "
    "en fælles indsats: samme patientinformation i alle klinikker, en huskeregel i "
    "lægesystemet og en runde, hvor hver klinik gennemgik sine patienter. Efter et halvt "
    "år så vi på tallene igen. Det vigtigste, vi lærte: det er lettere at ændre vaner "
    "sammen end hver for sig."
)


class _Secretariat:
    is_secretariat = True
    is_authenticated = False
    pk = None

    def __str__(self) -> str:
        return "Sekretariatet"


def generate_ideas_and_stories(*, today: dt.date) -> None:
    from klynge.core.errors import DomainError
    from klynge.packages import ideas, stories
    from klynge.packages.models import Idea
    from klynge.quality.models import Indicator, Intervention

    actor = _Secretariat()
    by_indicator: dict[int, Idea] = {}
    idea: Idea | None
    for spec in IDEAS:
        goal = spec["goal"]
        idea = ideas.idea_submit(
            actor=actor,
            title=spec["title"],
            theme=spec["theme"],
            problem=spec["problem"],
            data_description=spec["data"],
            contributor=spec["contributor"],
            indicators=list(Indicator.objects.filter(code__in=spec["codes"])),
            goal_indicator=Indicator.objects.get(code=goal[0]) if goal else None,
            goal_target=goal[1] if goal else None,
        )
        idea = ideas.idea_publish(actor=actor, idea=idea)
        for indicator in idea.indicators.all():
            by_indicator.setdefault(indicator.pk, idea)
    ideas.idea_submit(
        actor=actor,
        title=WAITING["title"],
        theme=WAITING["theme"],
        problem=WAITING["problem"],
        contributor=WAITING["contributor"],
        indicators=list(Indicator.objects.filter(code__in=WAITING["codes"])),
    )

    # Two stories from clusters whose data improved after an intervention, preferring
    # those whose indicator an idea works with (the cluster adopted that idea).
    candidates = sorted(
        Intervention.objects.filter(cluster__dissolved__isnull=True, date__lt=today)
        .select_related("cluster", "indicator")
        .order_by("cluster_id", "id"),
        key=lambda i: (i.indicator_id not in by_indicator, i.cluster_id, i.pk),
    )
    written, used = 0, set()
    for intervention in candidates:
        if written == 2:
            break
        cluster = intervention.cluster
        if cluster.pk in used:
            continue
        idea = by_indicator.get(intervention.indicator_id)
        if idea is not None:
            ideas.idea_adopt(actor=None, idea=idea, cluster=cluster)
        try:
            story = stories.story_draft(
                actor=actor,
                cluster=cluster,
                indicator=intervention.indicator,
                title=f"{cluster.name}: {intervention.indicator.title_da.lower()} – sådan gjorde vi",
                body=STORY_TEXT,
                idea=idea,
            )
        except DomainError:  # no data for a chart in this cluster: try the next one
            continue
        used.add(cluster.pk)
        stories.story_submit(actor=actor, story=story)
        stories.story_review(actor=actor, story=story)
        approved_on = today - dt.timedelta(days=21 + 7 * written)
        story = stories.story_approve(actor=actor, story=story, on=approved_on)
        # The demo's doctors were told weeks ago: the worker skips these notices.
        story.notices.update(sent_at=story.approved_at)
        written += 1


def clear_ideas_and_stories() -> None:
    from klynge.packages.models import Idea, IdeaAdoption, Story, StoryNotice

    StoryNotice.objects.all().delete()
    Story.objects.all().delete()
    IdeaAdoption.objects.all().delete()
    Idea.objects.all().delete()
