"""API tokens are stored only as their SHA-256, shown once, and can be revoked; a
request without credentials is a 401 that names the Token scheme."""

from __future__ import annotations

import hashlib
import importlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from klynge.accounts.models import ApiToken
from klynge.accounts.services import api_token_create, api_token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RUN = "/api/v1/imports/999/"


def test_the_key_is_stored_only_hashed():
    user = UserFactory()
    token, key = api_token_create(actor=None, user=user, name="EPJ-eksport")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.prefix, stored.key_hash, stored.name}
    assert key.startswith(stored.prefix) and len(stored.prefix) < len(key) // 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert key not in repr(cursor.fetchall())


def test_a_token_authenticates_and_records_its_use(client):
    user = UserFactory()
    token, key = api_token_create(actor=None, user=user)
    response = client.get(RUN, headers={"Authorization": f"Token {key}"})
    assert response.status_code == 404  # authenticated; the run does not exist
    token.refresh_from_db()
    assert token.last_used is not None


def test_without_credentials_401_naming_the_token_scheme(client):
    response = client.get(RUN)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("bad", ["not-a-key", "", "a b"])
def test_a_wrong_key_is_401(client, bad):
    UserFactory()
    assert client.get(RUN, headers={"Authorization": f"Token {bad}"}).status_code == 401


def test_a_revoked_token_or_inactive_user_is_refused(client):
    user = UserFactory()
    token, key = api_token_create(actor=None, user=user)
    api_token_revoke(actor=None, token=token)
    assert client.get(RUN, headers={"Authorization": f"Token {key}"}).status_code == 401
    other = UserFactory(is_active=False)
    _token, key = api_token_create(actor=None, user=other)
    assert client.get(RUN, headers={"Authorization": f"Token {key}"}).status_code == 401


def test_command_prints_the_key_once():
    user = UserFactory(email="data@klinik.test")
    out, err = StringIO(), StringIO()
    call_command("api_token_create", "DATA@klinik.test", "--name", "EPJ", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=user)
    assert token.name == "EPJ"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in err.getvalue()


def test_command_refuses_an_unknown_user():
    with pytest.raises(CommandError):
        call_command("api_token_create", "nobody@example.test", stdout=StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_clear_authtoken_keys_are_moved_hashed_and_dropped():
    """The data migration: DRF's clear-text table becomes hashed rows, then goes."""
    from django.apps import apps

    user = UserFactory()
    with connection.schema_editor() as editor:
        editor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp with time zone)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created datetime)"
        )
        editor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            ["0123456789abcdef0123456789abcdef01234567", user.pk, "2024-01-02 03:04:05"],
        )
        migration = importlib.import_module("klynge.accounts.migrations.0004_hash_authtoken_keys")
        migration.forwards(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hashlib.sha256(b"0123456789abcdef0123456789abcdef01234567").hexdigest()
    assert token.created.year == 2024
