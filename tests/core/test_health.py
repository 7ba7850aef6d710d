"""`/sundhed/` answers "ok" without reading anything: a monitor's probe, and the bare
response the speed bench measures pages against."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_health_check_answers_ok_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("core:health"))
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert reverse("core:health") == "/sundhed/"
