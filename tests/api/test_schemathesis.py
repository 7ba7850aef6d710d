"""The schema matches the behaviour: schemathesis generates requests for every operation
of the served schema (valid and invalid ones), sends them through the WSGI application
with a valid token (the secretariat's, so they reach the real code), and checks every
answer against the schema: status codes documented, bodies and headers as documented,
no server errors, invalid input refused, valid input accepted.

Bounded and deterministic: a few examples per operation, a fixed seed, no example
database. Every operation naming a cluster or an import run is also called with the
world's real one, so the generated query parameters reach the code behind the 404.

The one allowance: `positive_data_acceptance` also accepts 400 — a schema can say that
`region` is an integer, not that region 1084 ended on 2026-12-31; such answers are the
documented `Error` body, which `response_schema_conformance` checks.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import token

CONFIG = """
seed = 20261201
suppress-health-check = ["all"]

[generation]
mode = "all"
max-examples = 15
deterministic = true
database = "none"

[phases.coverage]
enabled = false

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404"]
"""


# Loaded through the application itself, as a client would read it (no database needed).
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_str(CONFIG),
)


@pytest.fixture
def real_refs(world):
    from klynge.quality.models import ImportRun

    return {
        "ref": [world.cluster_a.slug, str(world.cluster_b.pk)],
        "id": [ImportRun.objects.get(filename="data.csv").pk],
    }


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes the database connection at the end of each request; in
    a test that would close the test's transaction (PostgreSQL). Django's own test
    client keeps it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
def test_the_api_behaves_as_its_schema_says(case, world, real_refs, keep_the_test_connection):
    headers = token(world, "secretariat")
    case.call_and_validate(headers=headers)
    for name, values in real_refs.items():
        if name in (case.path_parameters or {}):
            for value in values:
                case.path_parameters[name] = value
                case.call_and_validate(headers=headers)
