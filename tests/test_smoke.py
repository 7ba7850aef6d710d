import pytest

from klynge.registry.models import Municipality, Region


@pytest.mark.django_db
def test_geography_is_loaded_by_migrations():
    import datetime as dt

    assert Region.objects.count() == 6  # the five regions and Region Østdanmark (2027)
    assert Region.objects.valid_on(dt.date(2026, 12, 31)).count() == 5
    assert Region.objects.valid_on(dt.date(2027, 1, 1)).count() == 4
    assert Municipality.objects.count() == 98
