"""The document archive (GOV-4): content sniffing, services and views."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.documents import services, sniff
from klynge.documents.formatting import filesize
from klynge.documents.models import DEFAULT_FOLDERS, Document, DocumentVersion, Folder
from tests.world import PASSWORD, World, build_world

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


# --- The sniffer (pure) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("Referat.PDF", PDF, "application/pdf"),
        ("v.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("v.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        ("foto.jpeg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        ("adresser.csv", "navn;by\nÅse;Køge\n".encode(), "text/csv"),
        ("note.txt", b"hej", "text/plain"),
    ],
)
def test_sniff_accepts_files_whose_content_matches_their_name(name, data, content_type):
    assert sniff.sniff(name, data) == content_type


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("v.pdf", b"", "empty"),
        ("v.pdf", b"<html>not a pdf</html>", "pdf"),
        ("v.exe", b"MZ\x90\x00", "suffix"),
        ("README", b"hej", "no-suffix"),
        ("v.docx", XLSX, "office"),  # a spreadsheet renamed to .docx
        ("v.docx", _zip({"a.txt": b"x"}), "office"),  # any other zip
        ("v.ods", ODT, "office"),
        ("v.docx", b"PK\x03\x04 not really a zip", "office"),
        ("logo.png", b"\xff\xd8\xff\xe0", "png"),
        ("foto.jpg", b"\x89PNG\r\n\x1a\n", "jpeg"),
        ("data.csv", "navn;by\nÅse;Køge\n".encode("latin-1"), "text"),
        ("data.txt", b"a\x00b", "text"),
    ],
)
def test_sniff_refuses_with_a_reason(name, data, reason):
    with pytest.raises(sniff.Rejected) as caught:
        sniff.sniff(name, data)
    assert caught.value.reason == reason


@given(st.binary(min_size=1))
def test_random_bytes_are_never_a_pdf_unless_they_start_like_one(data):
    try:
        sniff.sniff("dokument.pdf", data)
    except sniff.Rejected as error:
        assert error.reason == "pdf"
        assert not data.startswith(b"%PDF-")
    else:
        assert data.startswith(b"%PDF")


@given(st.text(min_size=1).filter(lambda s: "\x00" not in s))
def test_any_utf8_text_without_nul_is_accepted_as_text(text):
    assert sniff.sniff("noter.txt", text.encode()) == "text/plain"


@given(st.binary(min_size=1))
def test_random_bytes_are_text_only_if_they_decode(data):
    try:
        sniff.sniff("data.csv", data)
    except sniff.Rejected:
        pass
    else:
        assert b"\x00" not in data
        data.decode("utf-8")


def test_suffix_of():
    assert sniff.suffix_of("Referat 2024.PDF") == ".pdf"
    assert sniff.suffix_of(".bashrc") == ""
    assert sniff.suffix_of("README") == ""
    assert sniff.suffix_of("a.tar.gz") == ".gz"


def test_filesize_in_danish_and_english():
    with translation.override("da"):
        assert filesize(1234567) == "1,2\u00a0MB"
        assert filesize(500) == "500\u00a0B"
        assert filesize(2048) == "2\u00a0kB"
        assert filesize(20 * 1024 * 1024) == "20\u00a0MB"
        assert filesize(None) == "–"
    with translation.override("en"):
        assert filesize(1234567) == "1.2\u00a0MB"


# --- Services and views ------------------------------------------------------------------


@pytest.fixture
def world(db) -> World:
    return build_world()


def _login(client, world: World, role: str, *, english: bool = True) -> None:
    user = world.users[role]
    assert user is not None
    assert client.login(email=user.email, password=PASSWORD)
    if english:
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"


def _folder(world: World, name: str = "Referater") -> Folder:
    services.folder_defaults_ensure(cluster=world.cluster_a)
    return Folder.objects.get(cluster=world.cluster_a, parent=None, name=name)


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _download(client, response) -> bytes:
    return b"".join(response.streaming_content)


def test_upload_a_new_version_and_download_both(world, client, settings):
    _login(client, world, "coordinator_a")
    folder = _folder(world)
    url = reverse("documents:upload", args=[world.cluster_a.slug])
    response = client.post(
        url,
        {
            "folder": folder.pk,
            "title": "",
            "note": "Første udkast",
            "file": SimpleUploadedFile("Referat maj.pdf", PDF + b"v1"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get(cluster=world.cluster_a)
    assert document.title == "Referat maj"  # the file name without its extension
    assert document.folder == folder

    response = client.post(
        reverse("documents:version.create", args=[world.cluster_a.slug, document.pk]),
        {"note": "Rettet", "file": SimpleUploadedFile("referat-rettet.pdf", PDF + b"v2")},
    )
    assert response.status_code == 302
    v1, v2 = DocumentVersion.objects.filter(document=document).order_by("number")
    assert (v1.number, v2.number) == (1, 2)
    assert v2.uploaded_by == world.users["coordinator_a"]
    assert v2.content_type == "application/pdf"
    assert v2.size == len(PDF) + 2
    assert len(v2.sha256) == 64
    assert len(_stored_files(settings)) == 2

    for version, content in ((v1, PDF + b"v1"), (v2, PDF + b"v2")):
        response = client.get(
            reverse("documents:download", args=[world.cluster_a.slug, version.pk])
        )
        assert response.status_code == 200
        assert _download(client, response) == content
        assert "attachment" in response["Content-Disposition"]
        assert version.original_filename in response["Content-Disposition"]

    page = client.get(reverse("documents:archive", args=[world.cluster_a.slug]))
    assert page.status_code == 200
    assert "Referat maj" in page.content.decode()
    detail = client.get(reverse("documents:document", args=[world.cluster_a.slug, document.pk]))
    assert "referat-rettet.pdf" in detail.content.decode()
    assert "Rettet" in detail.content.decode()
    assert AuditEntry.objects.filter(action="documents.version.uploaded").count() == 2


def test_a_pdf_named_file_with_other_content_is_refused_and_nothing_is_kept(
    world, client, settings
):
    _login(client, world, "board_a")
    folder = _folder(world)
    response = client.post(
        reverse("documents:upload", args=[world.cluster_a.slug]),
        {"folder": folder.pk, "title": "Kontrakt", "file": SimpleUploadedFile("k.pdf", b"MZ\x90")},
    )
    assert response.status_code == 400
    assert "The file&#x27;s content is not a PDF, although its name ends in .pdf." in (
        response.content.decode()
    )
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert _stored_files(settings) == []
    assert not AuditEntry.objects.filter(action="documents.version.uploaded").exists()


def test_an_oversize_file_is_refused(world, client, settings):
    settings.KLYNGE_DOCUMENT_MAX_BYTES = 1024
    _login(client, world, "coordinator_a")
    response = client.post(
        reverse("documents:upload", args=[world.cluster_a.slug]),
        {
            "folder": _folder(world).pk,
            "file": SimpleUploadedFile("stor.pdf", PDF + b"x" * 2000),
        },
    )
    assert response.status_code == 400
    assert "the limit is 1\u00a0kB" in response.content.decode()
    assert not Document.objects.exists()
    assert _stored_files(settings) == []


def test_an_empty_file_is_refused(world):
    with translation.override("en"), pytest.raises(DomainError, match=r"The file is empty\."):
        services.document_upload(
            actor=None,
            cluster=world.cluster_a,
            folder=_folder(world),
            upload=SimpleUploadedFile("tom.txt", b""),
        )


def test_a_taken_title_is_refused_with_a_hint(world):
    folder = _folder(world)
    services.document_upload(
        actor=None,
        cluster=world.cluster_a,
        folder=folder,
        upload=SimpleUploadedFile("a.txt", b"a"),
        title="Adresser",
    )
    with translation.override("en"), pytest.raises(DomainError, match="new version"):
        services.document_upload(
            actor=None,
            cluster=world.cluster_a,
            folder=folder,
            upload=SimpleUploadedFile("b.txt", b"b"),
            title="adresser",
        )
    assert DocumentVersion.objects.count() == 1


def test_a_member_reads_but_cannot_upload(world, client, settings):
    generated = services.document_file_generated(
        actor=None,
        cluster=world.cluster_a,
        folder="Referater",
        title="Referat",
        filename="referat.pdf",
        content=PDF,
    )
    _login(client, world, "member_a")
    page = client.get(reverse("documents:archive", args=[world.cluster_a.slug]))
    assert page.status_code == 200
    assert "Referat" in page.content.decode()
    assert reverse("documents:upload", args=[world.cluster_a.slug]) not in page.content.decode()
    download = client.get(reverse("documents:download", args=[world.cluster_a.slug, generated.pk]))
    assert download.status_code == 200
    response = client.post(
        reverse("documents:upload", args=[world.cluster_a.slug]),
        {"folder": generated.document.folder_id, "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("documents:version.create", args=[world.cluster_a.slug, generated.document_id]),
        {"file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 404
    assert DocumentVersion.objects.count() == 1
    assert len(_stored_files(settings)) == 1


def test_another_clusters_member_gets_404(world, client):
    version = services.document_file_generated(
        actor=None,
        cluster=world.cluster_a,
        folder="Referater",
        title="Hemmeligt referat",
        filename="referat.pdf",
        content=PDF,
    )
    _login(client, world, "member_b")
    archive = client.get(reverse("documents:archive", args=[world.cluster_a.slug]))
    assert archive.status_code == 404
    assert b"Hemmeligt" not in archive.content
    download = client.get(reverse("documents:download", args=[world.cluster_a.slug, version.pk]))
    assert download.status_code == 404
    # Nor through the member's own cluster's URL: the version must belong to it.
    own = client.get(reverse("documents:download", args=[world.cluster_b.slug, version.pk]))
    assert own.status_code == 404
    detail = client.get(
        reverse("documents:document", args=[world.cluster_b.slug, version.document_id])
    )
    assert detail.status_code == 404


def test_generated_files_become_versions_of_one_document(world):
    first = services.document_file_generated(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        folder="Generalforsamlinger",
        title="Referat af generalforsamling 2024",
        filename="referat-2024.pdf",
        content=PDF + b"1",
    )
    second = services.document_file_generated(
        actor=None,
        cluster=world.cluster_a,
        folder="Generalforsamlinger",
        title="Referat af generalforsamling 2024",
        filename="referat-2024.pdf",
        content=PDF + b"2",
    )
    assert first.document_id == second.document_id
    assert (first.number, second.number) == (1, 2)
    assert Document.objects.filter(cluster=world.cluster_a).count() == 1
    folder = Folder.objects.get(cluster=world.cluster_a, name="Generalforsamlinger")
    assert folder.parent is None
    assert second.document.folder == folder
    assert first.uploaded_by == world.users["coordinator_a"]
    assert second.uploaded_by is None
    second.file.open("rb")
    assert second.file.read() == PDF + b"2"
    second.file.close()
    entry = AuditEntry.objects.filter(action="documents.version.uploaded").latest("pk")
    assert entry.scope == f"cluster:{world.cluster_a.pk}"
    assert entry.data["generated"] is True


def test_default_folders_are_created_once(world, client):
    _login(client, world, "member_a")
    for _ in range(2):
        assert (
            client.get(reverse("documents:archive", args=[world.cluster_a.slug])).status_code == 200
        )
    names = list(
        Folder.objects.filter(cluster=world.cluster_a)
        .values_list("name", flat=True)
        .order_by("name")
    )
    assert names == sorted(DEFAULT_FOLDERS)
    assert not Folder.objects.filter(cluster=world.cluster_b).exists()


def test_folders_and_the_folder_filter(world, client):
    _login(client, world, "coordinator_a")
    parent = _folder(world, "Referater")
    url = reverse("documents:folder.create", args=[world.cluster_a.slug])
    response = client.post(url, {"name": " 2024 ", "parent": parent.pk})
    assert response.status_code == 302
    sub = Folder.objects.get(cluster=world.cluster_a, name="2024")
    assert sub.parent == parent
    assert client.post(url, {"name": "2024", "parent": parent.pk}).status_code == 400
    assert client.post(url, {"name": "referater", "parent": ""}).status_code == 400
    # Another cluster's folder is not a choice.
    services.folder_defaults_ensure(cluster=world.cluster_b)
    other = Folder.objects.filter(cluster=world.cluster_b).first()
    assert client.post(url, {"name": "X", "parent": other.pk}).status_code == 400
    assert not Folder.objects.filter(name="X").exists()

    services.document_upload(
        actor=None,
        cluster=world.cluster_a,
        folder=sub,
        upload=SimpleUploadedFile("maj.txt", b"referat"),
    )
    services.document_upload(
        actor=None,
        cluster=world.cluster_a,
        folder=_folder(world, "Bilag"),
        upload=SimpleUploadedFile("kvittering.png", b"\x89PNG\r\n\x1a\nxx"),
    )
    archive = reverse("documents:archive", args=[world.cluster_a.slug])
    page = client.get(f"{archive}?mappe={sub.pk}").content.decode()
    assert "maj" in page and "kvittering" not in page
    assert "Referater / 2024" in page
    page = client.get(archive).content.decode()
    assert "maj" in page and "kvittering" in page


def test_an_allowed_get_on_a_post_only_view_is_405(world, client):
    _login(client, world, "board_a")
    url = reverse("documents:upload", args=[world.cluster_a.slug])
    assert client.get(url).status_code == 405


def test_upload_into_another_clusters_folder_is_refused(world, client):
    services.folder_defaults_ensure(cluster=world.cluster_b)
    other = Folder.objects.filter(cluster=world.cluster_b).first()
    _login(client, world, "coordinator_a")
    response = client.post(
        reverse("documents:upload", args=[world.cluster_a.slug]),
        {"folder": other.pk, "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_a_failure_after_the_file_is_stored_removes_the_file(world, settings, monkeypatch):
    def broken_audit(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_log", broken_audit)
    with pytest.raises(RuntimeError):
        services.document_upload(
            actor=None,
            cluster=world.cluster_a,
            folder=_folder(world),
            upload=SimpleUploadedFile("a.pdf", PDF),
        )
    assert _stored_files(settings) == []
    assert not DocumentVersion.objects.exists()
