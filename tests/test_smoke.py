import pytest

from klynge.registry.models import Municipality, Region


@pytest.mark.django_db
def test_geography_is_loaded_by_migrations():
    assert Region.objects.count() == 5
    assert Municipality.objects.count() == 98
