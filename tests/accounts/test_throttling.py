"""Login throttling keyed by account and address (issue 16): five wrong passwords for
one account from one address lock that pair only — a colleague at the same clinic
address and the same doctor elsewhere still log in — and the counts live in the shared
cache (Redis in production), not in one process's memory."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
CLINIC, ELSEWHERE = "10.1.1.1", "10.2.2.2"


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def attempt(client, email: str, password: str, address: str):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address
    )


def logged_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def users(db):
    build_world()
    return "koordinator@a.test", "laege@a.test"


def test_five_failures_lock_the_account_at_that_address_only(client, users, settings):
    settings.LANGUAGE_CODE = "en"
    doctor, colleague = users
    for _ in range(5):
        assert attempt(client, doctor, "wrong", CLINIC).status_code == 200
    blocked = attempt(client, doctor, PASSWORD, CLINIC)
    assert not logged_in(blocked)  # even the right password waits at this address
    client.logout()
    assert logged_in(attempt(client, colleague, PASSWORD, CLINIC))  # a colleague, same address
    client.logout()
    assert logged_in(attempt(client, doctor, PASSWORD, ELSEWHERE))  # the doctor, elsewhere


def test_an_address_as_a_whole_is_bounded(client, users):
    doctor, _colleague = users
    statuses = [
        attempt(client, f"{uuid.uuid4().hex}@x.test", "wrong", CLINIC).status_code
        for _ in range(31)
    ]
    assert statuses[-1] == 429  # 30 failures a minute from one address, across accounts
    assert not logged_in(attempt(client, doctor, PASSWORD, CLINIC))


def test_the_counts_are_in_redis_where_every_process_sees_them(client, users, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"t{uuid.uuid4().hex[:6]}",
        }
    }
    doctor, _colleague = users
    for _ in range(5):
        attempt(client, doctor, "wrong", CLINIC)
    # Another connection (as another process would open) finds the counters.
    keys = [
        k.decode()
        for k in redis.Redis.from_url(url).keys(f"*{settings.CACHES['default']['KEY_PREFIX']}*")
    ]
    assert any("login_failed" in key for key in keys), keys
    assert not logged_in(attempt(client, doctor, PASSWORD, CLINIC))
    caches["default"].clear()
