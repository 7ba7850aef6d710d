"""Agenda templates (MEET-1, GOV-2): ordered items with minutes allotted. The item
flagged `follow_up` lists the cluster's open actions from earlier meetings by itself.
Titles are translated when the template is applied, so a Danish cluster gets Danish items."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TemplateItem:
    title: object  # a lazy translation
    duration: int
    follow_up: bool = False
    description: object = ""


TEMPLATES: dict[str, tuple[object, list[TemplateItem]]] = {
    "first": (
        _("First meeting"),
        [
            TemplateItem(_("Welcome and introductions"), 15),
            TemplateItem(_("What is a quality cluster? Purpose and the national framework"), 20),
            TemplateItem(_("Our expectations and ground rules"), 20),
            TemplateItem(_("Choice of coordinator and how we organise the work"), 20),
            TemplateItem(_("Data: which indicators we start with, consent to share"), 30),
            TemplateItem(_("Plan for the year's meetings and themes"), 15),
            TemplateItem(_("Any other business"), 5),
        ],
    ),
    "ordinary": (
        _("Ordinary cluster meeting"),
        [
            TemplateItem(_("Welcome and approval of the agenda"), 5),
            TemplateItem(_("Follow-up on actions from earlier meetings"), 15, follow_up=True),
            TemplateItem(_("Theme of the meeting"), 45),
            TemplateItem(_("Our data: the indicators chosen for the meeting"), 30),
            TemplateItem(_("Decisions and actions until next meeting"), 15),
            TemplateItem(_("Next meeting: date, theme and host"), 5),
            TemplateItem(_("Any other business"), 5),
        ],
    ),
    "founding_assembly": (
        _("Founding general assembly"),
        [
            TemplateItem(_("Election of a chair of the meeting and a minute-taker"), 5),
            TemplateItem(_("Founding of the association"), 10),
            TemplateItem(_("Adoption of the statutes"), 20),
            TemplateItem(_("The cluster's purpose and composition"), 15),
            TemplateItem(_("Election of the coordinator"), 10),
            TemplateItem(_("Election of the board (chair, treasurer, secretary)"), 10),
            TemplateItem(_("Fixing of the coordinator's fee"), 10),
            TemplateItem(_("Any other business"), 5),
        ],
    ),
    "annual_assembly": (
        _("Annual general assembly"),
        [
            TemplateItem(_("Election of a chair of the meeting"), 5),
            TemplateItem(_("The board's report"), 15),
            TemplateItem(_("Presentation and approval of the accounts"), 15),
            TemplateItem(_("Budget for the coming year"), 10),
            TemplateItem(_("Proposals received"), 15),
            TemplateItem(_("Elections"), 10),
            TemplateItem(_("Any other business"), 5),
        ],
    ),
}
