"""The founding paperwork of a cluster (GOV-1), filled in with its data, as Word and PDF.

One source of content per document: `paperwork/<kind>.txt` is a Django template in a
small line-based markup (below) that is rendered with the cluster's facts and parsed
into a list of `Block`s. The blocks then go two ways:

* Word: `paperwork/base.docx` (built by `paperwork/build_base_docx.py`) is a single
  docxtpl template that loops over the blocks and gives each kind a named Word style,
  so the downloaded document is plain, editable Word text;
* PDF: `governance/paperwork_pdf.html` lays the same blocks out for WeasyPrint.

The documents are Danish legal texts, so the text lives in Danish in the templates and
is always rendered with Danish formats (dates like "1. marts 2019", "71.250 kr."),
whatever language the page that links to them is shown in.

Markup, one block per line (a plain line directly under a paragraph, item, bullet or
note continues it; a blank line ends it):

    # Title              > Subtitle            ## Heading          ### Subheading
    1. Numbered item     a) Lettered item      - Bullet            ~ Guidance (italic)
    _ Label              (a label followed by a line to write on; "_" alone: just a line)
    = Left | Right       (signature lines with the names under them; "| Right" optional)
    Anything else is a paragraph.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from klynge.core import pdf
from klynge.core.dates import today
from klynge.core.formatting import format_date, format_money, format_number
from klynge.governance.models import Statutes
from klynge.governance.selectors import statutes_on
from klynge.registry.models import Cluster
from klynge.registry.selectors import cluster_coordinator_on, cluster_memberships_on

SOURCE_DIR = Path(__file__).resolve().parent / "paperwork"
BASE_DOCX = SOURCE_DIR / "base.docx"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

KINDS: dict[str, Promise] = {
    "statutes": _("Standard statutes"),
    "founding_agenda": _("Agenda for the founding general assembly"),
    "founding_minutes": _("Minutes of the founding general assembly"),
    "annual_agenda": _("Notice and agenda for the annual general assembly"),
    "first_meeting": _("Agenda for the first cluster meeting"),
    "coordinator_contract": _("Coordinator contract"),
}
"""The documents in the order a new cluster needs them: kind → title."""

DESCRIPTIONS: dict[str, Promise] = {
    "statutes": _(
        "The cluster as an association: purpose, members' duties, general assembly, "
        "coordinator, finances and dissolution, with the rules of the statutes in force."
    ),
    "founding_agenda": _(
        "Founding the association, approving the statutes and composition, electing the "
        "coordinator."
    ),
    "founding_minutes": _(
        "For the bank and the Danish Business Authority: decisions, votes and elected "
        "persons, with lines to fill in and sign."
    ),
    "annual_agenda": _(
        "Chair of the meeting, report, accounts, budget, proposals, elections and any "
        "other business."
    ),
    "first_meeting": _("Getting started: organisation, meeting plan, data and the first topic."),
    "coordinator_contract": _(
        "Tasks, estimated hours and a fixed fee, from the cluster's fee contract if it has one."
    ),
}

FILENAMES = {
    "statutes": "vedtaegter",
    "founding_agenda": "dagsorden-stiftende-generalforsamling",
    "founding_minutes": "referat-stiftende-generalforsamling",
    "annual_agenda": "dagsorden-generalforsamling",
    "first_meeting": "dagsorden-foerste-klyngemoede",
    "coordinator_contract": "koordinatoraftale",
}

BLANK = "_" * 24
"""Where a fact is missing, a line to write it on."""

# The example in the start-up guide ("Kom godt i gang", section 8.1): 75 hours a year.
GUIDE_TASKS = [
    ("Opstart og registrering af klyngen", 10),
    ("Forberedelse og indkaldelse til 4 klyngemøder", 20),
    ("Ledelse af 4 klyngemøder af 2½ times varighed", 10),
    ("Opfølgning på 4 klyngemøder", 10),
    ("Kontaktperson for klyngen (4-6 årlige møder)", 15),
    ("Deltagelse i netværk mv.", 10),
]
GUIDE_HOURLY = Decimal(950)

FREQUENCY = {  # finance.PaymentFrequency → (Danish wording, instalments a year, per period)
    "monthly": ("månedligt", 12, "pr. måned"),
    "quarterly": ("kvartalsvis", 4, "pr. kvartal"),
    "yearly": ("årligt", 1, "én gang om året"),
}


# --- Blocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One paragraph of a document; `kind` picks its Word style and HTML element."""

    kind: str
    text: str = ""
    number: str = ""
    left: str = ""
    right: str = ""


_PREFIXES = (
    ("### ", "h2"),
    ("## ", "h1"),
    ("# ", "title"),
    ("> ", "subtitle"),
    ("- ", "bullet"),
    ("~ ", "note"),
)
_ITEM = re.compile(r"^(\d{1,2}[.)]|[a-zæøå][)])\s+(.+)$")
_CONTINUABLE = {"p", "item", "bullet", "note"}


def parse_blocks(text: str) -> list[Block]:
    """Parse the line markup of the module docstring into blocks (pure; no Django)."""
    blocks: list[Block] = []
    previous_blank = True
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            previous_blank = True
            continue
        block = _line_block(line)
        if block.kind == "p" and not previous_blank and blocks and blocks[-1].kind in _CONTINUABLE:
            last = blocks[-1]
            blocks[-1] = Block(last.kind, f"{last.text} {line}", last.number)
        else:
            blocks.append(block)
        previous_blank = False
    return blocks


def _line_block(line: str) -> Block:
    for prefix, kind in _PREFIXES:
        if line.startswith(prefix):
            return Block(kind, line[len(prefix) :].strip())
    if line == "_" or line.startswith("_ "):
        label = line[1:].strip()
        return Block("fill", f"{label}:" if label and label[-1] not in ":?" else label)
    if line.startswith("= "):
        left, _sep, right = line[2:].partition("|")
        return Block("sign", left=left.strip(), right=right.strip())
    item = _ITEM.match(line)
    if item:
        return Block("item", item.group(2), item.group(1))
    return Block("p", line)


# --- The cluster's facts --------------------------------------------------------------


@dataclass
class Rules:
    """The statutes' rules a document states; the defaults follow the standard statutes
    (50 % attendance, 14 days' notice, data sharing) when none are registered."""

    attendance_min_percent: int | None = 50
    notice_days: int = 14
    quorum_percent: int | None = None
    data_sharing_required: bool = True
    purpose: str = ""
    adopted: str = ""

    @property
    def notice_text(self) -> str:
        """As in "med mindst 14 dages varsel"."""
        return "1 dags" if self.notice_days == 1 else f"{self.notice_days} dages"

    @property
    def proposals_text(self) -> str:
        """Proposals are due a week before, or half the notice when that is shorter."""
        return _days(max(1, min(7, self.notice_days // 2)))

    @classmethod
    def of(cls, statutes: Statutes | None) -> Rules:
        if statutes is None:
            return cls()
        return cls(
            attendance_min_percent=statutes.attendance_min_percent,
            notice_days=statutes.notice_days,
            quorum_percent=statutes.quorum_percent,
            data_sharing_required=statutes.data_sharing_required,
            purpose=statutes.purpose.strip(),
            adopted=format_date(statutes.adopted),
        )


@dataclass
class Contract:
    recipient: str
    role: str
    tasks: list[tuple[str, str]] = field(default_factory=list)
    hours: str = ""
    hourly: str = ""
    yearly: str = ""
    frequency: str = ""
    instalment: str = ""
    start: str = ""
    from_fee_contract: bool = False


def _days(n: int) -> str:
    return "1 dag" if n == 1 else f"{n} dage"


def format_cvr(cvr: str) -> str:
    """A CVR number as its 8 digits, or a line to write it on when it is not known."""
    digits = "".join(ch for ch in cvr or "" if ch.isdigit())
    return digits.zfill(8) if digits else BLANK


def _hours(value: Decimal | int) -> str:
    value = Decimal(str(value))
    return format_number(value, 0 if value == value.to_integral_value() else 1)


def _contract(cluster: Cluster, on: dt.date, coordinator_name: str) -> Contract:
    """The coordinator's fee contract in force (FIN-4) or the guide's example."""
    from klynge.finance.models import FeeContract

    contracts = (
        FeeContract.objects.filter(cluster=cluster, start__lte=on)
        .exclude(end__lte=on)
        .order_by("-start", "-id")
    )
    fee = next(
        (c for c in contracts if "koordinator" in c.role.lower()),
        contracts.first(),
    )
    if fee is not None:
        tasks = [(str(t.get("task", "")), _hours(t.get("hours", 0))) for t in fee.tasks]
        hours, hourly, frequency = fee.hours, fee.hourly_basis, fee.frequency
        recipient, role, start = fee.recipient, fee.role, format_date(fee.start)
    else:
        tasks = [(task, _hours(h)) for task, h in GUIDE_TASKS]
        hours, hourly, frequency = (
            Decimal(sum(h for _t, h in GUIDE_TASKS)),
            GUIDE_HOURLY,
            "quarterly",
        )
        recipient, role, start = coordinator_name, "Klyngekoordinator", ""
    wording, instalments, per = FREQUENCY.get(frequency, FREQUENCY["quarterly"])
    yearly = hours * hourly
    amount = format_money(yearly / instalments, 2 if yearly % instalments else 0)
    return Contract(
        recipient=recipient,
        role=role,
        tasks=tasks,
        hours=_hours(hours),
        hourly=format_money(hourly),
        yearly=format_money(yearly),
        frequency=wording,
        instalment=f"{amount} {per}",
        start=start,
        from_fee_contract=fee is not None,
    )


def _fiscal_period(month: int) -> str:
    """A fiscal year starting in July: "løber fra 1. juli til 30. juni"."""
    first = dt.date(2001, month, 1)
    last = first - dt.timedelta(days=1)
    return f"løber fra {format_date(first).rsplit(' ', 1)[0]} til {format_date(last).rsplit(' ', 1)[0]}"


def cluster_facts(*, cluster: Cluster, on: dt.date | None = None) -> dict[str, Any]:
    """What the documents say about the cluster on `on` (today), formatted in Danish.
    Call it inside `translation.override("da")`."""
    on = on or today()
    coordinator = cluster_coordinator_on(cluster=cluster, on=on)
    coordinator_name = coordinator.name if coordinator else BLANK
    fiscal = cluster.fiscal_year_start_month
    return {
        "cluster_name": cluster.name,
        "cvr": format_cvr(cluster.cvr),
        "municipality": cluster.municipality.name,
        "region": cluster.region.name,
        "founded": format_date(cluster.founded),
        "today": format_date(on),
        "year": on.year,
        "fiscal_year": "følger kalenderåret" if fiscal == 1 else _fiscal_period(fiscal),
        "has_coordinator": coordinator is not None,
        "coordinator_name": coordinator_name,
        "coordinator_clinic": coordinator.clinic.name if coordinator else BLANK,
        "clinics": [
            {
                "name": m.clinic.name,
                "provider_number": m.clinic.provider_number,
                "address": ", ".join(
                    part
                    for part in (
                        m.clinic.address,
                        f"{m.clinic.postal_code} {m.clinic.city}".strip(),
                    )
                    if part
                ),
            }
            for m in cluster_memberships_on(cluster=cluster, on=on).select_related(
                "clinic__municipality"
            )
        ],
        "rules": Rules.of(statutes_on(cluster=cluster, on=on)),
        "contract": _contract(cluster, on, coordinator_name),
        "blank": BLANK,
    }


# --- Rendering ------------------------------------------------------------------------

_engine = Engine(
    dirs=[str(SOURCE_DIR)],
    autoescape=False,  # plain text: docxtpl and the HTML template escape what they output
    string_if_invalid="",
    libraries={"klynge": "klynge.core.templatetags.klynge"},
)


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise KeyError(kind)


def render_blocks(kind: str, cluster: Cluster, *, on: dt.date | None = None) -> list[Block]:
    """The document `kind` for `cluster`, filled in, as blocks. Raises KeyError for an
    unknown kind."""
    _check(kind)
    with translation.override("da"):
        text = _engine.get_template(f"{kind}.txt").render(
            Context(cluster_facts(cluster=cluster, on=on), autoescape=False)
        )
    return parse_blocks(text)


def _title(blocks: list[Block]) -> str:
    return next((b.text for b in blocks if b.kind == "title"), "")


def render_docx(kind: str, cluster: Cluster, *, on: dt.date | None = None) -> bytes:
    """The document as an editable Word file (.docx)."""
    from docxtpl import DocxTemplate

    blocks = render_blocks(kind, cluster, on=on)
    template = DocxTemplate(str(BASE_DOCX))
    template.render(
        {"blocks": blocks, "footer": f"{cluster.name} · {_title(blocks)}"}, autoescape=True
    )
    now = timezone.now().replace(microsecond=0, tzinfo=None)  # Word stores UTC
    properties = template.docx.core_properties
    properties.title = _title(blocks)
    properties.subject = cluster.name
    properties.author = properties.last_modified_by = cluster.name
    properties.comments = ""
    properties.language = "da-DK"
    properties.created = properties.modified = now
    properties.revision = 1
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render_pdf(kind: str, cluster: Cluster, *, on: dt.date | None = None) -> bytes:
    """The same document as PDF (A4, tagged)."""
    blocks = render_blocks(kind, cluster, on=on)
    # HTML wants consecutive bullets in one <ul>; Word styles each paragraph instead.
    grouped: list[Any] = []
    for is_bullet, run in itertools.groupby(blocks, key=lambda b: b.kind == "bullet"):
        if is_bullet:
            grouped.append({"kind": "bullets", "items": list(run)})
        else:
            grouped.extend(run)
    with translation.override("da"):
        html = render_to_string(
            "governance/paperwork_pdf.html",
            {"blocks": grouped, "title": _title(blocks), "cluster": cluster},
        )
    return pdf.render_pdf(html, author=cluster.name)
