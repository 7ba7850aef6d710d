"""Permission-matrix rows for the governance URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import EDITORS_A, READERS_A, post_only, rule, writes


def a_statutes_with_file(w) -> dict:
    """A version of cluster A's statutes with a document, created through the service."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.governance.models import Statutes
    from klynge.governance.services import statutes_adopt

    statutes = Statutes.objects.filter(cluster=w.cluster_a, adopted=w.cluster_a.founded).first()
    if statutes is None:
        statutes = statutes_adopt(
            actor=None,
            cluster=w.cluster_a,
            adopted=w.cluster_a.founded,
            attendance_min_percent=50,
            file=SimpleUploadedFile("vedtaegter.pdf", b"%PDF-1.4 test"),
        )
    return {"slug": w.cluster_a.slug, "pk": statutes.pk}


# url name -> (kwargs builder taking the World, expected status per role)
ROWS: dict = {
    # --- Statutes (GOV-5) and founding paperwork (GOV-1) ---------------------------------
    "governance:statutes": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "governance:statutes.add": (lambda w: {"slug": w.cluster_a.slug}, post_only(EDITORS_A)),
    "governance:statutes.file": (a_statutes_with_file, rule(READERS_A)),
    "governance:paperwork": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "governance:paperwork.download": (
        lambda w: {"slug": w.cluster_a.slug, "kind": "statutes", "fmt": "docx"},
        rule(READERS_A),
    ),
    # --- General assemblies and elections (GOV-2, GOV-3) ---------------------------------
}


# Writes (POST) of this domain: see WRITES in tests/test_permissions_matrix.py.
WRITES: dict = {
    "governance:statutes.add": (lambda w: {"slug": w.cluster_a.slug}, writes(EDITORS_A)),
}
