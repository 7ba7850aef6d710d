""" "Mit overblik": the start page every logged-in user lands on, built once here and
extended by each domain (PLAT-7).

A domain contributes *sections* from its own `overview.py` (collected with
`autodiscover_modules("overview")`, so `core` imports no domain). A section says
whether it applies to a user on a day and computes its items from the domain's data
with the domain's own selectors; the start page renders the plain dataclasses below and
nothing else, so a template never holds logic and a section is tested by calling it.

Contract of a section (`Section`):
* `key` is unique and stable (tests and templates name it); `order` places it on the
  page (lower first; members' sections before the coordinator's, before money and the
  regions').
* `applies(user, on)` is cheap and true only when the user holds the role the section
  is for; the user is authenticated, unless the section says `public = True` (then it
  is also shown to visitors on the public front page, e.g. the programme's news). A user with several roles sees each
  applicable section once, because each section is asked once.
* `blocks(user, on)` returns one `Block` per context it covers (usually one per
  cluster the user has the role in, or a single block for a region-wide section); a
  block with no items shows its `empty` text, in Danish through gettext.
* Sections share per-request work through `memo(user, key, compute)` (the user object
  lives for one request), so a page costs a bounded number of queries whatever the
  number of sections.

The trade-off: a section cannot see another section's items (no cross-section
de-duplication); each keeps to its own question instead ("what must I do", "what is
late in my cluster").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

T = TypeVar("T")


@dataclass(frozen=True)
class Button:
    """One button of an item's form: posts `name=value` to the form's URL."""

    label: str
    name: str
    value: str
    pressed: bool = False  # the user's current answer


@dataclass(frozen=True)
class ItemForm:
    """A small form on an item (e.g. "Jeg kommer / Jeg kommer ikke"): a POST to `action`
    with one of `buttons`, then back to the start page (`next`)."""

    action: str
    buttons: tuple[Button, ...]
    legend: str = ""


@dataclass(frozen=True)
class Item:
    """One line of a section: what to look at or do, and where it is done.

    `tone` is "" (information), "due" (to do soon), "overdue" (late) or "done"; the page
    shows it as a word as well as a colour, so it does not rest on colour alone."""

    text: str
    url: str = ""
    detail: str = ""
    tone: str = ""
    form: ItemForm | None = None
    lines: tuple[str, ...] = ()  # sub-points (what is missing, who has not answered)

    @property
    def tone_label(self) -> str:
        """The tone as a word, shown beside the colour."""
        labels = {
            "due": _("To do"),
            "overdue": _("Overdue"),
            "done": _("Ready"),
        }
        return labels.get(self.tone, "")


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Block:
    """A section's items for one context (a cluster, a region, the nation)."""

    items: tuple[Item, ...]
    empty: str
    context: str = ""  # e.g. the cluster's name, shown beside the title
    link: Link | None = None  # the page where the job is done
    summary: str = ""  # one line above the items ("2 af 8 mangler")


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: str
    blocks: tuple[Block, ...]
    template_name: str = "core/overview/section.html"

    @property
    def several(self) -> bool:
        """More than one context (cluster): each block then names its own."""
        return len(self.blocks) > 1


class Section(Protocol):
    key: str
    order: int
    title: Any  # a (lazy) translated string, rendered with str()

    def applies(self, user: Any, on: dt.date) -> bool: ...

    def blocks(self, user: Any, on: dt.date) -> list[Block]: ...


_sections: dict[str, Section] = {}
_discovered = False


def register(section: Section) -> Section:
    """Add a section to the start page (called at import of a domain's `overview.py`).
    Registering the same key again replaces it (module reloads in tests)."""
    _sections[section.key] = section
    return section


def registered_sections() -> list[Section]:
    """Every section of every installed app, in page order."""
    global _discovered
    if not _discovered:
        autodiscover_modules("overview")
        _discovered = True
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def memo(user: Any, key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per user object (one request) and `key`: sections asking the
    same question (the user's clusters, the region's grant rows) share one answer."""
    cache: dict[Any, Any] = user.__dict__.setdefault("_klynge_overview", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@dataclass
class Overview:
    sections: list[RenderedSection] = field(default_factory=list)


def overview_for(*, user: Any, on: dt.date) -> Overview:
    """The start page of `user` on `on`: each applicable section once, with its blocks.
    Visitors who are not logged in get only the public sections."""
    overview = Overview()
    visitor = not getattr(user, "is_authenticated", False)
    for section in registered_sections():
        if visitor and not getattr(section, "public", False):
            continue
        if not section.applies(user, on):
            continue
        blocks = section.blocks(user, on)
        if not blocks:
            continue
        overview.sections.append(
            RenderedSection(
                key=section.key,
                title=str(section.title),
                blocks=tuple(blocks),
                template_name=getattr(section, "template_name", "core/overview/section.html"),
            )
        )
    return overview
