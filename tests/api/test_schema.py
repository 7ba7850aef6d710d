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
    data = client.get("/api/v1/clusters/").json()
    assert [(c["name"], c["clinics"], c["doctors"]) for c in data] == [
        ("Hillerødklyngen", 2, 4),
        ("Køgeklyngen", 3, 6),
    ]
