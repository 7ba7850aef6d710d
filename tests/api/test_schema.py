"""The committed OpenAPI schema (docs/openapi.yaml) is the API contract: a change to an
endpoint must show up in review as a change to that file. Regenerate it with
`python manage.py spectacular --file docs/openapi.yaml`."""

from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_committed_schema_is_current(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out))
    assert out.read_text() == SCHEMA.read_text(), "regenerate docs/openapi.yaml"


@pytest.mark.django_db
def test_cluster_list_api_reads_the_register(client):
    from tests.world import build_world

    build_world()
    data = client.get("/api/v1/clusters/").json()["results"]
    assert [(c["name"], c["clinics"], c["doctors"]) for c in data] == [
        ("Hillerødklyngen", 2, 4),
        ("Køgeklyngen", 3, 6),
    ]


def test_the_schema_names_its_documentation_page(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Link"] == '</api/docs/>; rel="service-doc"'
    assert "url: /api/docs/" in response.content.decode()  # externalDocs


def test_the_docs_page_is_served_from_this_site_without_inline_script(client):
    import re

    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "cdn" not in html.lower() and "https://" not in html
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()
