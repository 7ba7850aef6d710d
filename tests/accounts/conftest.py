import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Services' messages are asserted in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield
