"""Service tests match the services' English messages: run them in English (pages
requested through the test client still answer in the request's language)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
