"""Permission-matrix rows for the finance URLs (merged into test_permissions_matrix):
`ROWS` for GET (POST-only writes answer 405 to the allowed), `WRITES` for POST."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, ROLES, post_only, rule, writes

GRANT_READERS = {"region_a", "region_other", "secretariat"}
PAYERS_A = {"region_a", "secretariat"}  # record payouts to cluster A
BOOKKEEPERS_A = {"coordinator_a", "board_a"}  # finance.manage_books


def _once(w, key: str, build):
    """Build a row's objects once per World (every role's run builds its own World)."""
    if key not in w.__dict__:
        w.__dict__[key] = build(w)
    return w.__dict__[key]


def _a(w) -> dict:
    return {"slug": w.cluster_a.slug}


def a_claim(w) -> dict:
    def build(w):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from klynge.finance.claims import claim_submit

        return claim_submit(
            actor=None,
            cluster=w.cluster_a,
            date=w.cluster_a.founded,
            text="Lokale",
            category="venue",
            amount=100,
            payee="Udlejer",
            receipt=SimpleUploadedFile("k.pdf", b"%PDF-1.4"),
        )

    return {"pk": _once(w, "_claim", build).pk}


def _expense(w):
    from decimal import Decimal

    from klynge.finance import ledger

    return ledger.expense_record(
        actor=None,
        cluster=w.cluster_a,
        date=w.cluster_a.founded,
        text="Mad",
        category="catering",
        amount=Decimal("100"),
    )


def a_transaction(w) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _once(w, "_expense", _expense).pk}


def _contract(w):
    from klynge.finance.accounts import contract_create

    return contract_create(
        actor=None,
        cluster=w.cluster_a,
        recipient="Koordinator A",
        role="Klyngekoordinator",
        hourly_basis=950,
        start=w.cluster_a.founded,
    )


def a_contract(w) -> dict:
    return {"slug": w.cluster_a.slug, "pk": _once(w, "_contract", _contract).pk}


def a_fee_payment(w) -> dict:
    def build(w):
        from klynge.finance.accounts import fee_pay

        return fee_pay(
            actor=None, contract=_once(w, "_contract", _contract), paid_on=w.cluster_a.founded
        )

    return {"slug": w.cluster_a.slug, "pk": _once(w, "_fee_payment", build).pk}


def a_payout(w) -> dict:
    def build(w):
        from decimal import Decimal

        from klynge.finance.models import Payout

        return Payout.objects.create(
            cluster=w.cluster_a,
            year=w.cluster_a.founded.year,
            amount=Decimal("100"),
            paid_on=w.cluster_a.founded,
        )

    return {"pk": _once(w, "_payout", build).pk}


def _global_post_only(allowed: set[str]) -> dict[str, int]:
    """A POST-only write on a global page: the allowed get 405 to a GET, others 403."""
    return {role: 405 if role in allowed else 302 if role == "anonymous" else 403 for role in ROLES}


def a_run(w) -> dict:
    """A payment run of region A's unit (Region Sjælland) paying cluster A."""

    def build(w):
        from decimal import Decimal

        from klynge.finance.models import PaymentRun, PaymentRunLine
        from klynge.registry.models import Region

        run = PaymentRun.objects.create(year=2024, region=Region.objects.get(code=1085))
        PaymentRunLine.objects.create(
            run=run, cluster=w.cluster_a, amount=Decimal("100"), reference=f"KT2024-{run.pk}"
        )
        return run

    return {"pk": _once(w, "_run", build).pk}


def _run_scoped(allowed: set[str], *, allowed_status: int | str) -> dict:
    """A run of region A: its unit and the secretariat; the other region's unit gets
    404 (nothing leaks), everyone else 403 (a global permission)."""
    return {
        role: allowed_status
        if role in allowed
        else 302
        if role == "anonymous"
        else 404
        if role == "region_other"
        else 403
        for role in ROLES
    }


RUN_USERS = {"region_a", "secretariat"}

# url name -> (kwargs builder taking the World, expected GET status per role)
ROWS: dict = {
    "finance:grants": (lambda w: {}, rule(GRANT_READERS, others=403)),
    "finance:grants.csv": (lambda w: {}, rule(GRANT_READERS, others=403)),
    "finance:books": (_a, rule({"coordinator_a", "board_a", "secretariat"})),
    "finance:annual_accounts": (
        lambda w: {"slug": w.cluster_a.slug, "year": 2024},
        rule(READERS_A),
    ),
    "finance:fees": (_a, rule(EDITORS_A)),
    "finance:fees.report": (
        lambda w: {"slug": w.cluster_a.slug, "year": 2024, "fmt": "csv"},
        rule(EDITORS_A),
    ),
    "finance:claims": (_a, rule(EDITORS_A)),
    "finance:claims.queue": (lambda w: {}, rule({"secretariat"}, others=403)),
    "finance:claims.receipt": (a_claim, rule({"secretariat"}, others=403)),
    "finance:run": (a_run, _run_scoped(RUN_USERS, allowed_status=200)),
    "finance:run.csv": (a_run, _run_scoped(RUN_USERS, allowed_status=200)),
    "finance:run.create": (lambda w: {}, _global_post_only(GRANT_READERS)),
    "finance:run.record": (a_run, _run_scoped(RUN_USERS, allowed_status=405)),
    "finance:run.discard": (a_run, _run_scoped(RUN_USERS, allowed_status=405)),
}


# url name -> (kwargs builder, roles allowed to post, status for the others)
_WRITES: dict = {
    "finance:payout.record": (_a, PAYERS_A, 404),
    "finance:payout.reverse": (a_payout, PAYERS_A, 404),
    "finance:expense.book": (_a, BOOKKEEPERS_A, 404),
    "finance:budget.adopt": (_a, BOOKKEEPERS_A, 404),
    "finance:statement.import": (_a, BOOKKEEPERS_A, 404),
    "finance:entry.reverse": (a_transaction, BOOKKEEPERS_A, 404),
    "finance:dissolve": (_a, BOOKKEEPERS_A, 404),
    "finance:contract.create": (_a, BOOKKEEPERS_A, 404),
    "finance:fee.pay": (a_contract, BOOKKEEPERS_A, 404),
    "finance:fee.reverse": (a_fee_payment, BOOKKEEPERS_A, 404),
    "finance:claim.submit": (_a, BOOKKEEPERS_A, 404),
    "finance:administration.set": (_a, {"secretariat"}, 404),
    "finance:claim.decide": (a_claim, {"secretariat"}, 403),
    "finance:claim.pay": (a_claim, {"secretariat"}, 403),
}

ROWS.update(
    {
        name: (kwargs, post_only(allowed) if denied == 404 else _global_post_only(allowed))
        for name, (kwargs, allowed, denied) in _WRITES.items()
    }
)

# Writes (POST) of this domain: see WRITES in tests/test_permissions_matrix.py.
WRITES: dict = {
    name: (kwargs, writes(allowed, denied=denied))
    for name, (kwargs, allowed, denied) in _WRITES.items()
}
# The payment run's writes (FIN-2); the discard deletes the run, so it comes last.
WRITES.update(
    {
        "finance:run.create": (lambda w: {}, writes(GRANT_READERS, denied=403)),
        "finance:run.record": (a_run, _run_scoped(RUN_USERS, allowed_status="ok")),
        "finance:run.discard": (a_run, _run_scoped(RUN_USERS, allowed_status="ok")),
    }
)
