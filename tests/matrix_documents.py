"""Permission-matrix rows for the documents URLs (merged into test_permissions_matrix)."""

from __future__ import annotations

from tests.matrix_common import READERS_A, post_only, rule, writes

WRITERS_A = {"coordinator_a", "board_a"}  # documents.manage_archive: not the secretariat


def _a_version(w):
    from klynge.documents.services import document_file_generated

    return document_file_generated(
        actor=None,
        cluster=w.cluster_a,
        folder="Referater",
        title="Referat af generalforsamling",
        filename="referat.pdf",
        content=b"%PDF-1.4 referat",
    )


def a_document(w):
    return {"slug": w.cluster_a.slug, "pk": _a_version(w).document_id}


def a_version(w):
    return {"slug": w.cluster_a.slug, "pk": _a_version(w).pk}


# url name -> (kwargs builder taking the World, expected status per role)
ROWS: dict = {
    "documents:archive": (lambda w: {"slug": w.cluster_a.slug}, rule(READERS_A)),
    "documents:upload": (lambda w: {"slug": w.cluster_a.slug}, post_only(WRITERS_A)),
    "documents:folder.create": (lambda w: {"slug": w.cluster_a.slug}, post_only(WRITERS_A)),
    "documents:document": (a_document, rule(READERS_A)),
    "documents:version.create": (a_document, post_only(WRITERS_A)),
    "documents:download": (a_version, rule(READERS_A)),
}


# Writes (POST) of this domain: see WRITES in tests/test_permissions_matrix.py.
WRITES: dict = {
    "documents:upload": (lambda w: {"slug": w.cluster_a.slug}, writes(WRITERS_A)),
    "documents:folder.create": (lambda w: {"slug": w.cluster_a.slug}, writes(WRITERS_A)),
    "documents:version.create": (a_document, writes(WRITERS_A)),
}
