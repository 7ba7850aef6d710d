"""One front door: the admin has no login of its own. Its login sends to the site's
login (allauth: two-factor step, rate limits), so a password at /admin/login/ never
gets past two-factor login; users made in the admin get a hashed password."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from klynge.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_totp():
    user = UserFactory(email="admin@kiap.test", is_staff=True, is_superuser=True)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return user


def test_admin_login_redirects_to_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    login = reverse("account_login")
    assert response["Location"].startswith(login)
    assert "next=/admin/accounts/user/" in response["Location"]


def test_admin_pages_send_anonymous_users_to_the_site_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_admin_login_ignores_a_foreign_next(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert "evil.example" not in response["Location"]


def test_password_at_admin_login_does_not_get_past_two_factor(client, staff_with_totp):
    data = {
        "username": "admin@kiap.test",
        "password": "pw",
        "this_is_the_login_form": "1",
        "next": "/admin/",
    }
    response = client.post("/admin/login/", data)
    assert SESSION_KEY not in client.session
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    for _ in range(40):
        client.post("/admin/login/", {**data, "password": "wrong"})
    client.post("/admin/login/", data)
    assert SESSION_KEY not in client.session


def test_password_at_the_site_login_stops_at_the_two_factor_step(client, staff_with_totp):
    response = client.post(reverse("account_login"), {"login": "admin@kiap.test", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session


def test_staff_without_totp_reach_the_admin_through_the_site_login(client):
    UserFactory(email="staff@kiap.test", is_staff=True, is_superuser=True)
    response = client.post(
        reverse("account_login"), {"login": "staff@kiap.test", "password": "pw", "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_user_added_in_the_admin_gets_a_hashed_password(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    add = reverse("admin:accounts_user_add")
    page = client.get(add)
    assert page.status_code == 200
    assert b'name="password1"' in page.content and b'name="password2"' in page.content
    response = client.post(
        add,
        {
            "email": "Ny.Bruger@Region.test",
            "name": "Ny Bruger",
            "usable_password": "true",
            "password1": "en-lang-adgangskode-9",
            "password2": "en-lang-adgangskode-9",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="ny.bruger@region.test")
    assert user.password != "en-lang-adgangskode-9"
    assert user.check_password("en-lang-adgangskode-9")


def test_the_admin_shows_tokens_by_prefix_only(client):
    from klynge.accounts.services import api_token_create

    admin_user = UserFactory(is_staff=True, is_superuser=True)
    _token, key = api_token_create(actor=None, user=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert page.status_code == 200
    assert key[:8].encode() in page.content and key.encode() not in page.content
