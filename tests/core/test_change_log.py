"""The change log reads as Danish sentences, one small template per action code with a
generic fallback, and entries find their cluster from the object they are about.

Every action code the code base writes is collected from the source (the `action=` of
each `audit_log(...)`, `AuditEntry(...)` and `AuditEntry.objects.create(...)` call,
resolved to concrete values: literals, f-strings over choices, names assigned from a
table or a loop, parameters followed to their callers). A code without its template, or
an expression the collector cannot resolve, fails here, so a new code cannot slip into
the log as the generic "Change recorded (code)" sentence."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

import klynge
from klynge.core.formatting import format_number
from klynge.core.models import AuditEntry, audit_log, audit_scope
from klynge.registry.dissolution import cluster_dissolve
from klynge.registry.models import Membership
from tests.world import World, build_world

SOURCE = Path(klynge.__file__).parent
LOG_ENTRY_DIR = SOURCE / "core" / "templates" / "core" / "log_entry"
FALLBACKS = ("Change recorded (", "Ændring registreret (")
MISSING = "«missing %s»"
DISSOLVED_ON = dt.date(2024, 1, 1)


@pytest.fixture
def world(db) -> World:
    return build_world()


def sentence(entry: AuditEntry, language: str = "da") -> str:
    with translation.override(language):
        return Template("{% load klynge %}{% log_entry e %}").render(Context({"e": entry}))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data", "expected"),
    [
        (
            "registry.membership.started",
            {"clinic": "100002", "start": "2019-03-01"},
            "Klinik 100002 blev medlem fra 1. marts 2019.",
        ),
        (
            "registry.membership.ended",
            {"clinic": "100002", "end": "2021-01-01"},
            "Klinik 100002 blev udmeldt pr. 1. januar 2021.",
        ),
        (
            "registry.role.assigned",
            {"role": "treasurer", "doctor": "Anne Berg", "start": "2019-03-01"},
            "Kasserer: Anne Berg fra 1. marts 2019.",
        ),
        (
            "finance.payout.recorded",
            {"year": 2020, "amount": "12500.00", "paid_on": "2020-02-03"},
            "Udbetaling af tilskud på 12.500\xa0kr. for 2020 registreret, betalt 3. februar 2020.",
        ),
        ("registry.cluster.registration_completed", {}, "Registreringen er fuldført."),
        ("no.such.code", {}, "Ændring registreret (no.such.code): Køgeklyngen."),
        ("../../secret", {}, "Ændring registreret (../../secret): Køgeklyngen."),
    ],
)
def test_each_code_is_a_danish_sentence(action, data, expected):
    entry = AuditEntry(action=action, data=data, object_repr="Køgeklyngen")
    assert sentence(entry) == expected


def test_scope_is_taken_from_the_object(world):
    membership = Membership.objects.filter(cluster=world.cluster_a).first()
    entry = audit_log(actor=None, action="registry.membership.started", target=membership)
    assert entry.scope == audit_scope(world.cluster_a) == f"cluster:{world.cluster_a.pk}"
    entry = audit_log(actor=None, action="registry.cluster.changed", target=world.cluster_b)
    assert entry.scope == f"cluster:{world.cluster_b.pk}"
    entry = audit_log(actor=None, action="x.y", target=membership.clinic, scope=world.cluster_b)
    assert entry.scope == f"cluster:{world.cluster_b.pk}"
    assert entry in AuditEntry.objects.for_scope(world.cluster_b)
    assert entry not in AuditEntry.objects.for_scope(world.cluster_a)
    assert audit_log(actor=None, action="x.y", target=membership.clinic).scope == ""


def test_history_page_shows_sentences(world, client):
    client.force_login(world.users["coordinator_a"])
    response = client.get(reverse("registry:cluster.history", args=[world.cluster_a.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "blev medlem fra 1. marts 2019." in html
    assert "Kasserer: " in html
    assert "Hillerødklyngen" not in html  # another cluster's entries stay out


def test_a_dissolved_clusters_history_reads_as_sentences(world, client):
    """The entries services really write (registration, members, roles, quality data,
    then a dissolution that ends every row) each have their own sentence."""
    cluster_dissolve(actor=world.users["secretariat"], cluster=world.cluster_a, on=DISSOLVED_ON)
    client.force_login(world.users["secretariat"])
    response = client.get(reverse("registry:cluster.history", args=[world.cluster_a.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "registry.cluster.dissolved" in html
    assert not any(fallback in html for fallback in FALLBACKS)


# --- Every code written has its sentence -------------------------------------------------


class Unresolved(Exception):
    """An `action=` expression the collector cannot turn into concrete codes."""


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]

    @classmethod
    def parse(cls, path: Path, text: str) -> Module:
        tree = ast.parse(text, filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        return cls(path, tree, parents)

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None


@dataclass(frozen=True)
class Site:
    """One place that writes an audit entry, the codes it can write and its `data=`."""

    where: str
    codes: frozenset[str]
    data: ast.expr | None


Scope = ast.FunctionDef | ast.AsyncFunctionDef | None


def _choices(modules: list[Module]) -> dict[str, str]:
    """`OrderStatus.ACCEPTED` → `"accepted"` for every class attribute assigned a string
    (or a `("value", label)` pair, as `TextChoices` are)."""
    values = {}
    for module in modules:
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for stmt in node.body:
                if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                    continue
                target, value = stmt.targets[0], stmt.value
                if isinstance(value, ast.Tuple) and value.elts:
                    value = value.elts[0]
                named = isinstance(target, ast.Name) and isinstance(value, ast.Constant)
                if named and isinstance(value.value, str):
                    values[f"{node.name}.{target.id}"] = value.value
    return values


def _is_writer(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"audit_log", "AuditEntry"}
    if isinstance(func, ast.Attribute):
        return func.attr == "audit_log" or (
            func.attr == "create" and ast.unparse(func.value) == "AuditEntry.objects"
        )
    return False


class Collector:
    """Resolves `action=` expressions to the codes they can take, statically."""

    def __init__(self, modules: list[Module]):
        self.modules = modules
        self.choices = _choices(modules)

    def sites(self) -> Iterator[Site]:
        for module in self.modules:
            for node in ast.walk(module.tree):
                if not (isinstance(node, ast.Call) and _is_writer(node.func)):
                    continue
                keywords = {k.arg: k.value for k in node.keywords}
                function = module.function_of(node)
                if "action" not in keywords or getattr(function, "name", "") == "audit_log":
                    continue  # audit_log itself passes its parameter on
                where = f"{module.path.relative_to(SOURCE)}:{node.lineno}"
                try:
                    codes = self.codes(keywords["action"], module, function)
                except Unresolved as error:
                    raise Unresolved(f"{where}: cannot resolve action={error}") from None
                yield Site(where, frozenset(codes), keywords.get("data"))

    def codes(self, expr: ast.expr, module: Module, scope: Scope) -> set[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.JoinedStr):
            results = {""}
            for part in expr.values:
                if isinstance(part, ast.FormattedValue):
                    options = self.codes(part.value, module, scope)
                elif isinstance(part, ast.Constant):
                    options = {str(part.value)}
                else:
                    raise Unresolved(ast.unparse(expr))
                results = {r + o for r in results for o in options}
            return results
        if isinstance(expr, ast.IfExp):
            return self.codes(expr.body, module, scope) | self.codes(expr.orelse, module, scope)
        if isinstance(expr, ast.Attribute) and ast.unparse(expr) in self.choices:
            return {self.choices[ast.unparse(expr)]}
        if isinstance(expr, ast.Subscript):  # a table such as DOCUMENT_FIELDS[kind]
            found: set[str] = set()
            for definition, where in self.definitions(expr.value, module, scope):
                if not isinstance(definition, ast.Dict):
                    raise Unresolved(ast.unparse(expr))
                for value in definition.values:
                    found |= self.codes(value, module, where)
            return found
        if isinstance(expr, ast.Name | ast.Attribute):
            found = set()
            for definition, where in self.definitions(expr, module, scope):
                found |= self.codes(definition, module, where)
            return found
        raise Unresolved(ast.unparse(expr))

    def definitions(
        self, expr: ast.expr, module: Module, scope: Scope
    ) -> list[tuple[ast.expr, Scope]]:
        """What `expr` (a name or `obj.attr`) is assigned from: in the function (plain
        and tuple assignments, `for` loops over a literal tuple), else the arguments
        its callers pass for the parameter, else the module's assignments."""
        name = ast.unparse(expr)
        owners: list[tuple[ast.AST, Scope]] = [(module.tree, None)]
        if scope is not None:
            owners.insert(0, (scope, scope))
        for owner, where in owners:
            nodes = ast.walk(owner) if where is not None else iter(module.tree.body)
            found = []
            for node in nodes:
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        found += [(v, where) for v in _bound(target, node.value, name)]
                if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List):
                    for item in node.iter.elts:
                        found += [(v, where) for v in _bound(node.target, item, name)]
            if found:
                return found
            if where is not None and isinstance(expr, ast.Name):
                args = where.args
                positional = [a.arg for a in args.posonlyargs + args.args]
                if expr.id in positional + [a.arg for a in args.kwonlyargs]:
                    return self.arguments(where, expr.id, positional, module)
        raise Unresolved(name)

    def arguments(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str, positional, module
    ) -> list[tuple[ast.expr, Scope]]:
        found = []
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == function.name):
                continue
            caller = module.function_of(node)
            found += [(k.value, caller) for k in node.keywords if k.arg == parameter]
            if parameter in positional and positional.index(parameter) < len(node.args):
                found.append((node.args[positional.index(parameter)], caller))
        if not found:
            raise Unresolved(f"{function.name}({parameter})")
        return found


def _bound(target: ast.expr, value: ast.expr, name: str) -> list[ast.expr]:
    if ast.unparse(target) == name:
        return [value]
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        return [v for t, v in zip(target.elts, value.elts, strict=False) if ast.unparse(t) == name]
    return []


def source_modules() -> list[Module]:
    return [
        Module.parse(path, path.read_text(encoding="utf-8"))
        for path in sorted(SOURCE.rglob("*.py"))
    ]


@pytest.fixture(scope="module")
def collector() -> Collector:
    return Collector(source_modules())


@pytest.fixture(scope="module")
def sites(collector) -> list[Site]:
    return list(collector.sites())


def test_the_collector_resolves_each_kind_of_action_expression():
    text = """
TABLE = {"minutes": "registry.cluster.minutes_uploaded"}
CONSTANT = "finance.statement.imported"

class Status(TextChoices):
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")

def _move(actor, thing, *, to):
    audit_log(actor=actor, action=f"x.thing.{to}")

def done(actor, thing):
    _move(actor, thing, to=Status.DONE)

def drop(actor, thing):
    _move(actor, thing, to=Status.DROPPED)

def upload(actor, kind):
    audit_log(actor=actor, action=TABLE[kind])
    AuditEntry.objects.create(action=CONSTANT)
    for model, action in ((A, "x.a.ended"), (B, "x.b.ended")):
        audit_log(actor=actor, action=action)
    thing.status = Status.DONE if kind else Status.DROPPED
    audit_log(actor=actor, action=f"x.claim.{thing.status}")
"""
    module = Module.parse(SOURCE / "example.py", text)
    codes = {code for site in Collector([module]).sites() for code in site.codes}
    assert codes == {
        "x.thing.done",
        "x.thing.dropped",
        "registry.cluster.minutes_uploaded",
        "finance.statement.imported",
        "x.a.ended",
        "x.b.ended",
        "x.claim.done",
        "x.claim.dropped",
    }
    unknown = Module.parse(SOURCE / "unknown.py", "audit_log(actor=None, action=code_of(x))")
    with pytest.raises(Unresolved, match=r"unknown\.py:1: "):
        list(Collector([unknown]).sites())


def test_the_collector_finds_the_codes_the_code_base_writes(sites):
    codes = {code for site in sites for code in site.codes}
    # Literals, a loop (dissolution), a table (DOCUMENT_FIELDS), a module constant
    # (finance.bank.IMPORT_ACTION) and f-strings over choices are all found.
    assert {
        "registry.membership.started",
        "registry.role.ended",
        "registry.cluster.founding_minutes_uploaded",
        "finance.statement.imported",
        "finance.claim.approved",
        "finance.claim.rejected",
        "packages.idea.published",
        "dataorders.order.in_progress",
    } <= codes
    assert not any("{" in code for code in codes)
    assert len(codes) > 100


def test_every_action_code_written_has_its_template(sites):
    missing = {}
    for site in sites:
        for code in site.codes:
            try:
                get_template(f"core/log_entry/{code}.html")
            except TemplateDoesNotExist:
                missing.setdefault(code, []).append(site.where)
    assert not missing, f"action codes without core/log_entry/<code>.html: {missing}"


def test_every_template_belongs_to_a_code_written(sites):
    codes = {code for site in sites for code in site.codes}
    templates = {
        path.name.removesuffix(".html")
        for path in LOG_ENTRY_DIR.glob("*.html")
        if not path.name.startswith("_") and path.name != "default.html"
    }
    assert templates - codes == set(), "templates for codes nothing writes (renamed?)"


# Realistic values, as services log them (dates and amounts as text, names, counts).
# A key a writer logs that is neither here nor in PER_CODE fails the test below.
VALUES: dict[str, Any] = {
    "administration": "central",
    "adopted": "2026-04-20",
    "again": False,
    "amount": "1234.50",
    "approve": True,
    "as_of": "2026-05-01",
    "attempt": 2,
    "attendance_min_percent": 50,
    "audience": "coordinators",
    "bank_account": "5820",
    "booked": 14,
    "capacities": 38,
    "category": "catering",
    "changed": ["starts", "place"],
    "clinic": "100002",
    "clusters": [3, 7],
    "coming": True,
    "course": 4,
    "cpr": False,
    "data_sharing_required": True,
    "date": "2026-03-15",
    "dates": 3,
    "doctor": "Anne Berg",
    "document": 31,
    "due": "2026-06-30",
    "email": "anne.berg@example.dk",
    "end": "2027-01-01",
    "end_lifted": "2026-12-31",
    "errors": 3,
    "expires": "2026-06-01T12:00:00+02:00",
    "fee": "2500.00",
    "fields": ["title", "summary"],
    "file": "lab-0101901234.csv",  # a refused file's name may hold a CPR number
    "filename": "referat-marts.pdf",
    "folder": "Referater",
    "founded": "2019-03-01",
    "generated": False,
    "group": 2,
    "hand_over_by": "2026-12-31",
    "indicator": "DM-HBA1C",
    "item": 17,
    "items": 4,
    "lines": 12,
    "listed_patients": 11234,
    "mails": 25,
    "marks": 9,
    "matched": 3,
    "meetings": 4,
    "municipality": 259,
    "name": "Mette Holm",
    "network": 3,
    "new_document": True,
    "not_answered": 5,
    "note": "Fjern klinikkens navn i afsnit 2.",
    "notice_days": 14,
    "number": 2,
    "old": "gammel@example.dk",
    "on": "2027-01-01",
    "order": 8,
    "over_cap": [9],
    "paid_on": "2026-02-03",
    "parent": None,
    "payer": 1084,
    "prefix": "kl_3f9a",
    "presentation": "open",
    "provider_number": "100002",
    "public_from": "2026-06-10",
    "purpose": "Diabetesaudit 2026",
    "quorum_percent": 50,
    "reason": "Bogført to gange",
    "recipients": 23,
    "region": 1084,
    "replaced": 0,
    "returned": "48250.00",
    "reviewer": "Sekretariatet",
    "role": "treasurer",
    "rows": 1250,
    "scale": "small",
    "seats": 20,
    "seed": 42,
    "sequence": 1,
    "sha256": "9f2c" * 16,
    "size": 48213,
    "skipped": 2,
    "slots": ["2026-05-04T17:00:00+02:00", "2026-05-11T17:00:00+02:00"],
    "start": "2027-01-01",
    "starts": "2026-05-04T17:00:00+02:00",
    "target": 0.8,
    "text": "Forplejning til klyngemøde",
    "theme": "Diabetes",
    "title": "Klyngemøde om diabetes",
    "today": "2026-12-02",
    "told": 14,
    "total": "1250000.00",
    "until": "2026-09-01",
    "user": 7,
    "version": 2,
    "year": 2026,
    "yearly_fee": "24000.00",
}

# Where a key means something else for one code, or the data is built at run time.
PER_CODE: dict[str, dict[str, Any]] = {
    "accounts.api_token.created": {"user": "anne.berg@example.dk", "name": "Regnskab"},
    "accounts.api_token.revoked": {"user": "anne.berg@example.dk"},
    "accounts.invitation.bounced": {"reason": "550 5.1.1 anne.berg@example.dk unknown"},
    "accounts.invitation.created": {"kind": "region", "region": "1084"},
    "accounts.invitation.accepted": {"kind": "doctor"},
    "accounts.invitation.resent": {"previous": 41},
    "dataorders.order.accepted": {},
    "dataorders.order.in_progress": {},
    "dataorders.order.created": {"recipient": 3, "package": None},
    "dataorders.order.declined": {"decline_reason": "Data findes ikke for perioden."},
    "dataorders.order.delivered": {
        "import_run": "#12 lab-0101901234.csv (succeeded)",
        "delivered_at": "2026-05-01 10:00:00+00:00",
    },
    "documents.folder.created": {"name": "Referater"},
    "finance.contract.created": {"recipient": "Anne Berg"},
    "finance.fee.paid": {"recipient": "Anne Berg"},
    "finance.statement.imported": {"from": "2026-03-01", "to": "2026-03-31"},
    "governance.statutes.adopted": {"file": "vedtaegter-2026.pdf"},
    "meetings.meeting.created": {"kind": "cluster"},
    "meetings.mail.retried": {"recipient": "anne.berg@example.dk"},
    "meetings.action.status": {"status": "done"},
    "meetings.rsvp.given": {"doctor": 12},
    "meetings.poll.sent": {"new": ["2026-05-18T17:00:00+02:00"]},
    "packages.file.added": {"file": "Vejledning.pdf"},
    "packages.file.removed": {"file": "Vejledning.pdf"},
    "packages.version.started": {"from": 1},
    "packages.package.adopted": {"meeting": 5},
    "packages.idea.adopted": {"goal": None},
    "packages.idea.published": {},
    "packages.idea.rejected": {"reason": "Findes allerede i idébanken."},
    "registry.clinic.accreditation": {
        "status": "accredited",
        "previous": "unknown",
        "previous_as_of": None,
    },
    "registry.doctor.email_set": {"new": "anne.berg@example.dk"},
    "registry.cluster.changed": {"name": ["Køge", "Køgeklyngen"]},
    "registry.cluster.dissolved": {"roles": 3, "participations": 9, "memberships": 4},
    "registry.cluster.founding_minutes_uploaded": {"file": "stiftende-referat.pdf"},
    "registry.cluster.registered": {"name": "Køgeklyngen"},
    "registry.staff_post.started": {"end": "None", "from": "accounts.User.region"},
    "registry.staff_post.moved": {"from": 1084, "region": 1086},
    "registry.staff_post.ended": {"end": ["None", "2027-01-01"]},
    "support.inquiry.submit": {"kind": "hospital"},
    "support.inquiry.decide": {"meeting": "2026-05-20"},
    "support.inquiry.opt_in": {"inquiry": 6},
    "support.news.publish": {"region": None},
}

# What the entry's object read as when logged (`str(target)`), by code without its verb.
OBJECTS = {
    "registry.clinic": "Lægerne i Køge (100002)",
    "registry.doctor": "Anne Berg",
    "support.inquiry": "Sjællands Universitetshospital",
    "meetings.action": "Send audit-skemaet ud",
    "meetings.decision": "Vi måler HbA1c hver tredje måned",
    "packages.version": "Diabetes i almen praksis (v2)",
    "packages.story": "Færre uafsluttede diabeteskontroller",
    "packages.ehr_system": "XMO",
}

# More data shapes worth a sentence of their own.
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("quality.import.rejected", {"errors": 1, "cpr": True, "file": "lab-0101901234.csv"}),
    ("quality.import.rejected", {"errors": 1, "cpr": False, "file": "0101901234.csv"}),
    ("accounts.invitation.created", {"email": "x@example.dk", "kind": "secretariat"}),
    ("finance.administration.changed", {"administration": "own_account"}),
    ("finance.claim.rejected", {"reason": ""}),
    ("meetings.rsvp.given", {"doctor": 12, "coming": False}),
    ("meetings.action.status", {"status": "dropped"}),
    ("meetings.action.status", {"status": "open"}),
    ("packages.idea.rejected", {}),
    ("packages.story.published", {"public_from": "None", "told": 0}),
    ("quality.presentation.changed", {"presentation": "anonymised"}),
    ("registry.clinic.accreditation", {"status": "not_accredited", "as_of": "2026-05-01"}),
    ("registry.clinic.accreditation", {"status": "unknown", "as_of": None}),
    ("registry.staff_post.started", {"start": "2025-01-01", "end": "2027-01-01"}),
    ("support.inquiry.triage", {"group": 1}),
    ("support.inquiry.decide", {"approve": False, "meeting": None, "reason": "Uden for formål"}),
    ("support.report.submit", {"year": 2026, "again": True, "meetings": 4}),
]

# Never in a sentence: e-mail addresses, checksums, token prefixes, clinic sizes, the
# name of an imported quality file (it may hold a CPR number) or a delivered import's
# run (it names the file), and who consented (only the coordinator sees consents, and
# only `quality.consent.*` entries are filtered for everyone else).
NEVER_SHOWN = (
    "email",
    "old",
    "new",
    "sha256",
    "prefix",
    "capacities",
    "listed_patients",
    "import_run",
)
NEVER_SHOWN_FOR = {"quality.import.": ("file",), "dataorders.consent.": ("clinic",)}


def _logged_value(collector: Collector, value: ast.expr) -> Any:
    if isinstance(value, ast.Constant):
        return value.value
    if isinstance(value, ast.Attribute) and ast.unparse(value) in collector.choices:
        return collector.choices[ast.unparse(value)]
    return None


def examples(collector: Collector, sites: list[Site]) -> Iterator[tuple[str, str, dict]]:
    """(where, code, data) for each site and code: the keys that site logs, with the
    constants it logs as they are and realistic values for the rest; then VARIANTS."""
    for site in sites:
        for code in sorted(site.codes):
            data: dict[str, Any] = {}
            literal = isinstance(site.data, ast.Dict)
            if literal:
                assert isinstance(site.data, ast.Dict)
                for key, value in zip(site.data.keys, site.data.values, strict=True):
                    if key is None:  # **unpacked: its keys come from PER_CODE
                        literal = False
                        continue
                    assert isinstance(key, ast.Constant), site.where
                    fixed = _logged_value(collector, value)
                    if fixed is not None:
                        data[key.value] = fixed
                    elif key.value in PER_CODE.get(code, {}):
                        data[key.value] = PER_CODE[code][key.value]
                    else:
                        assert key.value in VALUES, f"{site.where}: no example for {key.value!r}"
                        data[key.value] = VALUES[key.value]
            if site.data is not None and not literal:
                assert code in PER_CODE, f"{site.where}: data built at run time, add PER_CODE"
                data = {**data, **PER_CODE[code]}
            yield site.where, code, data
    for code, data in VARIANTS:
        yield "VARIANTS", code, data


@pytest.fixture
def strict_templates(settings):
    """A variable the sentence uses but the entry lacks shows up instead of vanishing."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0].setdefault("OPTIONS", {})["string_if_invalid"] = MISSING
    settings.TEMPLATES = templates


def _secret_values(code: str, data: dict[str, Any]) -> list[str]:
    keys = list(NEVER_SHOWN)
    for prefix, more in NEVER_SHOWN_FOR.items():
        if code.startswith(prefix):
            keys += more
    secrets = []
    for key in keys:
        value = data.get(key)
        if value in (None, "", True, False):
            continue
        secrets.append(str(value))
        if isinstance(value, int):
            secrets.append(format_number(value))
    return secrets


def test_every_code_written_renders_as_its_own_sentence(collector, sites, strict_templates):
    problems = []
    for where, code, data in examples(collector, sites):
        stored = json.loads(json.dumps(data))  # as the JSON field gives it back
        shown = OBJECTS.get(code.rsplit(".", 1)[0], "Klyngemøde om diabetes")
        entry = AuditEntry(action=code, data=stored, object_repr=shown, object_id="12")
        for language in ("da", "en"):
            try:
                text = sentence(entry, language)
            except Exception as error:
                problems.append(f"{where} {code} [{language}]: {error!r}")
                continue
            if not text.strip() or any(text.startswith(f) for f in FALLBACKS):
                problems.append(f"{where} {code} [{language}]: generic sentence {text!r}")
            if "«missing" in text or "{{" in text or "{%" in text:
                problems.append(f"{where} {code} [{language}]: {text!r}")
            if "@" in text or "0101901234" in text:
                problems.append(f"{where} {code} [{language}]: shows private data {text!r}")
            for secret in _secret_values(code, data):
                if secret in text:
                    problems.append(f"{where} {code} [{language}]: shows {secret!r}: {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("action", "data", "parts"),
    [
        (
            "registry.role.ended",
            {"end": "2027-01-01", "reason": "dissolution"},
            ["1. januar 2027"],
        ),
        (
            "finance.books.closed",
            {"returned": "1234.50", "on": "2027-01-01"},
            ["1.234,50\xa0kr.", "1. januar 2027"],
        ),
        (
            "governance.election.recorded",
            {"role": "treasurer", "doctor": "Anne Berg", "start": "2027-01-01"},
            ["Anne Berg", " kasserer ", "1. januar 2027"],
        ),
        (
            "finance.statement.imported",
            {"from": "2026-03-01", "to": "2026-03-31", "booked": 1234, "lines": 1300},
            ["1. marts 2026", "31. marts 2026", "1.234"],
        ),
    ],
)
def test_sentences_carry_the_data_formatted(action, data, parts):
    """Amounts, dates and role names come out in Danish whether or not the sentence's
    own translation is compiled yet."""
    text = sentence(AuditEntry(action=action, data=data, object_repr="Køgeklyngen"))
    assert all(part in text for part in parts), text


def test_a_refused_quality_file_is_never_named():
    for action in ("quality.import.rejected", "quality.import.succeeded"):
        for cpr in (True, False):
            data = {"errors": 1, "rows": 10, "replaced": 0, "cpr": cpr, "file": "0101901234.csv"}
            entry = AuditEntry(action=action, data=data, object_repr="#3 0101901234.csv (failed)")
            for language in ("da", "en"):
                assert "0101901234" not in sentence(entry, language)


def test_the_history_page_prints_no_raw_entry_data(world, client):
    """The page had a "Details" column printing every entry's data: the e-mail address
    an invitation went to, checksums, and which clinic consented to a data order's
    purpose (shown to the board and the region)."""
    clinic = world.clinics_a[0]
    audit_log(
        actor=None,
        action="accounts.invitation.created",
        target=world.cluster_a,
        data={"email": "hemmelig.adresse@a.test", "doctor": "Læge Hemmelig"},
    )
    audit_log(
        actor=None,
        action="dataorders.consent.given",
        target=world.cluster_a,
        data={"clinic": clinic.name, "purpose": "Forskning i KOL"},
    )
    for role, sees_consent in (("coordinator_a", True), ("board_a", False), ("region_a", False)):
        client.force_login(world.users[role])
        html = client.get(
            reverse("registry:cluster.history", args=[world.cluster_a.slug])
        ).content.decode()
        assert "hemmelig.adresse@a.test" not in html
        assert ("dataorders.consent.given" in html) is sees_consent, role
